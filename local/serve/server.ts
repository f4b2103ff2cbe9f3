import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { ApiEvent, ApiResult } from '../../functions/api/http';
import { PROBLEM_CONTENT_TYPE, problemTypeUri, ROUTE_TIMEOUT_SECONDS } from '../../functions/api/problems';
import { forwardCompletionEvents, type EventForwarder } from '../events';
import { LOCAL_ACCOUNT } from '../executions';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../stack';
import { findRoute, ROUTES, type Route } from './routes';
import { verifySigV4, type Credentials } from './sigv4';

/**
 * The largest body the server reads at all: API Gateway's payload limit (10 MB). Bodies between the API's own limit
 * (MAX_BODY_BYTES, 64 KiB) and this one reach the handler, which answers 413 as it does on AWS.
 */
export const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The addresses `serve` may listen on: loopback only (the local API has well-known credentials). */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'];

export interface ApiServerOptions {
  /** Port to listen on (0: a free one). */
  port: number;
  /** A loopback address (default 127.0.0.1). */
  host?: string;
  /** The credentials requests must be signed with; `undefined` accepts unsigned requests (`--no-auth`). */
  credentials?: Credentials;
  /** One line per request (method, path, status, time) and per unexpected error. */
  log?: (line: string) => void;
}

export interface ApiServer {
  url: string;
  port: number;
  server: Server;
  /** Stop listening and close open connections. */
  close(): Promise<void>;
}

