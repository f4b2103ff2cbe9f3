import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { HttpError, createError } from '@middy/util';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { dynamodbClient, sfnClient } from '../../shared/aws/clients';
import { ENV } from '../../shared/constants';
import { InvalidInputError } from '../../shared/errors';
import { LOG_CONTEXT, logger } from '../../shared/lambda';
import { ApiError, type ProvisioningServiceDeps } from '../../shared/api/provisionings';
import { MAX_BODY_BYTES, PROBLEM_CONTENT_TYPE, problemTitle, problemTypeUri, type ProblemCode } from './problems';

/** An API event whose JSON body middy has parsed. */
export type ApiEvent = Omit<APIGatewayProxyEventV2, 'body'> & { body?: unknown };
export type ApiResult = APIGatewayProxyStructuredResultV2;

/** How long before the Lambda's own timeout a slow route gives up and answers 503 `Timeout` itself. */
const ANSWER_MARGIN_MS = 1_000;
/** The members RFC 9457 defines and the ones every problem of this API carries; a service's extras never replace them. */
const RESERVED = new Set(['type', 'title', 'status', 'detail', 'instance', 'error', 'message']);

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/**
 * An RFC 9457 problem answer (`application/problem+json`): `type` (`/problems/<code>`), `title`, `status`, `detail`,
 * then the extras the service adds (e.g. `runningExecution`, `fields`), and `error` (the code) and `message` (the
 * detail again), the members of the earlier error shape, kept for the clients that read them.
 * @example problem(404, 'ProvisioningNotFound', 'no provisioning p-1') // { type: '/problems/provisioning-not-found', title: 'No such provisioning', status: 404, ... }
 */
export function problem(status: number, code: ProblemCode | (string & {}), detail: string, extras: Record<string, unknown> = {}, headers: Record<string, string> = {}): ApiResult {
  const own = Object.fromEntries(Object.entries(extras).filter(([key]) => !RESERVED.has(key)));
  const body = { type: problemTypeUri(code), title: problemTitle(code, status), status, detail, ...own, error: code, message: detail };
  return { statusCode: status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers }, body: JSON.stringify(body) };
}

/** The service's dependencies from the Lambda environment. */
export function serviceDeps(): ProvisioningServiceDeps {
  const provisionStateMachineArn = process.env[ENV.provisionStateMachineArn];
  const teardownStateMachineArn = process.env[ENV.teardownStateMachineArn];
  const tableName = process.env[ENV.registryTable];
  if (!provisionStateMachineArn || !teardownStateMachineArn || !tableName) {
    throw new Error(`${ENV.provisionStateMachineArn}, ${ENV.teardownStateMachineArn} and ${ENV.registryTable} must be set`);
  }
  // The state machines and the registry table live in the same account and region.
  const region = provisionStateMachineArn.split(':')[3];
  return { sfn: sfnClient(region), provisionStateMachineArn, teardownStateMachineArn, registry: { dynamodb: dynamodbClient(region), tableName } };
}

type Middleware = middy.MiddlewareObj<ApiEvent, ApiResult, Error, Context>;

/** Refuse a body over MAX_BODY_BYTES (413) before anything parses it. */
const bodyLimit: Middleware = {
  before: async ({ event }) => {
    if (typeof event.body !== 'string') return;
    const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64').length : Buffer.byteLength(event.body);
    if (bytes > MAX_BODY_BYTES) {
      throw createError(413, `The body has ${bytes} bytes; the API reads at most ${MAX_BODY_BYTES} (64 KiB). Nothing was changed.`);
    }
  },
};

