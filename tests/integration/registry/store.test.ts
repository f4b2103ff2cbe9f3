import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamodbClient } from '../../../shared/aws/clients';
import { InvalidInputError } from '../../../shared/errors';
import type { RegistryRecord, RegistryStatus } from '../../../shared/registry/record';
import { createRecord, getRecord, listRecords, saveRecord, StaleRecordError, type RegistryDeps } from '../../../shared/registry/store';
import { ensureRegistryTable } from '../../../local/registry';
import { useMoto } from '../../helpers/moto';

const TABLE = 'byoc-registry-test';

function newRecord(provisioningId: string, status: RegistryStatus = 'PROVISIONING', updatedAt = new Date().toISOString()): RegistryRecord {
  const execution = { kind: 'provision' as const, name: provisioningId, executionArn: `arn:aws:states:us-east-1:123456789012:execution:byoc-provision:${provisioningId}`, startedAt: updatedAt, status: 'RUNNING' as const };
  return { provisioningId, status, request: { projectName: 'demo', region: 'us-west-2' }, outputs: null, currentExecution: execution, executions: [execution], createdAt: updatedAt, updatedAt, version: 1 };
}

describe('the registry on DynamoDB (moto): optimistic locking and listing', () => {
  const moto = useMoto();
  let deps: RegistryDeps;
  beforeEach(async () => {
    await moto.reset();
    deps = { dynamodb: dynamodbClient('us-east-1'), tableName: TABLE };
    await ensureRegistryTable(deps.dynamodb, TABLE);
  });

  it('registers a provisioning once: a second registration of the same ID is refused (StaleRecordError)', async () => {
    await createRecord(newRecord('p-1'), deps);
    await expect(createRecord(newRecord('p-1'), deps)).rejects.toBeInstanceOf(StaleRecordError);
    expect(await getRecord('p-1', deps)).toMatchObject({ provisioningId: 'p-1', status: 'PROVISIONING', version: 1 });
    expect(await getRecord('nope', deps)).toBeUndefined();
  });

  it('optimistic locking: a write naming the version it read succeeds (version + 1); a stale version is refused and changes nothing', async () => {
    const created = await createRecord(newRecord('p-2'), deps);
    const saved = await saveRecord({ ...created, status: 'SUCCEEDED', currentExecution: null }, created.version, deps);
    expect(saved.version).toBe(2);
    await expect(saveRecord({ ...created, status: 'TEARING_DOWN' }, created.version, deps)).rejects.toBeInstanceOf(StaleRecordError);
    expect(await getRecord('p-2', deps)).toMatchObject({ status: 'SUCCEEDED', version: 2 });
  });

  it('a state machine\'s write (UpdateItem, ADD version) makes a record read before it stale', async () => {
    const read = await createRecord(newRecord('p-3'), deps);
    await deps.dynamodb.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { provisioningId: { S: 'p-3' } },
        UpdateExpression: 'SET #status = :s ADD version :one',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'SUCCEEDED' }, ':one': { N: '1' } },
      }),
    );
    await expect(saveRecord({ ...read, status: 'TEARING_DOWN' }, read.version, deps)).rejects.toThrow(/changed after version 1 was read/);
  });

  it('lists by status, newest change first, a page at a time; a token only continues its own listing', async () => {
    for (let i = 0; i < 5; i++) await createRecord(newRecord(`s-${i}`, 'SUCCEEDED', `2026-01-0${i + 1}T00:00:00.000Z`), deps);
    await createRecord(newRecord('f-1', 'FAILED'), deps);
    const first = await listRecords({ status: 'SUCCEEDED', limit: 2 }, deps);
    expect(first.records.map((r) => r.provisioningId)).toEqual(['s-4', 's-3']);
    const second = await listRecords({ status: 'SUCCEEDED', limit: 2, nextToken: first.nextToken }, deps);
    expect(second.records.map((r) => r.provisioningId)).toEqual(['s-2', 's-1']);
    await expect(listRecords({ status: 'FAILED', nextToken: first.nextToken }, deps)).rejects.toBeInstanceOf(InvalidInputError);

    const all: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await listRecords({ limit: 4, nextToken }, deps);
      all.push(...page.records.map((r) => r.provisioningId));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(all.sort()).toEqual(['f-1', 's-0', 's-1', 's-2', 's-3', 's-4']);
  });

  it('refuses an unknown status and a limit outside 1-100, naming each', async () => {
    const error = await listRecords({ status: 'DONE', limit: 0 }, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems.map((p) => p.field)).toEqual(['status', 'limit']);
  });
});
