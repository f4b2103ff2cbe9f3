import { UPDATE_EXECUTION_MARKER } from '../constants';
import { parseRequest, type ProvisioningRequest } from '../request';
import { planUpdate, type FieldChange, type UpdatePlan } from '../update/plan';
import { executionsOf, provisionRuns, type ExecutionEntry, type ExecutionKind, type ExecutionStatus, type RegistryRecord, type RegistryStatus } from './record';

/**
 * The lifecycle rules of a provisioning (docs/requirements.md, "Lifecycle", draws them as a state diagram). Pure
 * functions of the registry record: the API, the custom resource and the CLI all decide through them.
 */

/** How many executions one provisioning may have in all (attempts and teardowns); each adds to its 400 KB item. */
export const MAX_EXECUTIONS = 40;

/**
 * A refusal, as the API answers it (409 with `code`), naming the execution in the way when there is one, and for
 * `ReplacementRequired` each field that needs new resources, with why.
 */
export interface Refusal {
  action: 'refuse';
  code: string;
  message: string;
  running?: ExecutionEntry;
  replacement?: FieldChange[];
}

/** A request as the registry keeps it. */
type StoredRequest = NonNullable<RegistryRecord['request']>;

export type StartDecision =
  /** No such provisioning yet: register it and start its first attempt. */
  | { action: 'create' }
  /** The same provisioning (same request, running or succeeded): answer with this execution, start nothing. */
  | { action: 'existing'; execution: ExecutionEntry }
  /**
   * Start another attempt (a new execution name). Nothing of the provisioning is live. With a changed request,
   * `previousRequest` is the one whose leftovers an earlier attempt may have made (its tags are removed from them).
   */
  | { action: 'new-attempt'; previousRequest?: StoredRequest }
  /**
   * Update the live environment in place (execution `<id>--update-<n>`, registry `UPDATING`): every change is in
   * place. `plan.inPlace` lists them against the request the resources were last made or updated with;
   * `previousRequest` is what the registry keeps for ApplyTags (see `RegistryRecord.previousRequest`).
   */
  | { action: 'update'; plan: UpdatePlan; previousRequest: StoredRequest }
  | Refusal;

export type TeardownDecision = { action: 'existing'; execution: ExecutionEntry } | { action: 'new-teardown' } | Refusal;

/**
 * The execution name of a provisioning's n-th attempt, update or teardown (1-based): `<id>`, `<id>--2`,
 * `<id>--update-1`, `<id>--teardown-1`. The provision state machine runs in update mode exactly when its
 * execution name contains `--update-` (which is why no provisioning ID may contain it).
 */
