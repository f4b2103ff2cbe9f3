import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { InvalidInputError } from '../errors';
import { parseRequest, type ProvisioningRequest } from '../request';
import type { ProvisioningOutputs } from '../state';
import { readableError, summarizeHistory, type ReadableError, type StepProgress } from '../status';
import { teardownInputFor } from '../teardown-request';

/** Where the service finds its state machines. */
export interface ProvisioningServiceDeps {
  sfn: SFNClient;
  provisionStateMachineArn: string;
  teardownStateMachineArn: string;
}

/** An HTTP-mappable failure: 404 / 409 with a message the caller can act on. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface StartedExecution {
  provisioningId: string;
  executionArn: string;
  status: string;
  startedAt: string;
}

/** What GET /provisionings/{id} answers. */
export interface ProvisioningStatus {
  provisioningId: string;
  executionArn: string;
  status: string;
  startedAt: string;
  stoppedAt: string | null;
  steps: StepProgress[];
  outputs: unknown;
  error: ReadableError | null;
  teardown: { executionArn: string; status: string; startedAt: string; stoppedAt: string | null; error: ReadableError | null } | null;
}

/** `arn:...:stateMachine:NAME` + execution name -> `arn:...:execution:NAME:EXEC`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function checkId(provisioningId: string): void {
  if (!ID_PATTERN.test(provisioningId)) {
    throw new InvalidInputError([{ field: 'provisioningId', rule: 'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit' }]);
  }
}

/**
 * Start a provisioning. The execution name is the provisioning ID, so Step Functions makes the start idempotent:
 * the same ID with the same request returns the first execution; the same ID with a different request is a
 * conflict (409). Without an ID (in the body or as the idempotency key) a new one is made.
 *
 * @example await startProvisioning({ projectName: 'demo', region: 'us-west-2' }, deps, 'order-42')
 */
export async function startProvisioning(body: unknown, deps: ProvisioningServiceDeps, idempotencyKey?: string): Promise<StartedExecution> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidInputError([{ field: '(request)', rule: 'must be a JSON object' }]);
  const given = (body as { provisioningId?: unknown }).provisioningId;
  if (idempotencyKey !== undefined && given !== undefined && given !== idempotencyKey) {
    throw new InvalidInputError([{ field: 'provisioningId', rule: `differs from the Idempotency-Key header (${idempotencyKey}); send one or make them equal` }]);
  }
  const provisioningId = (given as string | undefined) ?? idempotencyKey ?? `p-${randomUUID()}`;
  const request: ProvisioningRequest = { ...(body as ProvisioningRequest), provisioningId };
  parseRequest(request); // the state machine validates again (console starts); this answers the API caller at once
  try {
    const out = await deps.sfn.send(
      new StartExecutionCommand({ stateMachineArn: deps.provisionStateMachineArn, name: provisioningId, input: JSON.stringify(request) }),
    );
    return { provisioningId, executionArn: out.executionArn!, status: 'RUNNING', startedAt: new Date(out.startDate!).toISOString() };
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists')) throw error;
    // AWS answers ExecutionAlreadyExists for a closed execution even with the same input. A retried start of the
    // same request is still the same provisioning: answer with it. Only a different request is a conflict.
    const executionArn = executionArnOf(deps.provisionStateMachineArn, provisioningId);
    const existing = await describe(deps, executionArn);
    if (existing && isDeepStrictEqual(JSON.parse(existing.input ?? 'null'), request)) {
      return { provisioningId, executionArn, status: existing.status!, startedAt: new Date(existing.startDate!).toISOString() };
    }
    throw new ApiError(409, 'ProvisioningExists', `provisioning ${provisioningId} already exists with a different request; use another provisioningId or tear it down first`);
  }
}

async function describe(deps: ProvisioningServiceDeps, executionArn: string): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

/** Every history event of an execution (pages through GetExecutionHistory). */
export async function fullHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * The latest teardown of a provisioning. Teardowns are named `<id>--teardown-<n>`, n = 1, 2, ...: probing those
 * names costs one DescribeExecution per attempt, where listing would read every execution of the state machine.
 */
async function latestTeardown(deps: ProvisioningServiceDeps, provisioningId: string): Promise<{ n: number; execution: DescribeExecutionCommandOutput } | undefined> {
  let latest: { n: number; execution: DescribeExecutionCommandOutput } | undefined;
  for (let n = 1; n <= MAX_TEARDOWN_ATTEMPTS; n++) {
    const execution = await describe(deps, executionArnOf(deps.teardownStateMachineArn, `${provisioningId}--teardown-${n}`));
    if (!execution) return latest;
    latest = { n, execution };
  }
  throw new ApiError(409, 'TooManyTeardowns', `provisioning ${provisioningId} has had ${MAX_TEARDOWN_ATTEMPTS} teardown attempts; look at why they fail before trying again`);
}

