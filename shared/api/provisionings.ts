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
import { InvalidInputError } from '../errors';
import { parseRequest, type ProvisioningRequest } from '../request';
import { decideStart, decideTeardown, executionNameFor, nextExecutionNumber, outcomeOf, sameJson, type Refusal } from '../registry/lifecycle';
import { executionsOf, provisionRuns, regionOf, type ExecutionEntry, type ExecutionKind, type ExecutionStatus, type RegistryRecord, type RegistryStatus } from '../registry/record';
import { createRecord, getRecord, listRecords, saveRecord, StaleRecordError, type RegistryDeps } from '../registry/store';
import type { ProvisioningOutputs } from '../state';
import { readableError, summarizeHistory, type ReadableError, type StepProgress } from '../status';
import { parseTeardownRequest, teardownInputFor } from '../teardown-request';
import { planUpdate, type FieldChange } from '../update/plan';

/**
 * The provisioning service behind every entry point (HTTP API, custom resource, CLI): start, read, list, tear down.
 * The registry (DynamoDB) is the durable record and is read first; Step Functions runs the executions and, while it
 * still has them (90 days after they close), gives per-step progress.
 */

/** Where the service finds its state machines and its registry. */
export interface ProvisioningServiceDeps {
  sfn: SFNClient;
  provisionStateMachineArn: string;
  teardownStateMachineArn: string;
  /** The registry table: every operation reads it first. */
  registry: RegistryDeps;
}

/** An HTTP-mappable failure: 404 / 409 with a message the caller can act on, and details (the execution in the way). */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What starting (or finding) a provisioning, an update or a teardown answers. */
export interface StartedExecution {
  provisioningId: string;
  executionArn: string;
  /** The provisioning's status in the registry: `PROVISIONING` / `UPDATING` / `TEARING_DOWN` for a new start. */
  status: RegistryStatus;
  startedAt: string;
  /** What the execution does: a provisioning attempt, an in-place update, or a teardown. */
  kind: ExecutionKind;
  /** For an update: each changed field (all in place), its values before and after, and how it is applied. */
  changes?: FieldChange[];
}

/** An execution that acted on a provisioning, as the API shows it. */
export interface ExecutionSummary {
  kind: ExecutionKind;
  name: string;
  executionArn: string;
  status: ExecutionStatus;
  startedAt: string;
  stoppedAt: string | null;
  outcome: RegistryStatus | null;
  error: ReadableError | null;
}

/** What GET /provisionings/{id} answers. */
export interface ProvisioningStatus {
  provisioningId: string;
  /** From the registry (see {@link RegistryStatus}). */
  status: RegistryStatus;
  /** The latest provisioning attempt. */
  executionArn: string | null;
  startedAt: string | null;
  stoppedAt: string | null;
  /** Per-step progress of the latest attempt, from its execution history (empty once Step Functions forgot it). */
  steps: StepProgress[];
  /** False when Step Functions no longer has the latest attempt's history (90 days after it closed). */
  historyAvailable: boolean;
  outputs: unknown;
  /** Why the latest attempt failed, when it did. */
  error: ReadableError | null;
  teardown: { executionArn: string; status: string; startedAt: string; stoppedAt: string | null; error: ReadableError | null } | null;
  /** The latest request. */
  request: Record<string, unknown> | null;
  region: string | null;
  /** The execution running now, if any. */
  currentExecution: ExecutionSummary | null;
  /** Every execution that acted on it (attempts and teardowns), oldest first. */
  executions: ExecutionSummary[];
  createdAt: string;
  updatedAt: string;
}

/** One row of GET /provisionings. */
export interface ProvisioningSummary {
  provisioningId: string;
  status: RegistryStatus;
  projectName: string | null;
  region: string | null;
  createdAt: string;
  updatedAt: string;
  currentExecution: ExecutionSummary | null;
  attempts: number;
  /** In-place updates, failed ones included. */
  updates: number;
  teardowns: number;
}

/** `arn:...:stateMachine:NAME` + execution name -> `arn:...:execution:NAME:EXEC`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function checkId(provisioningId: string): void {
  if (!ID_PATTERN.test(provisioningId)) {
    throw new InvalidInputError([{ field: 'provisioningId', rule: 'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit' }]);
  }
}

/** How long a registered execution may take to appear in Step Functions before a reader calls it "never started". */
const START_GRACE_MS = 5 * 60_000;
/** How often a start or teardown re-reads and decides again when another writer changed the record meanwhile. */
const MAX_ROUNDS = 5;

