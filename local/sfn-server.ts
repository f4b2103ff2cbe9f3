import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { WORKFLOWS, type LocalEngine, type WorkflowName } from './engine';
import { executionArn, isValidExecutionName, parseExecutionArn, stateMachineArn, type ExecutionRecord, type ExecutionStatus } from './executions';

/**
 * A local Step Functions API: the JSON 1.0 protocol (`X-Amz-Target: AWSStepFunctions.<Operation>`) for the calls
 * the product's API makes - StartExecution, DescribeExecution, GetExecutionHistory, ListExecutions,
 * StopExecution - on top of the {@link LocalEngine}. `@aws-sdk/client-sfn` works against it unchanged, pointed at
 * it by endpoint (`AWS_ENDPOINT_URL_SFN`). Requests are not signature-checked: it listens on loopback only.
 */

type Obj = Record<string, unknown>;

/** An error the API answers with: `{"__type": type, "message": ...}` and HTTP `status`. */
export class SfnApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

const STATUSES: ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
const MAX_INPUT_BYTES = 256 * 1024;

/** The promise's value, or undefined when it takes longer than `ms` (the timer never outlives the wait). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const epochSeconds = (iso: string | Date | undefined): number | undefined => (iso === undefined ? undefined : new Date(iso).getTime() / 1000);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The workflow a state machine ARN names (only our two exist locally). */
function workflowOf(arn: unknown): WorkflowName {
  const text = str(arn);
  if (!text) throw new SfnApiError('ValidationException', 'stateMachineArn is required');
  const m = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:stateMachine:([\w-]{1,80})$/.exec(text);
  if (!m) throw new SfnApiError('InvalidArn', `Invalid Arn: '${text}'`);
  const name = m[1] as WorkflowName;
  if (!(name in WORKFLOWS) || stateMachineArn(name) !== text) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${text}'`);
  return name;
}

/** A page of `items` from an opaque token; the token is bound to the query so it cannot be reused for another. */
function page<T>(items: T[], body: Obj, query: string): { items: T[]; nextToken?: string } {
  const max = body.maxResults === undefined || body.maxResults === 0 ? 100 : Number(body.maxResults);
  if (!Number.isInteger(max) || max < 0 || max > 1000) throw new SfnApiError('ValidationException', `maxResults must be between 0 and 1000 (got ${String(body.maxResults)})`);
  let offset = 0;
  if (body.nextToken !== undefined && body.nextToken !== null) {
    try {
      const token = JSON.parse(Buffer.from(String(body.nextToken), 'base64url').toString('utf8')) as { q?: string; o?: number };
      if (token.q !== query || !Number.isInteger(token.o) || token.o! < 0) throw new Error('mismatch');
      offset = token.o!;
    } catch {
      throw new SfnApiError('InvalidToken', `Invalid Token: '${String(body.nextToken)}'`);
    }
  }
  const slice = items.slice(offset, offset + max);
  const next = offset + max < items.length ? Buffer.from(JSON.stringify({ q: query, o: offset + max })).toString('base64url') : undefined;
  return { items: slice, nextToken: next };
}

/** A history event as the JSON protocol carries it (timestamps in epoch seconds); without data when asked. */
function wireEvent(event: HistoryEvent, includeData: boolean): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(event)) {
    if (value === undefined) continue;
    if (key === 'timestamp') out.timestamp = epochSeconds(value as Date);
    else if (!includeData && value && typeof value === 'object') {
      const { input: _input, output: _output, ...rest } = value as Obj;
      out[key] = rest;
    } else out[key] = value;
  }
  return out;
}

/**
 * The API's operations as plain functions of the request body, so they can be tested without HTTP.
 *
 * @example const api = sfnApi(engine); await api('StartExecution', { stateMachineArn, name: 'p-1', input: '{}' });
 */