export function executionNameFor(provisioningId: string, kind: ExecutionKind, n: number): string {
  if (kind === 'teardown') return `${provisioningId}--teardown-${n}`;
  if (kind === 'update') return `${provisioningId}${UPDATE_EXECUTION_MARKER}${n}`;
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

const KIND_WORD: Record<ExecutionKind, string> = { provision: 'provisioning', update: 'update', teardown: 'teardown' };
const describeRunning = (e: ExecutionEntry) => `${KIND_WORD[e.kind] ?? e.kind} execution ${e.name} (${e.executionArn}, started ${e.startedAt})`;

/**
 * Rule "start": what `POST /provisionings` (and a stack's Create, and `byoc provision`) does with an ID.
 *
 * - unknown ID: register it, start attempt 1 (execution `<id>`);
 * - same request while it runs (an attempt or an update) or after it succeeded: the same provisioning
 *   (idempotent), nothing new starts;
 * - same request after `FAILED` or `ROLLED_BACK`: a new attempt, `<id>--2`, `<id>--3`, ...;
 * - same request after `UPDATE_FAILED`: the update again, `<id>--update-<n+1>` (it re-applies; nothing is rolled back);
 * - after `TORN_DOWN`: nothing of it is left, so any request starts a new attempt (it becomes the latest request);
 * - another request: {@link onChangedRequest} decides (an in-place update, a new attempt, or 409);
 * - while a teardown runs, or after a rollback or teardown that left resources: 409, tear it down first.
 */
export function decideStart(record: RegistryRecord | undefined, provisioningId: string, request: Record<string, unknown>): StartDecision {
  if (!record) return { action: 'create' };
  const same = sameRequest(provisioningId, record.request, request) || noChange(record.request, request);
  const latest = provisionRuns(record).at(-1);
  switch (record.status) {
    case 'PROVISIONING':
    case 'UPDATING':
    case 'SUCCEEDED':
      if (same && latest) return { action: 'existing', execution: latest };
      return onChangedRequest(record, request);
    case 'FAILED':
    case 'ROLLED_BACK':
      if (!same) return onChangedRequest(record, request);
      return withinBudget(record) ?? { action: 'new-attempt', ...(record.previousRequest ? { previousRequest: record.previousRequest } : {}) };
    case 'UPDATE_FAILED':
      // The same update again, or another one: both are in-place updates of the live environment.
      return onChangedRequest(record, request);
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

/** True when two requests differ in no field of shared/update/plan.ts (e.g. only in how a default is spelled). */
function noChange(stored: RegistryRecord['request'], given: Record<string, unknown>): boolean {
  if (!stored) return false;
  const plan = planUpdate(stored as ProvisioningRequest, given as unknown as ProvisioningRequest);
  return plan.inPlace.length === 0 && plan.replacement.length === 0;
}

/**
 * The request the provisioning's resources were made or last updated with: the registry's `previousRequest` while
 * an update or a changed attempt is pending or failed, else its `request`.
 */
const appliedRequest = (record: RegistryRecord): StoredRequest => (record.previousRequest ?? record.request ?? {}) as StoredRequest;

/**
 * What the registry keeps as `previousRequest` when a new execution with another request starts: the applied
 * request, with the tags of the latest (unapplied or failed) request added, since any of them may have been applied.
 * Its tag keys that the new request drops are the ones ApplyTags removes.
 */
function previousRequestFor(record: RegistryRecord): StoredRequest {
  const applied = appliedRequest(record);
  const latestTags = (record.request?.tags ?? {}) as Record<string, string>;
  if (!record.previousRequest || Object.keys(latestTags).length === 0) return applied;
  return { ...applied, tags: { ...latestTags, ...((applied.tags ?? {}) as Record<string, string>) } };
}

/** The 409 that lists each field needing new resources, why, and the two ways to ask for a replacement explicitly. */
function replacementRequired(record: RegistryRecord, replacement: FieldChange[], leftoversPossible: boolean): Refusal {
  const id = record.provisioningId;
  const fields = replacement.map((c) => `${c.field} (${c.why})`).join('; ');
  const situation = leftoversPossible
    ? `provisioning ${id} is ${record.status}, and what an earlier attempt made with the old request may still exist`
    : `provisioning ${id} is live (${record.status})`;
  return {
    action: 'refuse',
    code: 'ReplacementRequired',
    message:
      `${situation}; this request changes what cannot be changed in place, only by new resources: ${fields}. ` +
      `To replace it, ask explicitly: tear it down (DELETE /provisionings/${id}) and then start it again with this request, ` +
      `or provision under a new provisioningId (and tear down ${id} once you no longer need it). Either way the old environment stays until you say so`,
    replacement,
  };
}

/**
 * The one place that decides what a request that differs from the registry's does to an existing provisioning
 * (shared/update/plan.ts classifies each field; docs/requirements.md, Lifecycle, lists them):
 *
 * - `SUCCEEDED` or `UPDATE_FAILED` (a live environment): every change in place -> an **update** (`<id>--update-<n>`,
 *   status `UPDATING`); any change that needs new resources -> 409 `ReplacementRequired`, listing each field and why,
 *   and saying how to ask for a replacement explicitly. A repeated `UPDATE_FAILED` request is the update again.
 * - `FAILED` or `ROLLED_BACK` (nothing live): every change in place -> a new attempt with the new request (its
 *   rollback is right: nothing live to protect); a change that needs new resources -> 409 `ReplacementRequired`,
 *   since a stopped attempt, or a rollback whose leftover check failed, may have left resources made with the old
 *   request (in another region, or under other names) that a teardown of the new one would never find.
 * - `PROVISIONING` / `UPDATING`: 409 naming the running execution (`ProvisioningExists` / `UpdateRunning`).
 */
export function onChangedRequest(record: RegistryRecord, request: Record<string, unknown>): StartDecision {
  const running = record.currentExecution ?? undefined;
  switch (record.status) {
    case 'PROVISIONING':
      return {
        action: 'refuse',
        code: 'ProvisioningExists',
        message: `provisioning ${record.provisioningId} is being built with a different request${running ? ` by ${describeRunning(running)}` : ''}; send the new request once it ended (an in-place change is then an update), or use another provisioningId`,
        ...(running ? { running } : {}),
      };
    case 'UPDATING':
      return {
        action: 'refuse',
        code: 'UpdateRunning',
        message: `provisioning ${record.provisioningId} is being updated with another request${running ? ` by ${describeRunning(running)}` : ''}; send yours once it ended`,
        ...(running ? { running } : {}),
      };
    case 'SUCCEEDED':
    case 'UPDATE_FAILED': {
      const plan = planUpdate(appliedRequest(record) as ProvisioningRequest, request as unknown as ProvisioningRequest);
      if (plan.replacement.length > 0) return replacementRequired(record, plan.replacement, false);
      return withinBudget(record) ?? { action: 'update', plan, previousRequest: previousRequestFor(record) };
    }
    case 'FAILED':
    case 'ROLLED_BACK': {
      const plan = planUpdate(appliedRequest(record) as ProvisioningRequest, request as unknown as ProvisioningRequest);
      if (plan.replacement.length > 0) return replacementRequired(record, plan.replacement, true);
      return withinBudget(record) ?? { action: 'new-attempt', previousRequest: previousRequestFor(record) };
    }
    default:
      return decideStart(record, record.provisioningId, request);
  }
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
 * - while a provisioning attempt or an update runs: 409 naming it (never a teardown racing the build);
 * - while a teardown runs: 409 naming it (`whileTearingDown: 'refuse'`, the HTTP API), or that teardown
 *   (`'join'`, for callers that wait for it: the custom resource);
 * - after a teardown succeeded: that teardown (idempotent);
 * - otherwise (succeeded, failed, rolled back, a failed teardown): a new teardown, `<id>--teardown-<n>`.
 */
export function decideTeardown(record: RegistryRecord, options: { whileTearingDown?: 'join' | 'refuse' } = {}): TeardownDecision {
  const latest = executionsOf(record, 'teardown').at(-1);
  switch (record.status) {
    case 'PROVISIONING':
    case 'UPDATING': {
      const running = record.currentExecution ?? provisionRuns(record).at(-1)!;
      return {
        action: 'refuse',
        code: record.status === 'UPDATING' ? 'UpdateRunning' : 'ProvisioningRunning',
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
  // An update never rolls back: whatever ended it (a failure, a stop, the time limit), the environment stands.
  if (kind === 'update') return execution.status === 'SUCCEEDED' ? 'SUCCEEDED' : execution.status === 'RUNNING' ? 'UPDATING' : 'UPDATE_FAILED';
  if (kind === 'teardown') return execution.status === 'SUCCEEDED' ? 'TORN_DOWN' : execution.status === 'RUNNING' ? 'TEARING_DOWN' : 'TEARDOWN_FAILED';
  if (execution.status === 'SUCCEEDED') return 'SUCCEEDED';
  if (execution.status === 'RUNNING') return 'PROVISIONING';
  return execution.error === 'RollbackIncompleteError' ? 'ROLLBACK_INCOMPLETE' : 'FAILED';
}
