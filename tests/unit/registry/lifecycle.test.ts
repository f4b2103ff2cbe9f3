import { decideStart, decideTeardown, executionNameFor, MAX_EXECUTIONS, nextExecutionNumber, onChangedRequest, outcomeOf, sameRequest } from '../../../shared/registry/lifecycle';
import type { ExecutionEntry, RegistryRecord, RegistryStatus } from '../../../shared/registry/record';

const REQUEST = { projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } };
const OTHER = { ...REQUEST, projectName: 'other' };
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

  it('same ID and another request: 409 ProvisioningExists, decided in one place (onChangedRequest)', () => {
    for (const status of ['PROVISIONING', 'SUCCEEDED', 'FAILED', 'ROLLED_BACK'] as const) {
      expect(decideStart(record(status), 'p-1', OTHER)).toMatchObject({ action: 'refuse', code: 'ProvisioningExists' });
    }
    expect(onChangedRequest(record('SUCCEEDED')).code).toBe('ProvisioningExists');
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
    ['teardown', 'SUCCEEDED', undefined, 'TORN_DOWN'],
    ['teardown', 'FAILED', 'TeardownIncompleteError', 'TEARDOWN_FAILED'],
    ['teardown', 'ABORTED', undefined, 'TEARDOWN_FAILED'],
  ] as const)('%s %s (%s) -> %s', (kind, status, error, outcome) => {
    expect(outcomeOf(kind, { status, error })).toBe(outcome);
  });
});
