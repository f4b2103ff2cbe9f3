import { decideStart, decideTeardown, executionNameFor, MAX_EXECUTIONS, nextExecutionNumber, onChangedRequest, outcomeOf, sameRequest } from '../../../shared/registry/lifecycle';
import type { ExecutionEntry, RegistryRecord, RegistryStatus } from '../../../shared/registry/record';

const REQUEST = { projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } };
const OTHER = { ...REQUEST, projectName: 'other' };
/** REQUEST with only in-place changes: tags and the security group's ingress CIDRs. */
const TAGGED = { ...REQUEST, tags: { team: 'data' }, network: { securityGroup: { ingressCidrs: ['10.1.0.0/16'] } } };
const entry = (kind: ExecutionEntry['kind'], name: string, status: ExecutionEntry['status'] = 'SUCCEEDED'): ExecutionEntry => ({
  kind,
  name,
  executionArn: `arn:aws:states:us-west-2:123456789012:execution:byoc-${kind}-dev:${name}`,
  startedAt: '2026-01-01T00:00:00.000Z',
  status,
});
function record(status: RegistryStatus, executions: ExecutionEntry[] = [entry('provision', 'p-1', status === 'PROVISIONING' ? 'RUNNING' : 'SUCCEEDED')]): RegistryRecord {
  const running = executions.find((e) => e.status === 'RUNNING') ?? null;
  return { provisioningId: 'p-1', status, request: { ...REQUEST, provisioningId: 'p-1' }, outputs: null, currentExecution: running, executions, createdAt: 'x', updatedAt: 'x', version: 3 };
}

describe('lifecycle rule "start" (docs/requirements.md, Lifecycle)', () => {
  it('registers an unknown ID and starts attempt 1, named after the ID', () => {
    expect(decideStart(undefined, 'p-1', REQUEST)).toEqual({ action: 'create' });
    expect(executionNameFor('p-1', 'provision', nextExecutionNumber(undefined, 'provision'))).toBe('p-1');
  });

  it('same ID and same request while running or after success: the same provisioning (idempotent)', () => {
    for (const status of ['PROVISIONING', 'SUCCEEDED'] as const) {
      const r = record(status);
      expect(decideStart(r, 'p-1', REQUEST)).toEqual({ action: 'existing', execution: r.executions[0] });
    }
  });

  it('retry after failure: the same request after FAILED or ROLLED_BACK starts a new attempt, <id>--2, <id>--3', () => {
    for (const status of ['FAILED', 'ROLLED_BACK'] as const) expect(decideStart(record(status), 'p-1', REQUEST)).toEqual({ action: 'new-attempt' });
    const twice = record('ROLLED_BACK', [entry('provision', 'p-1', 'FAILED'), entry('provision', 'p-1--2', 'FAILED')]);
    expect(executionNameFor('p-1', 'provision', nextExecutionNumber(twice, 'provision'))).toBe('p-1--3');
  });

  it('same ID and another request while an attempt runs: 409 ProvisioningExists naming the running execution, decided in one place (onChangedRequest)', () => {
    const running = record('PROVISIONING');
    expect(decideStart(running, 'p-1', TAGGED)).toMatchObject({ action: 'refuse', code: 'ProvisioningExists', running: { name: 'p-1' } });
    expect(onChangedRequest(running, TAGGED)).toEqual(decideStart(running, 'p-1', TAGGED));
  });

  it('after TORN_DOWN nothing of it is left: any request starts a new attempt', () => {
    const gone = record('TORN_DOWN', [entry('provision', 'p-1'), entry('teardown', 'p-1--teardown-1')]);
    expect(decideStart(gone, 'p-1', REQUEST)).toEqual({ action: 'new-attempt' });
    expect(decideStart(gone, 'p-1', OTHER)).toEqual({ action: 'new-attempt' });
  });

  it('while a teardown runs, or after one that left resources, refuses and says what to do', () => {
    const tearing = record('TEARING_DOWN', [entry('provision', 'p-1'), entry('teardown', 'p-1--teardown-1', 'RUNNING')]);
    expect(decideStart(tearing, 'p-1', REQUEST)).toMatchObject({ action: 'refuse', code: 'TeardownRunning', running: { name: 'p-1--teardown-1' } });
    for (const status of ['ROLLBACK_INCOMPLETE', 'TEARDOWN_FAILED'] as const) {
      expect(decideStart(record(status), 'p-1', REQUEST)).toMatchObject({ action: 'refuse', code: 'TeardownNeeded', message: expect.stringContaining('DELETE /provisionings/p-1') });
    }
  });

  it('stops retrying after MAX_EXECUTIONS executions (each adds to the 400 KB item)', () => {
    const many = record('FAILED', Array.from({ length: MAX_EXECUTIONS }, (_, i) => entry('provision', executionNameFor('p-1', 'provision', i + 1), 'FAILED')));
    expect(decideStart(many, 'p-1', REQUEST)).toMatchObject({ action: 'refuse', code: 'TooManyAttempts' });
  });

  it('compares requests once validated and defaulted: an omitted default equals the default spelled out', () => {
    expect(sameRequest('p-1', REQUEST, { ...REQUEST, network: { vpcCidr: '10.0.0.0/16' } })).toBe(true);
    expect(sameRequest('p-1', REQUEST, OTHER)).toBe(false);
    expect(sameRequest('p-1', null, REQUEST)).toBe(false);
  });
});

