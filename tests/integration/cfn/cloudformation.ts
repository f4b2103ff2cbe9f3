import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { handler } from '../../../functions/cfn/provider';
import type { CustomResourceEvent } from '../../../shared/cfn/custom-resource';
import { lambdaContext } from '../../fixtures/api-events';

/** One PUT CloudFormation's presigned URL received. */
export interface ResponsePut {
  requestId: string;
  body: Record<string, unknown> & { Status: 'SUCCESS' | 'FAILED'; PhysicalResourceId: string; Reason?: string; Data?: Record<string, string> };
  headers: IncomingMessage['headers'];
  /** The HTTP status we answered the PUT with (500 for one we made fail). */
  answeredWith: number;
}

export interface Request {
  type: 'Create' | 'Update' | 'Delete';
  properties: Record<string, unknown>;
  oldProperties?: Record<string, unknown>;
  physicalId?: string;
  /** How long each invocation may run (default: the harness's). */
  invocationMs?: number;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * CloudFormation, played over HTTP for one stack: it sends the custom resource its events as CloudFormation does
 * (an asynchronous invocation of the handler, with a presigned URL to PUT the answer to), receives the answers on a
 * local server, and serves the Lambda Invoke API, so the handler's hand-offs to a fresh invocation of itself run
 * here as new invocations (each with the same short time budget).
 *
 * It checks CloudFormation's side of the contract: each request gets exactly one accepted answer
 * ({@link expectEachAnsweredOnce}), with the presigned-URL rules (`content-type: ''`).
 */
export class FakeCloudFormation {
  stackId = FakeCloudFormation.newStackId();
  readonly puts: ResponsePut[] = [];
  /** Answers PUT (the first `n` PUTs of a request fail with 500, as S3 sometimes does). */
  failPuts = new Map<string, number>();
  /** When set, every hand-off (Lambda Invoke) is refused with this HTTP status. */
  refuseInvokes: number | undefined;
  invocations = 0;
  handOffs = 0;
  private responseServer?: Server;
  private lambdaServer?: Server;
  private responseBase = '';
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waiters = new Map<string, ((put: ResponsePut) => void)[]>();
  private savedLambdaEndpoint: string | undefined;

  constructor(private readonly options: { invocationMs: number; logicalId?: string }) {}

  private static newStackId(): string {
    return `arn:aws:cloudformation:us-west-2:123456789012:stack/byoc-${randomUUID().slice(0, 8)}/${randomUUID()}`;
  }

  /**
   * Another stack, same servers (the handler's Lambda client keeps the Invoke endpoint it was first built with, as a
   * Lambda's does): waits for the previous stack's invocations, then forgets its answers and faults.
   */
  async newStack(): Promise<void> {
    await this.settle();
    this.stackId = FakeCloudFormation.newStackId();
    this.puts.length = 0;
    this.failPuts.clear();
    this.refuseInvokes = undefined;
    this.invocations = 0;
    this.handOffs = 0;
  }

  get logicalId(): string {
    return this.options.logicalId ?? 'Byoc';
  }

  async start(): Promise<void> {
    this.responseServer = createServer((req, res) => void this.onPut(req, res));
    this.responseBase = await listen(this.responseServer);
    this.lambdaServer = createServer((req, res) => void this.onInvoke(req, res));
    const lambdaEndpoint = await listen(this.lambdaServer);
    this.savedLambdaEndpoint = process.env.AWS_ENDPOINT_URL_LAMBDA;
    process.env.AWS_ENDPOINT_URL_LAMBDA = lambdaEndpoint;
  }

