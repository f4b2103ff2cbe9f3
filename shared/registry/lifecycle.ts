import { parseRequest } from '../request';
import { executionsOf, type ExecutionEntry, type ExecutionKind, type ExecutionStatus, type RegistryRecord, type RegistryStatus } from './record';

/**
 * The lifecycle rules of a provisioning (docs/requirements.md, "Lifecycle", draws them as a state diagram). Pure
 * functions of the registry record: the API, the custom resource and the CLI all decide through them.
 */

/** How many executions one provisioning may have in all (attempts and teardowns); each adds to its 400 KB item. */
export const MAX_EXECUTIONS = 40;

/** A refusal, as the API answers it (409 with `code`), naming the execution in the way when there is one. */
export interface Refusal {
  action: 'refuse';
  code: string;
  message: string;
  running?: ExecutionEntry;
}

export type StartDecision =
  /** No such provisioning yet: register it and start its first attempt. */
  | { action: 'create' }
  /** The same provisioning (same request, running or succeeded): answer with this execution, start nothing. */
  | { action: 'existing'; execution: ExecutionEntry }
  /** Start another attempt (a new execution name). */
  | { action: 'new-attempt' }
  | Refusal;

export type TeardownDecision = { action: 'existing'; execution: ExecutionEntry } | { action: 'new-teardown' } | Refusal;

/** The execution name of a provisioning's n-th attempt or teardown (1-based): `<id>`, `<id>--2`, `<id>--teardown-1`. */
export function executionNameFor(provisioningId: string, kind: ExecutionKind, n: number): string {
  if (kind === 'teardown') return `${provisioningId}--teardown-${n}`;
  return n <= 1 ? provisioningId : `${provisioningId}--${n}`;
}

/** The number the next execution of a kind gets (one more than those recorded). */
export const nextExecutionNumber = (record: Pick<RegistryRecord, 'executions'> | undefined, kind: ExecutionKind): number => (record ? executionsOf(record, kind).length : 0) + 1;

/**
 * Whether two requests ask for the same provisioning: equal once validated and defaulted (an omitted default and
 * the default spelled out are the same request). A stored request that no longer validates is compared as is.
 */
export function sameRequest(provisioningId: string, stored: Record<string, unknown> | null, given: Record<string, unknown>): boolean {
  if (!stored) return false;
  const normal = (r: Record<string, unknown>) => {
    try {
      return parseRequest({ ...r, provisioningId });
    } catch {
      return { ...r, provisioningId };
    }
  };
  return canonical(normal(stored)) === canonical(normal(given));
}