const nowIso = (): string => new Date().toISOString();
const isoOf = (date: Date | undefined): string | undefined => (date ? new Date(date).toISOString() : undefined);
const notFound = (provisioningId: string) => new ApiError(404, 'ProvisioningNotFound', `no provisioning ${provisioningId}`);

function summaryOf(entry: ExecutionEntry): ExecutionSummary {
  return {
    kind: entry.kind,
    name: entry.name,
    executionArn: entry.executionArn,
    status: entry.status,
    startedAt: entry.startedAt,
    stoppedAt: entry.stoppedAt ?? null,
    outcome: entry.outcome ?? null,
    error: entry.error ? readableError(entry.error.error, entry.error.cause) : null,
  };
}

/** How to ask for a replacement explicitly (the body of a 409 `ReplacementRequired`). */
const howToReplace = (provisioningId: string): string[] => [
  `tear it down (DELETE /provisionings/${provisioningId}), then POST /provisionings again with this request and provisioningId ${provisioningId}`,
  `POST /provisionings with this request under a new provisioningId, then DELETE /provisionings/${provisioningId} once the old environment is no longer needed`,
];

function refused(refusal: Refusal, provisioningId?: string): ApiError {
  const running = refusal.running && { kind: refusal.running.kind, name: refusal.running.name, executionArn: refusal.running.executionArn, startedAt: refusal.running.startedAt };
  const details = {
    ...(running ? { runningExecution: running } : {}),
    ...(refusal.replacement ? { fields: refusal.replacement, howToReplace: howToReplace(provisioningId ?? '') } : {}),
  };
  return new ApiError(409, refusal.code, refusal.message, Object.keys(details).length > 0 ? details : undefined);
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

const parseJson = (text: string | undefined): unknown => {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
};

/** An execution as the registry records it, from DescribeExecution. */
function entryFrom(kind: ExecutionKind, execution: DescribeExecutionCommandOutput): ExecutionEntry {
  const status = execution.status as ExecutionStatus;
  return {
    kind,
    name: execution.name!,
    executionArn: execution.executionArn!,
    startedAt: isoOf(execution.startDate) ?? nowIso(),
    status,
    ...(status !== 'RUNNING' ? { stoppedAt: isoOf(execution.stopDate) ?? nowIso(), outcome: outcomeOf(kind, { status, error: execution.error }) } : {}),
    ...(status !== 'RUNNING' && status !== 'SUCCEEDED' ? { error: { error: execution.error ?? 'States.Unknown', cause: execution.cause ?? '' } } : {}),
  };
}

/**
 * A provisioning made before the registry existed is known only to Step Functions (its execution is named after
 * it, its teardowns `<id>--teardown-<n>`): register it from there, once, while Step Functions still has it.
 */
async function adoptFromStepFunctions(provisioningId: string, deps: ProvisioningServiceDeps): Promise<RegistryRecord | undefined> {
  const execution = await describe(deps, executionArnOf(deps.provisionStateMachineArn, provisioningId));
  if (!execution) return undefined;
  const input = parseJson(execution.input) as Record<string, unknown> | null;
  // `a--2` may be another provisioning's second attempt, not provisioning `a--2`.
  if (input && typeof input === 'object' && typeof input.provisioningId === 'string' && input.provisioningId !== provisioningId) return undefined;
  const executions = [entryFrom('provision', execution)];
  for (let n = 1; n <= 100; n++) {
    const teardown = await describe(deps, executionArnOf(deps.teardownStateMachineArn, executionNameFor(provisioningId, 'teardown', n)));
    if (!teardown) break;
    executions.push(entryFrom('teardown', teardown));
  }
  const latest = executions[executions.length - 1];
  const record: RegistryRecord = {
    provisioningId,
    status: outcomeOf(latest.kind, { status: latest.status, error: latest.error?.error }),
    request: input && typeof input === 'object' && !Array.isArray(input) ? input : null,
    outputs: execution.status === 'SUCCEEDED' ? (parseJson(execution.output) as ProvisioningOutputs) : null,
    currentExecution: executions.find((e) => e.status === 'RUNNING') ?? null,
    executions,
    createdAt: executions[0].startedAt,
    updatedAt: nowIso(),
    version: 1,
  };
  try {
    return await createRecord(record, deps.registry);
  } catch (error) {
    if (error instanceof StaleRecordError) return getRecord(provisioningId, deps.registry);
    throw error;
  }
}

/**
 * The registry says an execution is running: check with Step Functions. A state machine writes its own end, so this
 * only repairs a record whose end was not written (the write failed, the execution was stopped or timed out, or a
 * registered start never happened), and writes the repair back.
 */
async function reconcile(record: RegistryRecord, deps: ProvisioningServiceDeps): Promise<RegistryRecord> {
  const current = record.currentExecution!;
  const execution = await describe(deps, current.executionArn);
  if (execution?.status === 'RUNNING') return record;
  if (!execution && Date.now() - Date.parse(current.startedAt) < START_GRACE_MS) return record; // being started right now
  const ended: ExecutionEntry = execution
    ? entryFrom(current.kind, execution)
    : {
        ...current,
        status: 'FAILED',
        stoppedAt: nowIso(),
        outcome: outcomeOf(current.kind, { status: 'FAILED' }),
        error: { error: 'ExecutionNotFound', cause: `execution ${current.name} was registered but Step Functions has no such execution (it never started)` },
      };
  const repaired: RegistryRecord = {
    ...record,
    status: ended.outcome!,
    currentExecution: null,
    executions: [...record.executions.filter((e) => e.name !== ended.name), ended],
    outputs: current.kind !== 'teardown' && execution?.status === 'SUCCEEDED' ? (parseJson(execution.output) as ProvisioningOutputs) : record.outputs,
    // An attempt or update that succeeded made everything carry its request (what RecordProvisioningSucceeded does).
    ...(current.kind !== 'teardown' && execution?.status === 'SUCCEEDED' ? { previousRequest: undefined } : {}),
    updatedAt: nowIso(),
  };
  try {
    return await saveRecord(repaired, record.version, deps.registry);
  } catch (error) {
    // Someone (most likely the state machine itself) wrote meanwhile: theirs is newer.
    if (error instanceof StaleRecordError) return (await getRecord(record.provisioningId, deps.registry)) ?? repaired;
    throw error;
  }
}

/**
 * A provisioning's record: from the registry first; a provisioning only Step Functions knows (made before the
 * registry) is registered from its executions; a running execution is checked with Step Functions.
 */
export async function loadProvisioning(provisioningId: string, deps: ProvisioningServiceDeps): Promise<RegistryRecord | undefined> {
  const record = (await getRecord(provisioningId, deps.registry)) ?? (await adoptFromStepFunctions(provisioningId, deps));
  return record?.currentExecution ? reconcile(record, deps) : record;
}

/** The state machine that runs an execution of a kind: attempts and updates run the provision machine. */
const machineOf = (kind: ExecutionKind, deps: ProvisioningServiceDeps): string => (kind === 'teardown' ? deps.teardownStateMachineArn : deps.provisionStateMachineArn);

/** A free execution name for the next execution of a kind (a name is used once, forever, by Step Functions). */
async function freeExecutionName(provisioningId: string, kind: ExecutionKind, record: RegistryRecord | undefined, deps: ProvisioningServiceDeps): Promise<string> {
  const machine = machineOf(kind, deps);
  const first = nextExecutionNumber(record, kind);
  for (let n = first; n < first + 20; n++) {
    const name = executionNameFor(provisioningId, kind, n);
    if (record?.executions.some((e) => e.name === name)) continue;
    if (!(await describe(deps, executionArnOf(machine, name)))) return name;
  }
  throw new ApiError(409, 'NoFreeExecutionName', `no free execution name for provisioning ${provisioningId}; use another provisioningId`);
}

/** The registry status while an execution of a kind runs. */
const RUNNING_STATUS: Record<ExecutionKind, RegistryStatus> = { provision: 'PROVISIONING', update: 'UPDATING', teardown: 'TEARING_DOWN' };

/**
 * Register an execution in the registry (the claim: a conditional write, so two callers cannot both start one),
 * then start it. If the start fails, the claimed execution is recorded as failed to start and the record is
 * otherwise left as it was.
 *
 * A provisioning attempt or an update makes `request` the latest request and keeps `previousRequest` (the request
 * the existing resources carry, for ApplyTags) when given, else forgets it; an attempt starts without outputs, an
 * update keeps them (the environment is live). A teardown changes neither.
 */
async function claimAndStart(
  provisioningId: string,
  kind: ExecutionKind,
  record: RegistryRecord | undefined,
  input: Record<string, unknown>,
  request: Record<string, unknown> | undefined,
  deps: ProvisioningServiceDeps,
  options: { previousRequest?: RegistryRecord['request']; changes?: FieldChange[] } = {},
): Promise<StartedExecution> {
  const machine = machineOf(kind, deps);
  const name = await freeExecutionName(provisioningId, kind, record, deps);
  const now = nowIso();
  const entry: ExecutionEntry = { kind, name, executionArn: executionArnOf(machine, name), startedAt: now, status: 'RUNNING' };
  const status = RUNNING_STATUS[kind];
  const requestChange = request ? { request, previousRequest: options.previousRequest ?? undefined, ...(kind === 'update' ? {} : { outputs: null }) } : {};
  const claimed = record
    ? await saveRecord({ ...record, status, ...requestChange, currentExecution: entry, executions: [...record.executions, entry], updatedAt: now }, record.version, deps.registry)
    : await createRecord({ provisioningId, status, request: request ?? null, outputs: null, currentExecution: entry, executions: [entry], createdAt: now, updatedAt: now, version: 1 }, deps.registry);
  const inputText = JSON.stringify(input);
  const answer = (executionArn: string, startedAt: string): StartedExecution => ({ provisioningId, executionArn, status, startedAt, kind, ...(options.changes ? { changes: options.changes } : {}) });
  try {
    const out = await deps.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name, input: inputText }));
    return answer(out.executionArn!, isoOf(out.startDate) ?? now);
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
      // The name was free a moment ago: someone started it outside the registry. Ours only if it has our input.
      const existing = await describe(deps, entry.executionArn);
      if (existing && sameJson(parseJson(existing.input), input)) return answer(entry.executionArn, isoOf(existing.startDate) ?? now);
    }
    const failed: ExecutionEntry = { ...entry, status: 'FAILED', stoppedAt: nowIso(), outcome: record?.status ?? 'FAILED', error: { error: (error as Error).name, cause: `StartExecution failed: ${(error as Error).message}` } };
    const restored: RegistryRecord = record
      ? { ...record, executions: [...record.executions, failed], updatedAt: nowIso() }
      : { ...claimed, status: 'FAILED', currentExecution: null, executions: [failed], updatedAt: nowIso() };
    await saveRecord(restored, claimed.version, deps.registry).catch((e: unknown) => {
      if (!(e instanceof StaleRecordError)) throw e; // the execution did start after all, and recorded itself
    });
    throw error;
  }
}