/** An error answer the gateway itself gives (no route, wrong method, refused signature), as an RFC 9457 problem. */
function gatewayProblem(res: ServerResponse, status: number, code: string, title: string, detail: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ type: problemTypeUri(code), title, status, detail, error: code, message: detail });
  res.writeHead(status, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** The body, up to `limit` bytes; `undefined` when it is longer (the rest is drained, not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const headerText = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

/** The API Gateway HTTP API (payload 2.0) event a route's function receives for this request. */
export function apiGatewayEvent(req: IncomingMessage, route: Route, pathParameters: Record<string, string>, body: Buffer, requestId: string, caller?: { accessKeyId: string }): ApiEvent {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    const text = headerText(value);
    if (text !== undefined) headers[name.toLowerCase()] = text;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v; // API Gateway joins repeats with commas
  const now = new Date();
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      ...(caller
        ? { authorizer: { iam: { accessKey: caller.accessKeyId, accountId: LOCAL_ACCOUNT, callerId: caller.accessKeyId, cognitoIdentity: null, principalOrgId: null, userArn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/local`, userId: caller.accessKeyId } } }
        : {}),
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method: route.method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: body.length > 0 ? body.toString('utf8') : undefined,
    isBase64Encoded: false,
  } as ApiEvent;
}

/** A Lambda context for one invocation, with the route's timeout (serverless.yml's `timeout: 25`). */
function lambdaContext(route: Route, requestId: string): Context {
  const deadline = Date.now() + ROUTE_TIMEOUT_SECONDS * 1000;
  const functionName = `byoc-provisioner-local-${route.functionName}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Write a handler's result (payload 2.0: a structured result, or any other value as a 200 JSON body). */
function writeResult(res: ServerResponse, result: ApiResult | unknown, requestId: string): number {
  const structured = result && typeof result === 'object' && 'statusCode' in result ? (result as ApiResult) : undefined;
  const status = structured?.statusCode ?? 200;
  const text = structured ? (structured.body ?? '') : JSON.stringify(result);
  const body = structured?.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text);
  const headers: Record<string, string> = { 'apigw-requestid': requestId, ...(structured ? {} : { 'content-type': 'application/json' }) };
  for (const [k, v] of Object.entries(structured?.headers ?? {})) headers[k.toLowerCase()] = String(v);
  headers['content-length'] = String(body.length);
  res.writeHead(status, headers);
  if (structured?.cookies?.length) res.setHeader('set-cookie', structured.cookies);
  res.end(body);
  return status;
}

/**
 * An HTTP server in front of the API's own Lambda handlers, as API Gateway (HTTP API, IAM auth) is on AWS: it
 * matches the route (404 for an unknown path, 405 with `Allow` for a known path with another method, both
 * `application/problem+json`), checks the request's SigV4 signature against `credentials` (403 when missing,
 * wrong or expired), builds the payload 2.0 event and runs the route's handler. It never answers with a stack trace.
 * The handlers find the state machines and the registry through the environment a running local stack sets.
 * @example const api = await startApiServer({ port: 0, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.includes(host)) throw new Error(`--host must be a loopback address (${LOOPBACK_HOSTS.join(', ')}); got "${host}"`);
  const log = options.log ?? (() => undefined);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const requestId = randomUUID();
    const method = (req.method ?? 'GET').toUpperCase();
    const target = req.url ?? '/';
    const path = target.split('?')[0];
    const found = findRoute(method, path);
    if (!found) {
      req.resume();
      gatewayProblem(res, 404, 'NotFound', 'No such route', `No route for ${method} ${path}. The routes: ${routeList()}.`);
      return 404;
    }
    if ('allow' in found) {
      req.resume();
      const allow = found.allow.join(', ');
      gatewayProblem(res, 405, 'MethodNotAllowed', 'Method not allowed', `${path} has no ${method} route; it answers ${allow}.`, { allow });
      return 405;
    }
    const body = await readBody(req, GATEWAY_MAX_BODY_BYTES);
    if (!body) {
      gatewayProblem(res, 413, 'PayloadTooLarge', 'The request body is too large', `The body is over ${GATEWAY_MAX_BODY_BYTES} bytes (API Gateway's limit). Nothing was changed.`, { connection: 'close' });
      return 413;
    }
    let caller: { accessKeyId: string } | undefined;
    if (options.credentials) {
      const verdict = await verifySigV4({ method, url: target, headers: req.headers, body }, options.credentials);
      if (!verdict.ok) {
        gatewayProblem(res, 403, 'Forbidden', 'Forbidden', verdict.message);
        return 403;
      }
      caller = { accessKeyId: verdict.accessKeyId };
    }
    const event = apiGatewayEvent(req, found.route, found.pathParameters, body, requestId, caller);
    const result = await found.route.handler(event, lambdaContext(found.route, requestId));
    return writeResult(res, result, requestId);
  };

  const server = createServer((req, res) => {
    const t0 = Date.now();
    handle(req, res).then(
      (status) => log(`${req.method} ${req.url} -> ${status} (${Date.now() - t0} ms)`),
      (error: unknown) => {
        const requestId = randomUUID();
        log(`${req.method} ${req.url} -> 500: unexpected error (request ${requestId}): ${(error as Error)?.stack ?? String(error)}`);
        if (!res.headersSent) gatewayProblem(res, 500, 'InternalError', 'Internal error', `Internal error; quote request ID ${requestId} to the operator.`, {});
        else res.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    server,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

const routeList = (): string => ROUTES.map((r) => `${r.method} ${r.path}`).join(', ');

/**
 * The credentials the local stack signs with: the environment's (the local stack sets `testing` / `testing` when
 * there are none), else the default provider chain (a profile).
 */
export async function localCredentials(): Promise<Credentials> {
  if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY, sessionToken: process.env.AWS_SESSION_TOKEN || undefined };
  }
  const c = await fromNodeProviderChain()();
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
}

export interface ServeOptions extends Pick<LocalStackOptions, 'profile' | 'faults' | 'seed' | 'stateDir' | 'iam'> {
  port: number;
  host?: string;
  /** false: accept unsigned requests (`--no-auth`). */
  auth: boolean;
  log?: (line: string) => void;
  /** Forward every completion event to this URL (`--events-to`), as an EventBridge API destination would. */
  eventsTo?: URL;
  /** Where a forwarding failure is reported. */
  warn?: (line: string) => void;
}

export interface Serving {
  api: ApiServer;
  stack: LocalStack;
  /** The credentials requests are checked against (also when `auth` is off: what a client may sign with). */
  credentials: Credentials;
  /** The completion-event forwarder, with `--events-to`. */
  forwarder?: EventForwarder;
  /**
   * Stop cleanly: the server first (no new requests), then the stack (running executions recorded as stopped,
   * moto), then the forwarder (deliveries under way finish).
   */
  stop(): Promise<void>;
}

/**
 * `byoc serve`: the local stack (embedded moto unless `AWS_ENDPOINT_URL` is set, the engine, the local Step
 * Functions API) and the HTTP API in front of the same handlers. Executions run in the background of this process.
 * @example const serving = await serve({ port: 0, auth: true, profile: 'instant' }); ...; await serving.stop();
 */
export async function serve(options: ServeOptions): Promise<Serving> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.includes(host)) throw new Error(`--host must be a loopback address (${LOOPBACK_HOSTS.join(', ')}); got "${host}"`);
  const stack = await startLocalStack({ profile: options.profile, faults: options.faults, seed: options.seed, iam: options.iam, stateDir: options.stateDir, sfnServer: true });
  try {
    const credentials = await localCredentials();
    const api = await startApiServer({ port: options.port, host, credentials: options.auth ? credentials : undefined, log: options.log });
    const forwarder = options.eventsTo ? forwardCompletionEvents(options.eventsTo, { warn: options.warn }) : undefined;
    let stopping: Promise<void> | undefined;
    return {
      api,
      stack,
      credentials,
      forwarder,
      stop: () =>
        (stopping ??= (async () => {
          await api.close();
          await stack.stop();
          await forwarder?.stop();
        })()),
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