  async stop(): Promise<void> {
    await this.settle();
    if (this.savedLambdaEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    else process.env.AWS_ENDPOINT_URL_LAMBDA = this.savedLambdaEndpoint;
    for (const server of [this.responseServer, this.lambdaServer]) {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
  }

  /** Wait until no invocation runs any more (hand-offs included). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Send a request and wait for its (accepted) answer. */
  async send(request: Request, timeoutMs = 120_000): Promise<ResponsePut['body'] & { requestId: string }> {
    const requestId = this.dispatch(request);
    const put = await this.answerTo(requestId, timeoutMs);
    return { ...put.body, requestId };
  }

  /** Send a request without waiting (CloudFormation may send a Delete while a Create still runs). */
  dispatch(request: Request): string {
    const requestId = randomUUID();
    const event = {
      RequestType: request.type,
      ServiceToken: 'arn:aws:lambda:us-west-2:123456789012:function:byoc-provisioner-test-CustomResourceProvider',
      ResponseURL: `${this.responseBase}/cloudformation-custom-resource-response-uswest2/${encodeURIComponent(this.stackId)}%7C${this.logicalId}%7C${requestId}?X-Amz-Signature=secret`,
      StackId: this.stackId,
      RequestId: requestId,
      LogicalResourceId: this.logicalId,
      ResourceType: 'Custom::ByocProvisioning',
      ResourceProperties: request.properties,
      ...(request.oldProperties ? { OldResourceProperties: request.oldProperties } : {}),
      ...(request.physicalId ? { PhysicalResourceId: request.physicalId } : {}),
    } as CloudFormationCustomResourceEvent;
    this.invoke(event, request.invocationMs);
    return requestId;
  }

  /** The accepted answer to a request (waits for it). */
  answerTo(requestId: string, timeoutMs = 120_000): Promise<ResponsePut> {
    const accepted = this.puts.find((p) => p.requestId === requestId && p.answeredWith === 200);
    if (accepted) return Promise.resolve(accepted);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to request ${requestId} within ${timeoutMs} ms`)), timeoutMs);
      const list = this.waiters.get(requestId) ?? [];
      list.push((put) => {
        clearTimeout(timer);
        resolve(put);
      });
      this.waiters.set(requestId, list);
    });
  }

  /** Every PUT of one request (accepted or not). */
  putsFor(requestId: string): ResponsePut[] {
    return this.puts.filter((p) => p.requestId === requestId);
  }

  /** CloudFormation's side of the contract: every request answered, each exactly once (one accepted PUT). */
  async expectEachAnsweredOnce(requestIds: string[]): Promise<void> {
    await this.settle();
    for (const id of requestIds) {
      const accepted = this.putsFor(id).filter((p) => p.answeredWith === 200);
      if (accepted.length !== 1) throw new Error(`request ${id} was answered ${accepted.length} times: ${JSON.stringify(this.putsFor(id).map((p) => p.body))}`);
    }
  }

  private invoke(event: CustomResourceEvent, invocationMs = this.options.invocationMs): void {
    this.invocations++;
    const run = (async () => {
      try {
        await handler(event, lambdaContext(invocationMs));
      } catch {
        // A failed asynchronous invocation: Lambda would retry it; the tests look at the answers instead.
      }
    })();
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async onPut(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const requestId = decodeURIComponent(req.url ?? '').split('?')[0].split('|').pop() ?? '';
    const failuresLeft = this.failPuts.get(requestId) ?? 0;
    const answeredWith = failuresLeft > 0 ? 500 : 200;
    if (failuresLeft > 0) this.failPuts.set(requestId, failuresLeft - 1);
    const put: ResponsePut = { requestId, body: JSON.parse(text) as ResponsePut['body'], headers: req.headers, answeredWith };
    this.puts.push(put);
    res.writeHead(answeredWith).end();
    if (answeredWith === 200) for (const waiter of this.waiters.get(requestId) ?? []) waiter(put);
  }

  /** Lambda's Invoke API (`POST /2015-03-31/functions/<name>/invocations`, `X-Amz-Invocation-Type: Event`). */
  private async onInvoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    if (this.refuseInvokes) {
      res.writeHead(this.refuseInvokes, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' }).end(JSON.stringify({ Type: 'User', message: 'Rate Exceeded.' }));
      return;
    }
    if (req.headers['x-amz-invocation-type'] !== 'Event') {
      res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidParameterValueException' }).end(JSON.stringify({ message: 'expected an asynchronous (Event) invocation' }));
      return;
    }
    this.handOffs++;
    res.writeHead(202).end();
    this.invoke(JSON.parse(text) as CustomResourceEvent);
  }
}
