import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ProvisioningRequest } from '../request';
import type { ProvisioningOutputs } from '../state';

/**
 * The lifecycle of a provisioning, as the registry records it (docs/requirements.md, "Lifecycle" draws it):
 *
 * - `PROVISIONING`: an attempt is running.
 * - `SUCCEEDED`: the latest attempt built everything; `outputs` holds what it handed back.
 * - `FAILED`: the latest attempt failed without a completed rollback record: it failed before it made anything
 *   (invalid input, the customer role could not be assumed), or it was stopped, timed out or never started.
 * - `ROLLED_BACK`: the latest attempt failed, and its rollback removed everything it had made.
 * - `ROLLBACK_INCOMPLETE`: the latest attempt failed and its rollback left resources (named in the error): a
 *   teardown is needed.
 * - `UPDATING`: an update is running: the provision workflow in update mode, re-applying a changed request whose
 *   changes are all in place (shared/update/plan.ts) to the live environment. `outputs` still describe it.
 * - `UPDATE_FAILED`: the latest update failed. Nothing was rolled back or deleted: the resources are as they were,
 *   or partly updated; `outputs` still describe them. The same update again is safe (it re-applies), and so is
 *   another in-place request; a teardown too.
 * - `TEARING_DOWN`: a teardown is running.
 * - `TORN_DOWN`: the latest teardown removed everything (except a bucket that holds data, which it keeps).
 * - `TEARDOWN_FAILED`: the latest teardown did not remove everything; another teardown may.
 */
export const REGISTRY_STATUSES = [
  'PROVISIONING',
  'SUCCEEDED',
  'FAILED',
  'ROLLED_BACK',
  'ROLLBACK_INCOMPLETE',
  'UPDATING',
  'UPDATE_FAILED',
  'TEARING_DOWN',
  'TORN_DOWN',
  'TEARDOWN_FAILED',
] as const;
export type RegistryStatus = (typeof REGISTRY_STATUSES)[number];

/**
 * What an execution did to a provisioning: a provisioning attempt (`provision`) or an in-place update (`update`),
 * both runs of the provision state machine (an update is named `<id>--update-<n>`), or a teardown.
 */
export type ExecutionKind = 'provision' | 'update' | 'teardown';

/** Step Functions' own status of an execution. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** An error as Step Functions reports it (`error` name, `cause` text, which for a Lambda error is Lambda's JSON). */
export interface RecordedError {
  error: string;
  cause: string;
}

/** One execution that acted on a provisioning. */
export interface ExecutionEntry {
  kind: ExecutionKind;
  /**
   * The execution name: `<id>` for the first attempt, `<id>--<n>` for later ones, `<id>--update-<n>` for updates,
   * `<id>--teardown-<n>` for teardowns.
   */
  name: string;
  executionArn: string;
  startedAt: string;
  status: ExecutionStatus;
  stoppedAt?: string;
  /** The registry status this execution led to when it ended (`SUCCEEDED`, `ROLLED_BACK`, `TORN_DOWN`, ...). */
  outcome?: RegistryStatus;
  /** Why it failed, when it did. */
  error?: RecordedError;
}

/**
 * One provisioning, as the registry keeps it: the durable record every entry point reads first. Step Functions
 * forgets a closed execution after 90 days; this record outlives them all.
 *
 * Never in it: credentials (the API has none to keep: it assumes the customer's role only with the external ID)
 * and presigned URLs (CloudFormation's ResponseURL stays in the custom resource). The request is kept whole,
 * external IDs included: see docs/decisions.md ("The registry") for why an external ID is not a secret.
 */
export interface RegistryRecord {
  provisioningId: string;
  status: RegistryStatus;
  /**
   * The latest request, as the caller sent it (a console start may omit `provisioningId`). Null only for a record
   * that a teardown of an unregistered provisioning created.
   */
  request: (Partial<ProvisioningRequest> & Record<string, unknown>) | null;
  /**
   * The request the resources that exist were made or last updated with, while it differs from `request`: set when
   * an update starts (or a new attempt with a changed request after a failure), kept after it fails, cleared when an
   * execution succeeds. ApplyTags removes the keys of its `tags` that `request` no longer has (and only those).
   * After a failed update followed by another request, its `tags` also hold the failed request's tags: any of
   * them may have been applied.
   */
  previousRequest?: (Partial<ProvisioningRequest> & Record<string, unknown>) | null;
  /** What the latest successful attempt handed back (C1); kept after a teardown, as a record of what existed. */
  outputs: ProvisioningOutputs | null;
  /** The execution running now, if any (set at its start, cleared at its end). */
  currentExecution: ExecutionEntry | null;
  /** Every execution that acted on it, oldest first. */
  executions: ExecutionEntry[];
  createdAt: string;
  updatedAt: string;
  /** Optimistic locking: every write adds one; a conditional write names the version it read. */
  version: number;
  /**
   * The last verdict of the scheduled health check (shared/health/sweep.ts writes it; docs/decisions.md 26), absent
   * until one ran: `verdict` (`HEALTHY`, `DEGRADED`, `BROKEN`), when, and the numbers of the requirements it named.
   */
  health?: RecordedHealth;
}