describe('lifecycle rule "update" (a changed request for an existing ID; shared/update/plan.ts classifies each field)', () => {
  it('update: SUCCEEDED and only in-place changes (tags, security group CIDRs): an update <id>--update-1, listing the changes, keeping the applied request as previous', () => {
    const decision = decideStart(record('SUCCEEDED'), 'p-1', TAGGED);
    expect(decision).toMatchObject({ action: 'update', previousRequest: { ...REQUEST, provisioningId: 'p-1' }, plan: { replacement: [] } });
    expect(decision.action === 'update' && decision.plan.inPlace.map((c) => c.field)).toEqual(['tags', 'network.securityGroup.ingressCidrs']);
    expect(executionNameFor('p-1', 'update', nextExecutionNumber(record('SUCCEEDED'), 'update'))).toBe('p-1--update-1');
  });

  it('replacement: a change that needs new resources (region, VPC CIDR) is 409 ReplacementRequired listing each field with why, and how to ask for a replacement', () => {
    const decision = decideStart(record('SUCCEEDED'), 'p-1', { ...TAGGED, region: 'eu-central-1', network: { vpcCidr: '10.9.0.0/16' } });
    expect(decision).toMatchObject({ action: 'refuse', code: 'ReplacementRequired', message: expect.stringContaining('DELETE /provisionings/p-1') });
    expect(decision.action === 'refuse' && decision.replacement?.map((c) => [c.field, c.why])).toEqual([
      ['region', 'every resource lives in one region'],
      ['network.vpcCidr', 'a VPC cannot change its primary CIDR'],
    ]);
    expect(decision.action === 'refuse' && decision.message).toContain('new provisioningId');
  });

  it('update running: the same request is that update (idempotent); another is 409 UpdateRunning naming it; a delete is 409 too', () => {
    const updating = { ...record('UPDATING', [entry('provision', 'p-1'), entry('update', 'p-1--update-1', 'RUNNING')]), request: { ...TAGGED, provisioningId: 'p-1' }, previousRequest: { ...REQUEST, provisioningId: 'p-1' } };
    expect(decideStart(updating, 'p-1', TAGGED)).toMatchObject({ action: 'existing', execution: { name: 'p-1--update-1' } });
    expect(decideStart(updating, 'p-1', REQUEST)).toMatchObject({ action: 'refuse', code: 'UpdateRunning', running: { name: 'p-1--update-1' } });
    expect(decideTeardown(updating)).toMatchObject({ action: 'refuse', code: 'UpdateRunning', running: { kind: 'update', name: 'p-1--update-1' } });
  });

  it('update failed: the same request runs the update again (<id>--update-2); the previous request keeps every tag key that may have been applied', () => {
    const failed: RegistryRecord = {
      ...record('UPDATE_FAILED', [entry('provision', 'p-1'), entry('update', 'p-1--update-1', 'FAILED')]),
      request: { ...TAGGED, provisioningId: 'p-1' },
      previousRequest: { ...REQUEST, provisioningId: 'p-1', tags: { old: '1' } },
    };
    const again = decideStart(failed, 'p-1', TAGGED);
    expect(again).toMatchObject({ action: 'update', previousRequest: { tags: { old: '1', team: 'data' } } });
    expect(executionNameFor('p-1', 'update', nextExecutionNumber(failed, 'update'))).toBe('p-1--update-2');
    // Another in-place request after the failure is an update too; one that needs replacement is refused.
    expect(decideStart(failed, 'p-1', { ...TAGGED, tags: { team: 'ml' } })).toMatchObject({ action: 'update' });
    expect(decideStart(failed, 'p-1', { ...TAGGED, projectName: 'other' })).toMatchObject({ action: 'refuse', code: 'ReplacementRequired' });
    // A delete tears the live environment down as usual.
    expect(decideTeardown(failed)).toEqual({ action: 'new-teardown' });
  });

  it('changed request after FAILED or ROLLED_BACK (nothing live): in place -> a new attempt that keeps the old request as previous; replacement -> 409 ReplacementRequired (an earlier attempt may have left resources)', () => {
    for (const status of ['FAILED', 'ROLLED_BACK'] as const) {
      expect(decideStart(record(status), 'p-1', TAGGED)).toEqual({ action: 'new-attempt', previousRequest: { ...REQUEST, provisioningId: 'p-1' } });
      expect(decideStart(record(status), 'p-1', OTHER)).toMatchObject({ action: 'refuse', code: 'ReplacementRequired', message: expect.stringContaining('may still exist') });
    }
  });

  it('a request that differs only in how a default is spelled is the same request', () => {
    expect(decideStart(record('SUCCEEDED'), 'p-1', { ...REQUEST, iamRole: { path: '/' }, tags: {} })).toMatchObject({ action: 'existing' });
  });
});

