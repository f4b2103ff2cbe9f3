import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalEngine, placeholdersOf, WORKFLOWS } from '../../../local/engine';
import { ExecutionStore, executionArn, stateMachineArn, type ExecutionRecord } from '../../../local/executions';
import type { LocalHandler } from '../../../local/functions';
import { SfnApiError, sfnApi } from '../../../local/sfn-server';

const PROVISION = stateMachineArn('byoc-provision');

/** Every function both workflows call, each waiting for `gate` (so executions stay RUNNING until it opens). */
function gatedFunctions() {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const names = Object.values(WORKFLOWS).flatMap((file) => placeholdersOf(readFileSync(join(__dirname, '../../../statemachine', file), 'utf8')));
  const functions: Record<string, LocalHandler> = Object.fromEntries(
    names.map((name) => [
      name,
      async (event: never) => {
        await gate;
        return event;
      },
    ]),
  );
  return { functions, open };
}

const closedRecord = (name: string, status: ExecutionRecord['status'], startDate: string): ExecutionRecord => ({
  executionArn: executionArn('byoc-provision', name),
  stateMachineArn: PROVISION,
  name,
  status,
  input: '{"projectName":"demo"}',
  startDate,
  stopDate: startDate,
  history: [{ id: 1, previousEventId: 0, timestamp: new Date(startDate), type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"projectName":"demo"}' } }],
});

describe('the local Step Functions API (operations, without HTTP)', () => {
  let engine: LocalEngine;
  let api: ReturnType<typeof sfnApi>;
  let open: () => void;
  beforeEach(() => {
    const gated = gatedFunctions();
    open = gated.open;
    engine = new LocalEngine({
      store: new ExecutionStore(mkdtempSync(join(tmpdir(), 'byoc-sfn-api-'))),
      timeScale: Infinity,
      functions: gated.functions,
      // No moto here: the registry writes and the completion events answer as DynamoDB and EventBridge would, without a call.
      serviceIntegrations: { 'arn:aws:states:::dynamodb:updateItem': async () => ({}), 'arn:aws:states:::events:putEvents': async () => ({ Entries: [{ EventId: 'e-1' }], FailedEntryCount: 0 }) },
    });
    api = sfnApi(engine);
  });
  afterEach(async () => {
    open();
    await Promise.all([...engine.runningExecutions.values()].map((e) => e.done));
  });

  const errorOf = async (operation: string, body: Record<string, unknown>): Promise<SfnApiError> => {
    try {
      await api(operation, body);
    } catch (error) {
      return error as SfnApiError;
    }
    throw new Error(`${operation} succeeded`);
  };

  it('starts an execution, idempotently while it runs: same name and input -> the same ARN and start date', async () => {
    const first = await api('StartExecution', { stateMachineArn: PROVISION, name: 'p-1', input: '{"projectName":"demo"}' });
    expect(first.executionArn).toBe(executionArn('byoc-provision', 'p-1'));
    expect(typeof first.startDate).toBe('number');
    // Same input with other whitespace is the same JSON.
    expect(await api('StartExecution', { stateMachineArn: PROVISION, name: 'p-1', input: '{ "projectName": "demo" }' })).toEqual(first);
    expect((await errorOf('StartExecution', { stateMachineArn: PROVISION, name: 'p-1', input: '{"projectName":"other"}' })).type).toBe('ExecutionAlreadyExists');
    expect(engine.runningExecutions.size).toBe(1);
  });

  it('refuses a name already used by a closed execution, whatever the input (AWS: names are unique for 90 days)', async () => {
    engine.store.save(closedRecord('p-done', 'SUCCEEDED', '2030-01-01T00:00:00.000Z'));
    const error = await errorOf('StartExecution', { stateMachineArn: PROVISION, name: 'p-done', input: '{"projectName":"demo"}' });
    expect(error.type).toBe('ExecutionAlreadyExists');
    expect(error.message).toBe(`Execution Already Exists: '${executionArn('byoc-provision', 'p-done')}'`);
  });

  it.each([
    ['an unknown state machine', { stateMachineArn: stateMachineArn('nope') }, 'StateMachineDoesNotExist'],
    ['another account\'s state machine', { stateMachineArn: PROVISION.replace('123456789012', '210987654321') }, 'StateMachineDoesNotExist'],
    ['a malformed ARN', { stateMachineArn: 'byoc-provision' }, 'InvalidArn'],
    ['a name with a space', { stateMachineArn: PROVISION, name: 'p 1' }, 'InvalidName'],
    ['a name with a colon', { stateMachineArn: PROVISION, name: 'p:1' }, 'InvalidName'],
    ['a name over 80 characters', { stateMachineArn: PROVISION, name: 'p'.repeat(81) }, 'InvalidName'],
    ['input that is not JSON', { stateMachineArn: PROVISION, input: '{"projectName":' }, 'InvalidExecutionInput'],
  ])('refuses to start with %s', async (_what, body, type) => {
    expect((await errorOf('StartExecution', body)).type).toBe(type);
  });

  it('gives an execution a name when none is given, and {} as input', async () => {
    const out = await api('StartExecution', { stateMachineArn: PROVISION });
    const described = await api('DescribeExecution', { executionArn: out.executionArn });
    expect(described.name).toMatch(/^[0-9a-f-]{36}$/);
    expect(described).toMatchObject({ status: 'RUNNING', input: '{}', stateMachineArn: PROVISION });
  });

  it('answers ExecutionDoesNotExist and InvalidArn for executions', async () => {
    expect((await errorOf('DescribeExecution', { executionArn: executionArn('byoc-provision', 'ghost') })).type).toBe('ExecutionDoesNotExist');
    expect((await errorOf('GetExecutionHistory', { executionArn: 'nope' })).type).toBe('InvalidArn');
    expect((await errorOf('StopExecution', { executionArn: executionArn('byoc-provision', 'ghost') })).type).toBe('ExecutionDoesNotExist');
    expect((await errorOf('DeleteStateMachine', {})).type).toBe('UnknownOperationException');
  });

  it('forgets closed executions older than N days on request (local only, as AWS does after 90): then they do not exist', async () => {
    engine.store.save(closedRecord('ancient', 'SUCCEEDED', '2026-01-01T00:00:00.000Z'));
    const asOf = Date.parse('2026-01-01T00:00:00.000Z') / 1000 + 91 * 24 * 3600;
    expect(await api('ForgetClosedExecutions', { olderThanDays: 90, asOf })).toEqual({ forgotten: [executionArn('byoc-provision', 'ancient')] });
    expect((await errorOf('DescribeExecution', { executionArn: executionArn('byoc-provision', 'ancient') })).type).toBe('ExecutionDoesNotExist');
    expect((await errorOf('ForgetClosedExecutions', { olderThanDays: -1 })).type).toBe('ValidationException');
  });

  it('lists executions newest first, by status, a page at a time', async () => {
    engine.store.save(closedRecord('a', 'SUCCEEDED', '2030-01-01T00:00:01.000Z'));
    engine.store.save(closedRecord('b', 'FAILED', '2030-01-01T00:00:02.000Z'));
    engine.store.save(closedRecord('c', 'SUCCEEDED', '2030-01-01T00:00:03.000Z'));
    const names = async (body: Record<string, unknown>) => ((await api('ListExecutions', { stateMachineArn: PROVISION, ...body })).executions as { name: string }[]).map((e) => e.name);
    expect(await names({})).toEqual(['c', 'b', 'a']);
    expect(await names({ statusFilter: 'SUCCEEDED' })).toEqual(['c', 'a']);
    const first = await api('ListExecutions', { stateMachineArn: PROVISION, maxResults: 2 });
    expect((first.executions as unknown[]).length).toBe(2);
    expect(await names({ maxResults: 2, nextToken: first.nextToken })).toEqual(['a']);
    expect((await errorOf('ListExecutions', { stateMachineArn: PROVISION, statusFilter: 'DONE' })).type).toBe('ValidationException');
    expect((await errorOf('ListExecutions', { stateMachineArn: PROVISION, maxResults: 2, nextToken: 'garbage' })).type).toBe('InvalidToken');
    // A token is bound to its query.
    expect((await errorOf('ListExecutions', { stateMachineArn: PROVISION, statusFilter: 'FAILED', nextToken: first.nextToken })).type).toBe('InvalidToken');
    expect((await errorOf('ListExecutions', { stateMachineArn: stateMachineArn('nope') })).type).toBe('StateMachineDoesNotExist');
  });

  it('stops a running execution with an error and a cause: ABORTED, and stopping again changes nothing', async () => {
    const { executionArn: arn } = await api('StartExecution', { stateMachineArn: PROVISION, name: 'p-stop', input: '{}' });
    const stopped = await api('StopExecution', { executionArn: arn, error: 'Cancelled', cause: 'the customer changed their mind' });
    const described = await api('DescribeExecution', { executionArn: arn });
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'the customer changed their mind', stopDate: stopped.stopDate });
    expect(await api('StopExecution', { executionArn: arn })).toEqual({ stopDate: stopped.stopDate });
  });

  it('closes a record left RUNNING by a process that is gone when it is stopped', async () => {
    engine.store.save({ ...closedRecord('orphan', 'RUNNING', '2030-01-01T00:00:00.000Z'), stopDate: undefined });
    await api('StopExecution', { executionArn: executionArn('byoc-provision', 'orphan') });
    expect(engine.store.load(executionArn('byoc-provision', 'orphan'))?.status).toBe('ABORTED');
  });
});