/** The last health verdict the sweep recorded (item attributes `healthVerdict`, `healthCheckedAt`, `healthIssues`). */
export interface RecordedHealth {
  verdict: string;
  checkedAt: string;
  /** The numbers of the failed and warned requirements, e.g. `["V6", "R2"]`. */
  issues: string[];
}

/**
 * The item as DynamoDB stores it. `request` and `outputs` are JSON text: the state machines write them with
 * `States.JsonToString` (an SDK integration cannot turn arbitrary JSON into typed attribute values), so the code
 * writes them the same way. `executions` is a map keyed by execution name, so a state machine can update its own
 * entry (`executions.#name.status`) idempotently, without knowing its position in a list.
 */
interface RegistryItem {
  provisioningId: string;
  status?: RegistryStatus;
  request?: string;
  previousRequest?: string;
  outputs?: string;
  currentExecution?: ExecutionEntry;
  executions?: Record<string, ExecutionEntry>;
  createdAt?: string;
  updatedAt?: string;
  version?: number;
  healthVerdict?: string;
  healthCheckedAt?: string;
  healthIssues?: string[];
}

function parseJson<T>(text: string | undefined): T | null {
  if (text === undefined || text === '') return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** A registry item (DynamoDB attribute values) as a record. */
export function recordFromItem(attributes: Record<string, AttributeValue>): RegistryRecord {
  const item = unmarshall(attributes) as RegistryItem;
  const executions = Object.values(item.executions ?? {}).sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.name.localeCompare(b.name));
  const request = parseJson<unknown>(item.request);
  const previous = parseJson<unknown>(item.previousRequest);
  const isObject = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v);
  return {
    provisioningId: item.provisioningId,
    // A record a state machine has only just begun (RegisterProvisioning before RecordProvisioningStarted).
    status: item.status ?? 'PROVISIONING',
    request: isObject(request) ? (request as RegistryRecord['request']) : null,
    ...(isObject(previous) ? { previousRequest: previous as RegistryRecord['request'] } : {}),
    outputs: parseJson<ProvisioningOutputs>(item.outputs),
    currentExecution: item.currentExecution ?? null,
    executions,
    createdAt: item.createdAt ?? item.updatedAt ?? '',
    updatedAt: item.updatedAt ?? item.createdAt ?? '',
    version: Number(item.version ?? 0),
    ...(item.healthVerdict ? { health: { verdict: item.healthVerdict, checkedAt: item.healthCheckedAt ?? '', issues: item.healthIssues ?? [] } } : {}),
  };
}

/** A record as a registry item (DynamoDB attribute values). */
export function itemFromRecord(record: RegistryRecord): Record<string, AttributeValue> {
  const item: RegistryItem = {
    provisioningId: record.provisioningId,
    status: record.status,
    ...(record.request ? { request: JSON.stringify(record.request) } : {}),
    ...(record.previousRequest ? { previousRequest: JSON.stringify(record.previousRequest) } : {}),
    ...(record.outputs ? { outputs: JSON.stringify(record.outputs) } : {}),
    ...(record.currentExecution ? { currentExecution: record.currentExecution } : {}),
    executions: Object.fromEntries(record.executions.map((e) => [e.name, e])),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    version: record.version,
    // Kept through the API's whole-item writes, so a claim never erases the last health verdict.
    ...(record.health ? { healthVerdict: record.health.verdict, healthCheckedAt: record.health.checkedAt, healthIssues: record.health.issues } : {}),
  };
  return marshall(item, { removeUndefinedValues: true });
}

/** The region a provisioning lives in (from its request), when known. */
export function regionOf(record: Pick<RegistryRecord, 'request'>): string | undefined {
  return typeof record.request?.region === 'string' ? record.request.region : undefined;
}

/** The customer account role the provisioning acts through (from its request), when it has one. */
export function targetAccountOf(record: Pick<RegistryRecord, 'request'>): ProvisioningRequest['targetAccount'] | undefined {
  return record.request?.targetAccount as ProvisioningRequest['targetAccount'] | undefined;
}

/** The runs of the provision state machine (attempts and updates), oldest first: what built or changed the resources. */
export const provisionRuns = (record: Pick<RegistryRecord, 'executions'>): ExecutionEntry[] => record.executions.filter((e) => e.kind !== 'teardown');

/** The executions of one kind, oldest first. */
export const executionsOf = (record: Pick<RegistryRecord, 'executions'>, kind: ExecutionKind): ExecutionEntry[] => record.executions.filter((e) => e.kind === kind);

/** The latest execution of one kind, if any. */
export function latestExecution(record: Pick<RegistryRecord, 'executions'>, kind: ExecutionKind): ExecutionEntry | undefined {
  const all = executionsOf(record, kind);
  return all[all.length - 1];
}