/** What was wrong with a body middy's JSON parser refused (it answers 415 for each case). */
function unsupportedMediaDetail(error: HttpError, event: ApiEvent): string {
  const send = 'send the request as a JSON document with content-type: application/json';
  if (error.message === 'Unsupported Media Type') {
    const contentType = event.headers?.['content-type'];
    return `The body must be JSON: ${send} (got ${contentType ? `content-type: ${contentType}` : 'no content-type'}). Nothing was changed.`;
  }
  if (event.body === undefined || event.body === '') return `The request has no body: ${send}. Nothing was changed.`;
  const reason = (error.cause as { message?: unknown } | undefined)?.message;
  return `The body is not valid JSON${typeof reason === 'string' ? ` (${reason})` : ''}: ${send}. Nothing was changed.`;
}

const isEarlyTimeout = (error: unknown): boolean =>
  error instanceof Error && error.name === 'TimeoutError' && (error.cause as { package?: unknown } | undefined)?.package === '@middy/core';

/**
 * The one place where errors become HTTP answers (STYLE 6), each an RFC 9457 problem: input errors are 400 with
 * every bad field, the service's known conditions keep their status and code, a body over the limit is 413 and
 * one that is not JSON 415, a route out of time 503; anything else is an opaque 500 naming the request ID to look
 * up in the logs (never a stack trace or an AWS internal).
 */
function errorResponse(error: unknown, event: ApiEvent, context: Context): ApiResult {
  if (error instanceof InvalidInputError) {
    const detail = `The request is invalid; nothing was changed. ${error.problems.map((p) => `${p.field}: ${p.rule}`).join('; ')}`;
    return problem(400, 'InvalidInput', detail, { errors: error.problems, problems: error.problems });
  }
  // 502: AWS refused the reads in a customer's account (the health check): the caller can act on the detail.
  if (error instanceof ApiError && (error.statusCode < 500 || error.statusCode === 502)) return problem(error.statusCode, error.code, error.message, error.details);
  if (error instanceof HttpError && error.expose && error.statusCode === 413) return problem(413, 'PayloadTooLarge', error.message);
  if (error instanceof HttpError && error.expose && error.statusCode === 415) {
    return problem(415, 'UnsupportedMediaType', unsupportedMediaDetail(error, event), {}, { accept: 'application/json' });
  }
  const requestId = context.awsRequestId;
  if (isEarlyTimeout(error)) {
    logger.error('API route timed out', { requestId, apiRequestId: event.requestContext?.requestId });
    const detail = `The request did not finish in time and may or may not have taken effect; repeating it is safe. Request ID ${requestId}.`;
    return problem(503, 'Timeout', detail, { requestId }, { 'retry-after': '5' });
  }
  logger.error('unhandled API error', { error: error as Error, requestId, apiRequestId: event.requestContext?.requestId });
  return problem(500, 'InternalError', `Internal error; quote request ID ${requestId} to the operator.`, { requestId });
}

/**
 * Wrap an API route: structured logs with the request ID, for routes with a body a size limit and JSON parsing,
 * one error mapping (problem details). The route gives up ANSWER_MARGIN_MS before the Lambda's timeout, so even
 * a slow route answers with a problem rather than a bare gateway error.
 * @example export const handler = apiHandler(async (event) => json(200, await getProvisioning(event.pathParameters!.id!, serviceDeps())));
 */
export function apiHandler(route: (event: ApiEvent, context: Context) => Promise<ApiResult>, options: { jsonBody?: boolean } = {}) {
  const handler = middy<ApiEvent, ApiResult, Error, Context>({ timeoutEarlyInMillis: ANSWER_MARGIN_MS }).use(injectLambdaContext(logger, LOG_CONTEXT));
  handler.use({
    before: async ({ event }) => {
      logger.appendKeys({ route: event.routeKey, provisioningId: event.pathParameters?.id, apiRequestId: event.requestContext?.requestId });
    },
  });
  if (options.jsonBody) handler.use([bodyLimit, httpJsonBodyParser() as Middleware]);
  handler.use({
    onError: async (request) => {
      request.response = errorResponse(request.error, request.event, request.context);
    },
  });
  return handler.handler(async (event, context) => route(event, context));
}
