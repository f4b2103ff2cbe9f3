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