/** The in-place changes an update applies (against the request the environment was made or last updated with). */
function changesOf(record: RegistryRecord): FieldChange[] | undefined {
  if (!record.previousRequest || !record.request) return undefined;
  return planUpdate(record.previousRequest as ProvisioningRequest, record.request as ProvisioningRequest).inPlace;
}

function startedFrom(record: RegistryRecord, execution: ExecutionEntry): StartedExecution {
  const changes = execution.kind === 'update' && record.status === 'UPDATING' ? changesOf(record) : undefined;
  return { provisioningId: record.provisioningId, executionArn: execution.executionArn, status: record.status, startedAt: execution.startedAt, kind: execution.kind, ...(changes ? { changes } : {}) };
}

/**
 * Start a provisioning, by the lifecycle rules (shared/registry/lifecycle.ts `decideStart`): a new ID starts attempt
 * 1 (execution `<id>`); the same ID and request while it runs or after it succeeded is the same provisioning; the
 * same request after a failure starts a new attempt (`<id>--2`, ...). Another request for a live provisioning is an
 * **update** (`<id>--update-<n>`, status `UPDATING`, the answer lists the in-place `changes`) when every change is
 * in place, else a 409 `ReplacementRequired` naming each field and how to ask for a replacement explicitly. Without
 * an ID (in the body or as the idempotency key) a new one is made. The registry records the start before the
 * execution begins.
 *
 * @throws InvalidInputError (400) for a bad request; ApiError 409 when the rules refuse.
 * @example await startProvisioning({ projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-1' } }, deps, 'order-42')
 */