describe('lifecycle rule "delete"', () => {
  it('delete while running: refuses with 409 naming the running provisioning execution', () => {
    expect(decideTeardown(record('PROVISIONING'))).toMatchObject({ action: 'refuse', code: 'ProvisioningRunning', running: { kind: 'provision', name: 'p-1' }, message: expect.stringContaining('p-1') });
  });

  it('delete while a teardown runs: 409 naming it for the API, or that teardown for a caller that waits (join)', () => {
    const tearing = record('TEARING_DOWN', [entry('provision', 'p-1'), entry('teardown', 'p-1--teardown-1', 'RUNNING')]);
    expect(decideTeardown(tearing, { whileTearingDown: 'refuse' })).toMatchObject({ action: 'refuse', code: 'TeardownRunning', running: { name: 'p-1--teardown-1' } });
    expect(decideTeardown(tearing, { whileTearingDown: 'join' })).toMatchObject({ action: 'existing', execution: { name: 'p-1--teardown-1' } });
  });

  it('after a teardown succeeded: that teardown again (idempotent); otherwise a new teardown, numbered', () => {
    const gone = record('TORN_DOWN', [entry('provision', 'p-1'), entry('teardown', 'p-1--teardown-1')]);
    expect(decideTeardown(gone)).toMatchObject({ action: 'existing', execution: { name: 'p-1--teardown-1' } });
    for (const status of ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'ROLLBACK_INCOMPLETE'] as const) expect(decideTeardown(record(status))).toEqual({ action: 'new-teardown' });
    const failed = record('TEARDOWN_FAILED', [entry('provision', 'p-1'), entry('teardown', 'p-1--teardown-1', 'FAILED')]);
    expect(decideTeardown(failed)).toEqual({ action: 'new-teardown' });
    expect(executionNameFor('p-1', 'teardown', nextExecutionNumber(failed, 'teardown'))).toBe('p-1--teardown-2');
  });
});

describe('the status a closed execution leads to (what a reader repairs when a state machine could not write its end)', () => {
  it.each([
    ['provision', 'SUCCEEDED', undefined, 'SUCCEEDED'],
    ['provision', 'FAILED', 'RollbackIncompleteError', 'ROLLBACK_INCOMPLETE'],
    ['provision', 'FAILED', 'QuotaExceededError', 'FAILED'],
    ['provision', 'ABORTED', undefined, 'FAILED'],
    ['provision', 'TIMED_OUT', undefined, 'FAILED'],
    ['update', 'SUCCEEDED', undefined, 'SUCCEEDED'],
    ['update', 'RUNNING', undefined, 'UPDATING'],
    ['update', 'FAILED', 'AwsOperationError', 'UPDATE_FAILED'],
    ['update', 'ABORTED', undefined, 'UPDATE_FAILED'],
    ['update', 'TIMED_OUT', undefined, 'UPDATE_FAILED'],
    ['teardown', 'SUCCEEDED', undefined, 'TORN_DOWN'],
    ['teardown', 'FAILED', 'TeardownIncompleteError', 'TEARDOWN_FAILED'],
    ['teardown', 'ABORTED', undefined, 'TEARDOWN_FAILED'],
  ] as const)('%s %s (%s) -> %s', (kind, status, error, outcome) => {
    expect(outcomeOf(kind, { status, error })).toBe(outcome);
  });
});
