import { isLive, verdictOf, type HealthReport } from '../../../shared/health/check';
import { healthEvent, HEALTH_EVENT_DETAIL_TYPE, HEALTH_EVENT_SOURCE } from '../../../shared/health/sweep';
import { itemFromRecord, recordFromItem, type RegistryRecord } from '../../../shared/registry/record';
import { failed, passed, warned } from '../../../shared/requirements';

describe('the health verdict (drift, docs/decisions.md 26)', () => {
  it('is HEALTHY when all pass, DEGRADED with warnings only, BROKEN with any failure', () => {
    expect(verdictOf([passed('V2', 'ok'), passed('R1', 'ok')])).toBe('HEALTHY');
    expect(verdictOf([passed('V2', 'ok'), warned('V8', 'a tag of the request is missing', 'put it back')])).toBe('DEGRADED');
    expect(verdictOf([warned('V8', 'w', 'f'), failed('V6', 'no NAT route', 'add it'), passed('R1', 'ok')])).toBe('BROKEN');
  });

  it('runs only on a live provisioning: SUCCEEDED or UPDATE_FAILED', () => {
    expect(['SUCCEEDED', 'UPDATE_FAILED'].every((s) => isLive(s as never))).toBe(true);
    for (const s of ['PROVISIONING', 'UPDATING', 'FAILED', 'ROLLED_BACK', 'ROLLBACK_INCOMPLETE', 'TEARING_DOWN', 'TORN_DOWN', 'TEARDOWN_FAILED']) expect({ s, live: isLive(s as never) }).toEqual({ s, live: false });
  });
});

describe('the recorded verdict in the registry item', () => {
  const record: RegistryRecord = {
    provisioningId: 'p-1',
    status: 'SUCCEEDED',
    request: { projectName: 'demo' },
    outputs: null,
    currentExecution: null,
    executions: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 3,
  };

  it('survives a whole-item write (an API claim never erases it) as healthVerdict, healthCheckedAt, healthIssues', () => {
    const withHealth = { ...record, health: { verdict: 'BROKEN', checkedAt: '2026-02-01T00:00:00.000Z', issues: ['V6', 'R2'] } };
    const item = itemFromRecord(withHealth);
    expect(item).toMatchObject({ healthVerdict: { S: 'BROKEN' }, healthCheckedAt: { S: '2026-02-01T00:00:00.000Z' }, healthIssues: { L: [{ S: 'V6' }, { S: 'R2' }] } });
    expect(recordFromItem(item).health).toEqual(withHealth.health);
    expect(recordFromItem(itemFromRecord(record)).health).toBeUndefined();
  });
});

describe('the Provisioning Health Changed event', () => {
  const report: HealthReport = {
    provisioningId: 'p-1',
    status: 'SUCCEEDED',
    region: 'us-west-2',
    accountId: '123456789012',
    verdict: 'BROKEN',
    checkedAt: '2026-02-01T00:00:00.000Z',
    failed: ['R1'],
    warnings: [],
    findings: [{ requirement: 'R1', status: 'fail', reason: `trust policy differs: ${'x'.repeat(5000)}`, fix: 'run the provisioning again' }],
    checks: [],
  };

  it('goes to the default bus with the provisioner source, both verdicts, and each finding cut to 1,000 characters', () => {
    const entry = healthEvent(report, { verdict: 'HEALTHY', firstCheck: false });
    expect(entry).toMatchObject({ Source: HEALTH_EVENT_SOURCE, DetailType: HEALTH_EVENT_DETAIL_TYPE, EventBusName: 'default' });
    expect(HEALTH_EVENT_SOURCE).toBe('byoc.provisioner');
    const detail = JSON.parse(entry.Detail!);
    expect(detail).toMatchObject({ provisioningId: 'p-1', verdict: 'BROKEN', previousVerdict: 'HEALTHY', firstCheck: false, failed: ['R1'], region: 'us-west-2', account: '123456789012' });
    expect(detail.findings[0].reason).toHaveLength(1000);
    expect(detail.findings[0].reason.endsWith('…')).toBe(true);
    expect(detail.findings[0].fix).toBe('run the provisioning again');
  });
});