export async function startProvisioning(body: unknown, deps: ProvisioningServiceDeps, idempotencyKey?: string): Promise<StartedExecution> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidInputError([{ field: '(request)', rule: 'must be a JSON object' }]);
  const given = (body as { provisioningId?: unknown }).provisioningId;
  if (idempotencyKey !== undefined && given !== undefined && given !== idempotencyKey) {
    throw new InvalidInputError([{ field: 'provisioningId', rule: `differs from the Idempotency-Key header (${idempotencyKey}); send one or make them equal` }]);
  }
  // Only a missing ID is made up: `provisioningId: null` (or any other non-string) is refused by the schema, by name.
  const provisioningId = (given !== undefined ? given : (idempotencyKey ?? `p-${randomUUID()}`)) as string;
  const request = { ...(body as Record<string, unknown>), provisioningId };
  parseRequest(request); // the state machine validates again (console starts); this answers the API caller at once
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const record = await loadProvisioning(provisioningId, deps);
    const decision = decideStart(record, provisioningId, request);
    if (decision.action === 'refuse') throw refused(decision, provisioningId);
    if (decision.action === 'existing') return startedFrom(record!, decision.execution);
    try {
      if (decision.action === 'update') {
        return await claimAndStart(provisioningId, 'update', record, request, request, deps, { previousRequest: decision.previousRequest, changes: decision.plan.inPlace });
      }
      const previousRequest = decision.action === 'new-attempt' ? decision.previousRequest : undefined;
      return await claimAndStart(provisioningId, 'provision', record, request, request, deps, { previousRequest });
    } catch (error) {
      if (!(error instanceof StaleRecordError)) throw error; // else someone else wrote first: read and decide again
    }
  }
  throw new ApiError(409, 'ConcurrentChange', `provisioning ${provisioningId} kept changing while starting; try again`);
}

