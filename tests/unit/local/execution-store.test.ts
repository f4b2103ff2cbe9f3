import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionStore, executionArn, stateMachineArn, type ExecutionRecord } from '../../../local/executions';

function record(name: string, runnerPid: number): ExecutionRecord {
  return {
    executionArn: executionArn('byoc-provision', name),
    stateMachineArn: stateMachineArn('byoc-provision'),
    name,
    status: 'RUNNING',
    input: '{}',
    startDate: new Date('2026-11-25T00:00:00Z').toISOString(),
    history: [{ id: 1, previousEventId: 0, type: 'ExecutionStarted', timestamp: new Date('2026-11-25T00:00:01Z') }],
    runnerPid,
  };
}

describe('the on-disk execution store', () => {
  const store = new ExecutionStore(mkdtempSync(join(tmpdir(), 'byoc-store-')));

  it('reads back what it saved, dates included', () => {
    store.save(record('alive', process.pid));
    const back = store.load(executionArn('byoc-provision', 'alive'))!;
    expect(back.status).toBe('RUNNING');
    expect(back.history[0].timestamp).toEqual(new Date('2026-11-25T00:00:01Z'));
  });

  it('reports a RUNNING execution whose process is gone (Ctrl-C, crash) as ABORTED, saying why', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    store.save(record('orphan', Number(gone.stdout)));
    const back = store.load(executionArn('byoc-provision', 'orphan'))!;
    expect(back.status).toBe('ABORTED');
    expect(back.cause).toContain('stopped before it ended');
    expect(back.stopDate).toBe('2026-11-25T00:00:01.000Z');
  });

  it('knows no execution it never saved', () => {
    expect(store.load(executionArn('byoc-provision', 'never'))).toBeUndefined();
    expect(store.load('not-an-arn')).toBeUndefined();
  });
});

describe('expiry and accounts in the execution store', () => {
  const DAY = 24 * 3600 * 1000;
  const closed = (name: string, stopDate: string): ExecutionRecord => ({ ...record(name, process.pid), status: 'SUCCEEDED', stopDate });

  it('forgets closed executions older than N days (Step Functions keeps them 90), never a running one', () => {
    const store = new ExecutionStore(mkdtempSync(join(tmpdir(), 'byoc-store-')));
    store.save(closed('old', '2026-01-01T00:00:00.000Z'));
    store.save(closed('recent', '2026-03-15T00:00:00.000Z'));
    store.save(record('running', process.pid));
    const now = Date.parse('2026-01-01T00:00:00.000Z') + 91 * DAY;
    expect(store.forgetClosed({ olderThanDays: 90, now })).toEqual([executionArn('byoc-provision', 'old')]);
    expect(store.load(executionArn('byoc-provision', 'old'))).toBeUndefined();
    expect(store.load(executionArn('byoc-provision', 'recent'))).toBeDefined();
    expect(store.forgetClosed({ now: now + 365 * DAY })).toEqual([executionArn('byoc-provision', 'recent')]);
    expect(store.load(executionArn('byoc-provision', 'running'))?.status).toBe('RUNNING');
  });

  it('is one account\'s Step Functions when scoped: it sees its own executions and unscoped ones, never another account\'s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'byoc-store-'));
    new ExecutionStore(dir, 'http://127.0.0.1:1#1').save(closed('first-moto', '2026-01-01T00:00:00.000Z'));
    new ExecutionStore(dir).save(closed('unscoped', '2026-01-01T00:00:00.000Z'));
    const second = new ExecutionStore(dir, 'http://127.0.0.1:1#2');
    expect(second.load(executionArn('byoc-provision', 'first-moto'))).toBeUndefined();
    expect(second.list('byoc-provision').map((r) => r.name)).toEqual(['unscoped']);
    // `byoc status` reads without a scope: everything this machine recorded.
    expect(new ExecutionStore(dir).list('byoc-provision').map((r) => r.name).sort()).toEqual(['first-moto', 'unscoped']);
  });
});
