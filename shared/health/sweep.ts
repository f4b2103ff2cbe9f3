import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { COMPLETION_EVENT_SOURCE } from '../constants';
import { logger } from '../lambda';
import type { RegistryRecord } from '../registry/record';
import { listRecords, MAX_PAGE_SIZE, type RegistryDeps } from '../registry/store';
import { checkProvisioningHealth, HEALTH_VERDICTS, LIVE_STATUSES, type HealthClients, type HealthReport, type HealthVerdict } from './check';

/**
 * The scheduled health sweep (docs/decisions.md 26): every live provisioning of the registry is checked, its verdict
 * is kept in its registry item (`healthVerdict`, `healthCheckedAt`, `healthIssues`), and an EventBridge event goes
 * to the default bus when the verdict changed since the last one recorded.
 */

/** The events' `source`: the same as the provisioner's completion events (docs/events.md). */
export const HEALTH_EVENT_SOURCE = COMPLETION_EVENT_SOURCE;
/** The events' `detail-type`. */
export const HEALTH_EVENT_DETAIL_TYPE = 'Provisioning Health Changed';
/** A reason or fix longer than this is cut in the event (the whole text is in `GET /provisionings/{id}/health`). */
const MAX_TEXT = 1_000;
/** The sweep starts no new check with less time than this left (one check takes seconds; slow AWS, tens). */
export const SWEEP_RESERVE_MS = 60_000;

/** What the sweep needs: the registry, the clients it reads each account with, EventBridge, and its time. */
export interface SweepDeps {
  registry: RegistryDeps;
  clients: HealthClients;
  events: EventBridgeClient;
  /** Time left before the Lambda's timeout (default: no limit). */
  remainingMs?: () => number;
  /** Checks at once (default 4). */
  concurrency?: number;
  now?: () => Date;
}

/** What one sweep did, logged and returned by the Lambda. */
export interface SweepResult {
  /** Live provisionings found in the registry. */
  live: number;
  checked: number;
  /** Verdicts that differ from the one recorded before (a first verdict differs from `HEALTHY` only). */
  changed: number;
  /** Events published (one per change). */
  published: number;
  /** Checked, but not recorded: the provisioning changed status, or another sweep recorded it meanwhile. */
  skipped: string[];
  /** Not reached before the time ran out: the next sweep starts with them (least recently checked first). */
  unchecked: string[];
  /** Checks that could not run (e.g. the customer role cannot be assumed any more), with why. */
  errors: { provisioningId: string; error: string; message: string }[];
  verdicts: Record<HealthVerdict, number>;
}

/**
 * Every live provisioning (`SUCCEEDED`, `UPDATE_FAILED`), paging through the registry's status index, least recently
 * checked first (never checked ones before all others).
 */
export async function listLiveRecords(registry: RegistryDeps): Promise<RegistryRecord[]> {
  const records: RegistryRecord[] = [];
  for (const status of LIVE_STATUSES) {
    let nextToken: string | undefined;
    do {
      const page = await listRecords({ status, limit: MAX_PAGE_SIZE, nextToken }, registry);
      records.push(...page.records);
      nextToken = page.nextToken;
    } while (nextToken);
  }
  const key = (r: RegistryRecord) => r.health?.checkedAt ?? '';
  return records.sort((a, b) => key(a).localeCompare(key(b)) || a.provisioningId.localeCompare(b.provisioningId));
}

const cut = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/** The EventBridge entry of a changed verdict. */
export function healthEvent(report: HealthReport, previous: { verdict: string; firstCheck: boolean }): PutEventsRequestEntry {
  const detail = {
    provisioningId: report.provisioningId,
    status: report.status,
    region: report.region,
    // `account` and `region` as in the completion events (docs/events.md): the provisioning's, not the bus's.
    account: report.accountId,
    verdict: report.verdict,
    previousVerdict: previous.verdict,
    firstCheck: previous.firstCheck,
    checkedAt: report.checkedAt,
    failed: report.failed,
    warnings: report.warnings,
    findings: report.findings.map((f) => ({ ...f, reason: cut(f.reason), fix: cut(f.fix) })),
  };
  return { Source: HEALTH_EVENT_SOURCE, DetailType: HEALTH_EVENT_DETAIL_TYPE, Detail: JSON.stringify(detail), Resources: [], EventBusName: 'default' };
}

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';

/**
 * Record a verdict in the registry item, only if the provisioning is still live and nobody recorded another check
 * since `record` was read (a compare-and-set on `healthCheckedAt`). Adds one to `version`, as every registry write
 * does; `updatedAt` stays (a check is not a change of the provisioning: the status index keeps its order).
 * @returns false when the condition failed (the caller skips this one).
 */