/**
 * The status of a provisioning: from the registry (status, request, outputs, every execution that acted on it), plus
 * per-step progress from the latest attempt's execution history while Step Functions still has it.
 * @throws ApiError 404 when there is no such provisioning.
 */
export async function getProvisioning(provisioningId: string, deps: ProvisioningServiceDeps): Promise<ProvisioningStatus> {
  checkId(provisioningId);
  const record = await loadProvisioning(provisioningId, deps);
  if (!record) throw notFound(provisioningId);
  // The latest run of the provision state machine: an attempt or an update.
  const attempt = provisionRuns(record).at(-1);
  const teardown = executionsOf(record, 'teardown').at(-1);
  let steps: StepProgress[] = [];
  let historyAvailable = false;
  if (attempt) {
    try {
      steps = summarizeHistory(await fullHistory(deps.sfn, attempt.executionArn));
      historyAvailable = true;
    } catch (error) {
      if (!(error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist')) throw error;
    }
  }
  const summary = attempt ? summaryOf(attempt) : undefined;
  return {
    provisioningId,
    status: record.status,
    executionArn: attempt?.executionArn ?? null,
    startedAt: attempt?.startedAt ?? null,
    stoppedAt: attempt?.stoppedAt ?? null,
    steps,
    historyAvailable,
    outputs: record.outputs,
    error: summary?.error ?? null,
    teardown: teardown ? { executionArn: teardown.executionArn, status: teardown.status, startedAt: teardown.startedAt, stoppedAt: teardown.stoppedAt ?? null, error: summaryOf(teardown).error } : null,
    request: record.request,
    region: regionOf(record) ?? null,
    currentExecution: record.currentExecution ? summaryOf(record.currentExecution) : null,
    executions: record.executions.map(summaryOf),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * A page of provisionings from the registry, optionally only those of one status (newest change first).
 * @throws InvalidInputError (400) for an unknown status, a bad limit or a foreign nextToken.
 * @example await listProvisionings({ status: 'SUCCEEDED', limit: 50 }, deps) // { provisionings: [...], nextToken? }
 */
export async function listProvisionings(
  query: { status?: string; limit?: string | number; nextToken?: string },
  deps: ProvisioningServiceDeps,
): Promise<{ provisionings: ProvisioningSummary[]; nextToken?: string }> {
  const limit = query.limit === undefined || query.limit === '' ? undefined : Number(query.limit);
  const page = await listRecords({ status: query.status || undefined, limit, nextToken: query.nextToken || undefined }, deps.registry);
  return {
    provisionings: page.records.map((r) => ({
      provisioningId: r.provisioningId,
      status: r.status,
      projectName: typeof r.request?.projectName === 'string' ? r.request.projectName : null,
      region: regionOf(r) ?? null,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      currentExecution: r.currentExecution ? summaryOf(r.currentExecution) : null,
      attempts: executionsOf(r, 'provision').length,
      updates: executionsOf(r, 'update').length,
      teardowns: executionsOf(r, 'teardown').length,
    })),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
}

/** The teardown input of a provisioning, from its registry record (its latest request and outputs, and the tags). */
function teardownInputOf(record: RegistryRecord, force: boolean): Record<string, unknown> {
  if (!record.request) {
    throw new ApiError(409, 'NothingToTearDown', `provisioning ${record.provisioningId} has no recorded request (only a teardown ever named it): run the teardown state machine with its region`);
  }
  const request = { ...record.request, provisioningId: record.provisioningId } as ProvisioningRequest;
  const input = teardownInputFor(record.provisioningId, request, record.outputs, force ? { force } : {});
  try {
    parseTeardownRequest(input);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new ApiError(409, 'NothingToTearDown', `provisioning ${record.provisioningId} never had a valid request (${error.problems.map((p) => `${p.field}: ${p.rule}`).join('; ')}), so it made nothing to tear down`);
  }
  return input;
}

/**
 * Start tearing a provisioning down, by the lifecycle rules (shared/registry/lifecycle.ts `decideTeardown`): refused
 * (409, naming the execution) while a provisioning attempt runs; after a teardown succeeded, that teardown; after a
 * failed one, a new attempt. A running teardown is joined (the custom resource waits for it) unless
 * `whileTearingDown: 'refuse'` (the HTTP API answers 409). Works from the registry alone: a provisioning whose
 * executions Step Functions has long forgotten still tears down, from its recorded request and its tags.
 *
 * @throws ApiError 404 when there is no such provisioning; 409 when the rules refuse.
 * @example await startTeardown('p-1', deps, { whileTearingDown: 'refuse' })
 */
export async function startTeardown(provisioningId: string, deps: ProvisioningServiceDeps, options: { whileTearingDown?: 'join' | 'refuse'; force?: boolean } = {}): Promise<StartedExecution> {
  checkId(provisioningId);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const record = await loadProvisioning(provisioningId, deps);
    if (!record) throw notFound(provisioningId);
    const decision = decideTeardown(record, { whileTearingDown: options.whileTearingDown ?? 'join' });
    if (decision.action === 'refuse') throw refused(decision);
    if (decision.action === 'existing') return startedFrom(record, decision.execution);
    try {
      return await claimAndStart(provisioningId, 'teardown', record, teardownInputOf(record, options.force === true), undefined, deps);
    } catch (error) {
      if (!(error instanceof StaleRecordError)) throw error;
    }
  }
  throw new ApiError(409, 'ConcurrentChange', `provisioning ${provisioningId} kept changing while starting its teardown; try again`);
}

/** The latest request of a provisioning, its registry status and outputs: for operations on a finished provisioning. */
export async function requestOf(provisioningId: string, deps: ProvisioningServiceDeps): Promise<{ request: ProvisioningRequest; status: RegistryStatus; outputs: unknown }> {
  checkId(provisioningId);
  const record = await loadProvisioning(provisioningId, deps);
  if (!record) throw notFound(provisioningId);
  return { request: { ...(record.request ?? {}), provisioningId } as ProvisioningRequest, status: record.status, outputs: record.outputs };
}

/** Check a request without starting anything: the normalised request, or the problems. */
export function validateProvisioningRequest(body: unknown): { valid: true; request: ProvisioningRequest } {
  return { valid: true, request: parseRequest(body) };
}