/** True when two values are the same JSON data (whatever the key order). */
export const sameJson = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** JSON with sorted keys: equal data, equal text (whatever the key order or the objects' origin). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const describeRunning = (e: ExecutionEntry) => `${e.kind === 'provision' ? 'provisioning' : 'teardown'} execution ${e.name} (${e.executionArn}, started ${e.startedAt})`;

/**
 * Rule "start": what `POST /provisionings` (and a stack's Create, and `byoc provision`) does with an ID.
 *
 * - unknown ID: register it, start attempt 1 (execution `<id>`);
 * - same request while it runs or after it succeeded: the same provisioning (idempotent), nothing new starts;
 * - same request after `FAILED` or `ROLLED_BACK`: a new attempt, `<id>--2`, `<id>--3`, ...;
 * - after `TORN_DOWN`: nothing of it is left, so any request starts a new attempt (it becomes the latest request);
 * - another request while it exists: 409 (see {@link onChangedRequest});
 * - while a teardown runs, or after a rollback or teardown that left resources: 409, tear it down first.
 */
export function decideStart(record: RegistryRecord | undefined, provisioningId: string, request: Record<string, unknown>): StartDecision {
  if (!record) return { action: 'create' };
  const same = sameRequest(provisioningId, record.request, request);
  const latest = executionsOf(record, 'provision').at(-1);
  switch (record.status) {
    case 'PROVISIONING':
    case 'SUCCEEDED':
      if (same && latest) return { action: 'existing', execution: latest };
      return onChangedRequest(record);
    case 'FAILED':
    case 'ROLLED_BACK':
      if (!same) return onChangedRequest(record);
      return withinBudget(record) ?? { action: 'new-attempt' };
    case 'TORN_DOWN':
      return withinBudget(record) ?? { action: 'new-attempt' };
    case 'TEARING_DOWN':
      return {
        action: 'refuse',
        code: 'TeardownRunning',
        message: `provisioning ${record.provisioningId} is being torn down by ${describeRunning(record.currentExecution ?? latest!)}; start it again once that ended`,
        ...(record.currentExecution ? { running: record.currentExecution } : {}),
      };
    case 'ROLLBACK_INCOMPLETE':
    case 'TEARDOWN_FAILED':
      return {
        action: 'refuse',
        code: 'TeardownNeeded',
        message: `provisioning ${record.provisioningId} is ${record.status}: resources of it are left. Tear it down (DELETE /provisionings/${record.provisioningId}), then start it again`,
      };
  }
}

/**
 * The one place that decides what a changed request for an existing provisioning does. Today: 409. (In-place
 * updates and explicit replacements will be decided here.)
 */
export function onChangedRequest(record: RegistryRecord): Refusal {
  return {
    action: 'refuse',
    code: 'ProvisioningExists',
    message: `provisioning ${record.provisioningId} already exists (${record.status}) with a different request; use another provisioningId, or tear it down first`,
    ...(record.currentExecution ? { running: record.currentExecution } : {}),
  };
}

function withinBudget(record: RegistryRecord): Refusal | undefined {
  if (record.executions.length < MAX_EXECUTIONS) return undefined;
  return {
    action: 'refuse',
    code: 'TooManyAttempts',
    message: `provisioning ${record.provisioningId} has had ${record.executions.length} executions; look at why they fail before trying again (or use another provisioningId)`,
  };
}

/**
 * Rule "delete": what `DELETE /provisionings/{id}` (and a stack's Delete, and `byoc teardown`) does.
 *
 * - while a provisioning attempt runs: 409 naming it (never a teardown racing the build);
 * - while a teardown runs: 409 naming it (`whileTearingDown: 'refuse'`, the HTTP API), or that teardown
 *   (`'join'`, for callers that wait for it: the custom resource);
 * - after a teardown succeeded: that teardown (idempotent);
 * - otherwise (succeeded, failed, rolled back, a failed teardown): a new teardown, `<id>--teardown-<n>`.
 */
export function decideTeardown(record: RegistryRecord, options: { whileTearingDown?: 'join' | 'refuse' } = {}): TeardownDecision {
  const latest = executionsOf(record, 'teardown').at(-1);
  switch (record.status) {
    case 'PROVISIONING': {
      const running = record.currentExecution ?? executionsOf(record, 'provision').at(-1)!;
      return {
        action: 'refuse',
        code: 'ProvisioningRunning',
        message: `provisioning ${record.provisioningId} is still running: ${describeRunning(running)}; tear it down once it ended`,
        running,
      };
    }
    case 'TEARING_DOWN': {
      const running = record.currentExecution ?? latest!;
      if (options.whileTearingDown === 'join' && running) return { action: 'existing', execution: running };
      return { action: 'refuse', code: 'TeardownRunning', message: `provisioning ${record.provisioningId} is already being torn down: ${describeRunning(running)}`, running };
    }
    case 'TORN_DOWN':
      if (latest) return { action: 'existing', execution: latest };
      return { action: 'new-teardown' };
    default:
      return withinBudget(record) ?? { action: 'new-teardown' };
  }
}

/**
 * The registry status a closed execution leads to (what its state machine writes at its end; used to repair a
 * record whose end was not written).
 */
export function outcomeOf(kind: ExecutionKind, execution: { status: ExecutionStatus | string; error?: string }): RegistryStatus {
  if (kind === 'teardown') return execution.status === 'SUCCEEDED' ? 'TORN_DOWN' : execution.status === 'RUNNING' ? 'TEARING_DOWN' : 'TEARDOWN_FAILED';
  if (execution.status === 'SUCCEEDED') return 'SUCCEEDED';
  if (execution.status === 'RUNNING') return 'PROVISIONING';
  return execution.error === 'RollbackIncompleteError' ? 'ROLLBACK_INCOMPLETE' : 'FAILED';
}
