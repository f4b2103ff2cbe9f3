import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { dynamodbClient, sfnClient } from '../../shared/aws/clients';
import { ENV } from '../../shared/constants';
import { InvalidInputError } from '../../shared/errors';
import { logger } from '../../shared/lambda';
import { ApiError, type ProvisioningServiceDeps } from '../../shared/api/provisionings';

/** An API event whose JSON body middy has parsed. */
export type ApiEvent = Omit<APIGatewayProxyEventV2, 'body'> & { body?: unknown };
export type ApiResult = APIGatewayProxyStructuredResultV2;

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

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

/**
 * The one place where errors become HTTP answers (STYLE 6): input errors are 400 with every bad field, known
 * conditions keep their status, middy's parser errors keep theirs, anything else is an opaque 500 that names the
 * request ID to look up in the logs (never the internals).
 */
function errorResponse(error: unknown, context: Context): ApiResult {
  if (error instanceof InvalidInputError) {
    return json(400, { error: 'InvalidInput', message: 'The request is invalid; nothing was changed.', problems: error.problems });
  }
  if (error instanceof ApiError) return json(error.statusCode, { error: error.code, message: error.message, ...error.details });
  const status = (error as { statusCode?: number; expose?: boolean }).statusCode;
  if (typeof status === 'number' && status < 500 && (error as { expose?: boolean }).expose) {
    return json(status, { error: status === 415 ? 'UnsupportedMediaType' : 'BadRequest', message: `${(error as Error).message}; send a JSON body with content-type: application/json` });
  }
  logger.error('unhandled API error', { error: error as Error });
  return json(500, { error: 'InternalError', message: `Internal error; quote request ID ${context.awsRequestId} to the operator.` });
}

/**
 * Wrap an API route: structured logs with the request ID, optional JSON body parsing, one error mapping.
 * @example export const handler = apiHandler(async (event) => json(200, await getProvisioning(event.pathParameters!.id!, serviceDeps())));
 */
export function apiHandler(route: (event: ApiEvent, context: Context) => Promise<ApiResult>, options: { jsonBody?: boolean } = {}) {
  const handler = middy<ApiEvent, ApiResult, Error, Context>().use(injectLambdaContext(logger, { resetKeys: true }));
  if (options.jsonBody) handler.use(httpJsonBodyParser() as middy.MiddlewareObj<ApiEvent, ApiResult, Error, Context>);
  handler.use({
    onError: async (request) => {
      request.response = errorResponse(request.error, request.context);
    },
  });
  return handler.handler(async (event, context) => {
    logger.appendKeys({ route: event.routeKey, provisioningId: event.pathParameters?.id });
    return route(event, context);
  });
}