export function sfnApi(engine: LocalEngine): (operation: string, body: Obj) => Promise<Obj> {
  const store = engine.store;

  const load = (arn: unknown): ExecutionRecord => {
    const text = str(arn);
    if (!text) throw new SfnApiError('ValidationException', 'executionArn is required');
    if (!parseExecutionArn(text)) throw new SfnApiError('InvalidArn', `Invalid Arn: '${text}'`);
    const record = store.load(text);
    if (!record) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${text}'`);
    return record;
  };

  const operations: Record<string, (body: Obj) => Promise<Obj>> = {
    async StartExecution(body) {
      const workflow = workflowOf(body.stateMachineArn);
      const name = body.name === undefined ? randomUUID() : str(body.name);
      if (!isValidExecutionName(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${String(body.name)}'`);
      const inputText = body.input === undefined ? '{}' : str(body.input);
      if (inputText === undefined) throw new SfnApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input must be a string of JSON');
      if (Buffer.byteLength(inputText) > MAX_INPUT_BYTES) throw new SfnApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: over ${MAX_INPUT_BYTES} bytes`);
      let input: unknown;
      try {
        input = JSON.parse(inputText);
      } catch (error) {
        throw new SfnApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(error as Error).message}'`);
      }
      // AWS: a name is used once. The same name and input while the first is still open returns the first;
      // anything else - a different input, or the first has closed - is ExecutionAlreadyExists.
      const arn = executionArn(workflow, name);
      const existing = store.load(arn);
      if (existing) {
        if (existing.status === 'RUNNING' && existing.input === JSON.stringify(input)) {
          return { executionArn: arn, startDate: epochSeconds(existing.startDate) };
        }
        throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
      }
      engine.start(workflow, name, input);
      return { executionArn: arn, startDate: epochSeconds(store.load(arn)!.startDate) };
    },

    async DescribeExecution(body) {
      const r = load(body.executionArn);
      return {
        executionArn: r.executionArn,
        stateMachineArn: r.stateMachineArn,
        name: r.name,
        status: r.status,
        startDate: epochSeconds(r.startDate),
        stopDate: epochSeconds(r.stopDate),
        input: r.input,
        inputDetails: { included: true },
        ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
        ...(r.error !== undefined ? { error: r.error } : {}),
        ...(r.cause !== undefined ? { cause: r.cause } : {}),
        redriveCount: 0,
        redriveStatus: 'NOT_REDRIVABLE',
      };
    },

    async GetExecutionHistory(body) {
      const r = load(body.executionArn);
      const reverse = body.reverseOrder === true;
      const includeData = body.includeExecutionData !== false;
      const events = reverse ? [...r.history].reverse() : r.history;
      const { items, nextToken } = page(events, body, `${r.executionArn}|${reverse}`);
      return { events: items.map((e) => wireEvent(e, includeData)), ...(nextToken ? { nextToken } : {}) };
    },

    async ListExecutions(body) {
      if (body.mapRunArn !== undefined) throw new SfnApiError('ValidationException', 'Map runs do not exist on the local stack');
      const workflow = workflowOf(body.stateMachineArn);
      const filter = body.statusFilter;
      if (filter !== undefined && !STATUSES.includes(filter as ExecutionStatus)) {
        throw new SfnApiError('ValidationException', `statusFilter must be one of ${STATUSES.join(', ')} (got ${String(filter)})`);
      }
      const all = store.list(workflow).filter((r) => filter === undefined || r.status === filter);
      const { items, nextToken } = page(all, body, `${workflow}|${String(filter)}`);
      return {
        executions: items.map((r) => ({
          executionArn: r.executionArn,
          stateMachineArn: r.stateMachineArn,
          name: r.name,
          status: r.status,
          startDate: epochSeconds(r.startDate),
          ...(r.stopDate ? { stopDate: epochSeconds(r.stopDate) } : {}),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    },

    /**
     * Not an AWS operation (local only): forget closed executions older than `olderThanDays` (default 90) as of
     * `asOf` (epoch seconds, default now), as Step Functions does 90 days after an execution closes. Lets a test, or
     * someone with `--keep`, see how the product behaves once the executions are gone.
     */
    async ForgetClosedExecutions(body) {
      const olderThanDays = body.olderThanDays === undefined ? undefined : Number(body.olderThanDays);
      if (olderThanDays !== undefined && !(Number.isFinite(olderThanDays) && olderThanDays >= 0)) throw new SfnApiError('ValidationException', 'olderThanDays must be a number of days, 0 or more');
      const asOf = body.asOf === undefined ? undefined : Number(body.asOf) * 1000;
      if (asOf !== undefined && !Number.isFinite(asOf)) throw new SfnApiError('ValidationException', 'asOf must be epoch seconds');
      return { forgotten: store.forgetClosed({ olderThanDays, now: asOf }) };
    },

    async StopExecution(body) {
      const r = load(body.executionArn);
      const error = str(body.error);
      const cause = str(body.cause);
      if (error !== undefined && error.length > 256) throw new SfnApiError('ValidationException', 'error must be at most 256 characters');
      if (cause !== undefined && cause.length > 32768) throw new SfnApiError('ValidationException', 'cause must be at most 32768 characters');
      if (r.status !== 'RUNNING') return { stopDate: epochSeconds(r.stopDate) }; // already closed: nothing to stop
      const running = engine.runningExecutions.get(r.executionArn);
      if (running) {
        running.stop(error, cause);
        // Give the engine a moment to record the abort, so a DescribeExecution right after says ABORTED.
        const final = await within(running.done, 5000);
        return { stopDate: epochSeconds(final?.stopDate ?? new Date()) };
      }
      // Recorded as running by a process that is gone: nothing runs it any more, so close the record.
      const stopDate = new Date();
      store.save({ ...r, status: 'ABORTED', error, cause, stopDate: stopDate.toISOString() });
      return { stopDate: epochSeconds(stopDate) };
    },
  };

  return async (operation, body) => {
    const run = operations[operation];
    if (!run) throw new SfnApiError('UnknownOperationException', `The local Step Functions API does not implement ${operation}`);
    return run(body);
  };
}

/** A running local Step Functions API. */
export interface SfnServer {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL_SFN` or the client's `endpoint`. */
  endpoint: string;
  port: number;
  /** Close the server (open connections are closed too). Safe to call twice. */
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: Obj, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(text);
}

/**
 * Start the local Step Functions API on a free loopback port (or `port`).
 *
 * @example const sfn = await startSfnServer({ engine }); process.env.AWS_ENDPOINT_URL_SFN = sfn.endpoint;
 */
export async function startSfnServer(options: { engine: LocalEngine; port?: number }): Promise<SfnServer> {
  const api = sfnApi(options.engine);
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        const m = /^AWSStepFunctions\.(\w+)$/.exec(target);
        if (req.method !== 'POST' || !m) throw new SfnApiError('UnknownOperationException', `Expected a POST with X-Amz-Target: AWSStepFunctions.<Operation> (got ${req.method} "${target}")`);
        const text = await readBody(req);
        let body: Obj;
        try {
          body = text.trim() === '' ? {} : (JSON.parse(text) as Obj);
        } catch {
          throw new SfnApiError('SerializationException', 'The request body is not JSON');
        }
        send(res, 200, await api(m[1], body));
      } catch (error) {
        if (error instanceof SfnApiError) send(res, error.status, { __type: error.type, message: error.message }, error.type);
        else send(res, 500, { __type: 'InternalFailure', message: (error as Error)?.message ?? String(error) }, 'InternalFailure');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