export async function recordVerdict(record: RegistryRecord, health: { verdict: string; checkedAt: string; issues: string[] } | undefined, deps: { registry: RegistryDeps; after?: string }): Promise<boolean> {
  const before = deps.after ?? record.health?.checkedAt;
  const live = Object.fromEntries(LIVE_STATUSES.map((s, i) => [`:live${i}`, { S: s }]));
  try {
    await deps.registry.dynamodb.send(
      new UpdateItemCommand({
        TableName: deps.registry.tableName,
        Key: { provisioningId: { S: record.provisioningId } },
        UpdateExpression: health
          ? 'SET healthVerdict = :verdict, healthCheckedAt = :at, healthIssues = :issues ADD #version :one'
          : 'REMOVE healthVerdict, healthCheckedAt, healthIssues ADD #version :one',
        ConditionExpression: `#status IN (${Object.keys(live).join(', ')}) AND ${before ? 'healthCheckedAt = :before' : 'attribute_not_exists(healthCheckedAt)'}`,
        ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
        ExpressionAttributeValues: {
          ...live,
          ':one': { N: '1' },
          ...(health ? { ':verdict': { S: health.verdict }, ':at': { S: health.checkedAt }, ':issues': { L: health.issues.map((S) => ({ S })) } } : {}),
          ...(before ? { ':before': { S: before } } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Run `work` on each item, at most `limit` at once, starting none once `canStart` says no; returns the items not started. */
async function pool<T>(items: T[], limit: number, canStart: () => boolean, work: (item: T) => Promise<void>): Promise<T[]> {
  const queue = [...items];
  const notStarted: T[] = [];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      if (!canStart()) {
        notStarted.push(item, ...queue.splice(0));
        return;
      }
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  return notStarted;
}

/**
 * One sweep: check every live provisioning (least recently checked first), record each verdict, and publish one
 * `Provisioning Health Changed` event per changed verdict. The recorded verdict is written before the event is sent,
 * conditionally, so two sweeps at once never both announce one change; if the event cannot be sent, the previous
 * verdict is put back, so the next sweep announces the change again (at least once, never lost).
 *
 * A provisioning never checked before counts as `HEALTHY` (Verify passed when it was built): a first verdict of
 * HEALTHY publishes nothing, a first DEGRADED or BROKEN does. A check that cannot run (AWS refused the reads) is
 * counted in `errors` and changes nothing.
 */
export async function sweepHealth(deps: SweepDeps): Promise<SweepResult> {
  const records = await listLiveRecords(deps.registry);
  const result: SweepResult = {
    live: records.length,
    checked: 0,
    changed: 0,
    published: 0,
    skipped: [],
    unchecked: [],
    errors: [],
    verdicts: Object.fromEntries(HEALTH_VERDICTS.map((v) => [v, 0])) as Record<HealthVerdict, number>,
  };
  const canStart = () => (deps.remainingMs ? deps.remainingMs() > SWEEP_RESERVE_MS : true);
  const notStarted = await pool(records, deps.concurrency ?? 4, canStart, async (record) => {
    const id = record.provisioningId;
    let report: HealthReport;
    try {
      report = await checkProvisioningHealth({ provisioningId: id, status: record.status, request: record.request ?? {}, outputs: record.outputs }, deps.clients, deps.now);
    } catch (error) {
      const e = error as Error;
      result.errors.push({ provisioningId: id, error: e.name, message: e.message });
      logger.warn('health check could not run', { provisioningId: id, errorName: e.name, error: e.message });
      return;
    }
    result.checked += 1;
    result.verdicts[report.verdict] += 1;
    const previous = { verdict: record.health?.verdict ?? 'HEALTHY', firstCheck: !record.health };
    const health = { verdict: report.verdict, checkedAt: report.checkedAt, issues: [...report.failed, ...report.warnings] };
    if (!(await recordVerdict(record, health, deps))) {
      result.skipped.push(id);
      return;
    }
    if (report.verdict === previous.verdict) return;
    result.changed += 1;
    try {
      const out = await deps.events.send(new PutEventsCommand({ Entries: [healthEvent(report, previous)] }));
      if ((out.FailedEntryCount ?? 0) > 0) throw new Error(`EventBridge refused the event: ${out.Entries?.[0]?.ErrorCode ?? ''} ${out.Entries?.[0]?.ErrorMessage ?? ''}`.trim());
      result.published += 1;
      logger.info('health verdict changed', { provisioningId: id, verdict: report.verdict, previousVerdict: previous.verdict, failed: report.failed, warnings: report.warnings });
    } catch (error) {
      // Put the previous verdict back: the next sweep sees the change again and announces it then.
      await recordVerdict(record, record.health, { registry: deps.registry, after: report.checkedAt }).catch(() => undefined);
      const e = error as Error;
      result.errors.push({ provisioningId: id, error: e.name, message: `the verdict changed to ${report.verdict} but its event could not be sent: ${e.message}` });
      logger.error('health event not sent', { provisioningId: id, errorName: e.name, error: e.message });
    }
  });
  result.unchecked = notStarted.map((r) => r.provisioningId);
  return result;
}