/** A bound on teardown attempts per provisioning (each failed one is kept in the history). */
const MAX_TEARDOWN_ATTEMPTS = 100;

/**
 * The status of a provisioning: per-step progress from the execution history, outputs, a readable error, and the
 * latest teardown. Read from Step Functions itself: there is no other database.
 * @throws ApiError 404 when there is no such provisioning.
 */
export async function getProvisioning(provisioningId: string, deps: ProvisioningServiceDeps): Promise<ProvisioningStatus> {
  checkId(provisioningId);
  const executionArn = executionArnOf(deps.provisionStateMachineArn, provisioningId);
  const execution = await describe(deps, executionArn);
  if (!execution) throw new ApiError(404, 'ProvisioningNotFound', `no provisioning ${provisioningId}`);
  const history = await fullHistory(deps.sfn, executionArn);
  const teardown = (await latestTeardown(deps, provisioningId))?.execution;
  const failed = (e: DescribeExecutionCommandOutput) => e.status !== 'SUCCEEDED' && e.status !== 'RUNNING';
  return {
    provisioningId,
    executionArn,
    status: execution.status!,
    startedAt: new Date(execution.startDate!).toISOString(),
    stoppedAt: execution.stopDate ? new Date(execution.stopDate).toISOString() : null,
    steps: summarizeHistory(history),
    outputs: execution.output ? JSON.parse(execution.output) : null,
    error: failed(execution) ? readableError(execution.error, execution.cause) : null,
    teardown: teardown
      ? {
          executionArn: teardown.executionArn!,
          status: teardown.status!,
          startedAt: new Date(teardown.startDate!).toISOString(),
          stoppedAt: teardown.stopDate ? new Date(teardown.stopDate).toISOString() : null,
          error: failed(teardown) ? readableError(teardown.error, teardown.cause) : null,
        }
      : null,
  };
}

/**
 * Start tearing a provisioning down (idempotent): while a teardown runs, or after one succeeded, asking again
 * returns that one; after a failed one, a new attempt starts.
 * @throws ApiError 404 when there is no such provisioning.
 */
export async function startTeardown(provisioningId: string, deps: ProvisioningServiceDeps): Promise<StartedExecution> {
  checkId(provisioningId);
  const execution = await describe(deps, executionArnOf(deps.provisionStateMachineArn, provisioningId));
  if (!execution) throw new ApiError(404, 'ProvisioningNotFound', `no provisioning ${provisioningId}`);
  const latest = await latestTeardown(deps, provisioningId);
  if (latest && (latest.execution.status === 'RUNNING' || latest.execution.status === 'SUCCEEDED')) {
    const { executionArn, status, startDate } = latest.execution;
    return { provisioningId, executionArn: executionArn!, status: status!, startedAt: new Date(startDate!).toISOString() };
  }
  const original = JSON.parse(execution.input ?? '{}') as ProvisioningRequest;
  const input = teardownInputFor(provisioningId, original, execution.output ? (JSON.parse(execution.output) as ProvisioningOutputs) : null);
  const name = `${provisioningId}--teardown-${(latest?.n ?? 0) + 1}`;
  const out = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: deps.teardownStateMachineArn, name, input: JSON.stringify(input) }));
  return { provisioningId, executionArn: out.executionArn!, status: 'RUNNING', startedAt: new Date(out.startDate!).toISOString() };
}

/** The original request of a provisioning (its execution input), for operations on a finished provisioning. */
export async function requestOf(provisioningId: string, deps: ProvisioningServiceDeps): Promise<{ request: ProvisioningRequest; status: string; outputs: unknown }> {
  checkId(provisioningId);
  const execution = await describe(deps, executionArnOf(deps.provisionStateMachineArn, provisioningId));
  if (!execution) throw new ApiError(404, 'ProvisioningNotFound', `no provisioning ${provisioningId}`);
  return { request: JSON.parse(execution.input ?? '{}') as ProvisioningRequest, status: execution.status!, outputs: execution.output ? JSON.parse(execution.output) : null };
}

/** Check a request without starting anything: the normalised request, or the problems. */
export function validateProvisioningRequest(body: unknown): { valid: true; request: ProvisioningRequest } {
  return { valid: true, request: parseRequest(body) };
}
