import { marshall } from '@aws-sdk/util-dynamodb';
import { itemFromRecord, latestExecution, recordFromItem, regionOf, targetAccountOf, type RegistryRecord } from '../../../shared/registry/record';
import { REGISTRY_STATUS_INDEX, REGISTRY_TABLE_SCHEMA } from '../../../shared/registry/table';
import { loadServerlessConfig } from '../../helpers/serverless-config';

const record: RegistryRecord = {
  provisioningId: 'p-1',
  status: 'SUCCEEDED',
  request: { provisioningId: 'p-1', projectName: 'demo', region: 'eu-central-1', targetAccount: { roleArn: 'arn:aws:iam::111122223333:role/x', externalId: 'ext-1' } },
  outputs: { vpcId: 'vpc-1' } as never,
  currentExecution: null,
  executions: [
    { kind: 'teardown', name: 'p-1--teardown-1', executionArn: 'arn:t', startedAt: '2026-01-03T00:00:00.000Z', status: 'FAILED', outcome: 'TEARDOWN_FAILED', error: { error: 'TeardownIncompleteError', cause: 'left: vpc-1' } },
    { kind: 'provision', name: 'p-1', executionArn: 'arn:p', startedAt: '2026-01-01T00:00:00.000Z', stoppedAt: '2026-01-01T00:05:00.000Z', status: 'SUCCEEDED', outcome: 'SUCCEEDED' },
  ],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-03T00:00:00.000Z',
  version: 7,
};

describe('the registry item', () => {
  it('keeps the previous request of an update as JSON text, as the state machine reads it (ReadPreviousRequest)', () => {
    const updating: RegistryRecord = { ...record, status: 'UPDATING', previousRequest: { ...record.request, tags: { team: 'data' } } };
    const item = itemFromRecord(updating);
    expect(item.previousRequest).toEqual({ S: JSON.stringify(updating.previousRequest) });
    expect(recordFromItem(item).previousRequest).toEqual(updating.previousRequest);
    expect(recordFromItem(itemFromRecord(record))).not.toHaveProperty('previousRequest');
  });

  it('keeps a record whole through DynamoDB (request and outputs as JSON text, executions by name, oldest first)', () => {
    const item = itemFromRecord(record);
    expect(item.request).toEqual({ S: JSON.stringify(record.request) });
    expect(item.outputs).toEqual({ S: '{"vpcId":"vpc-1"}' });
    expect(Object.keys(item.executions.M!)).toEqual(['p-1--teardown-1', 'p-1']);
    const back = recordFromItem(item);
    expect(back).toEqual({ ...record, executions: [record.executions[1], record.executions[0]] });
    expect(latestExecution(back, 'teardown')?.name).toBe('p-1--teardown-1');
  });

  it('reads what the state machines write: a console start registered before its first step (no status, no request yet)', () => {
    const fresh = recordFromItem(marshall({ provisioningId: 'console-1', executions: {}, createdAt: '2026-01-01T00:00:00.000Z' }));
    expect(fresh).toMatchObject({ provisioningId: 'console-1', status: 'PROVISIONING', request: null, outputs: null, currentExecution: null, executions: [], version: 0 });
  });

  it('keeps the target account (role and external ID) and the region in the request: a teardown years later needs them', () => {
    expect(regionOf(record)).toBe('eu-central-1');
    expect(targetAccountOf(record)).toEqual({ roleArn: 'arn:aws:iam::111122223333:role/x', externalId: 'ext-1' });
  });
});

describe('the registry table', () => {
  it('is declared in serverless.yml as the code expects: on demand, point-in-time recovery, deletion protection, the status index', () => {
    const table = loadServerlessConfig().resources.Resources.RegistryTable as { DeletionPolicy: string; Properties: Record<string, unknown> };
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    const { BillingMode: _billing, ...schema } = REGISTRY_TABLE_SCHEMA;
    expect({ AttributeDefinitions: table.Properties.AttributeDefinitions, KeySchema: table.Properties.KeySchema, GlobalSecondaryIndexes: table.Properties.GlobalSecondaryIndexes }).toEqual(JSON.parse(JSON.stringify(schema)));
    expect((table.Properties.GlobalSecondaryIndexes as { IndexName: string }[])[0].IndexName).toBe(REGISTRY_STATUS_INDEX);
  });
});
