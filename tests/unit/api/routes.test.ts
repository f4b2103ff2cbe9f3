import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { clearClientCache } from '../../../shared/aws/clients';
import { itemFromRecord, recordFromItem, type ExecutionEntry, type RegistryRecord } from '../../../shared/registry/record';
import { handler as start } from '../../../functions/api/start-provisioning';
import { handler as get } from '../../../functions/api/get-provisioning';
import { handler as list } from '../../../functions/api/list-provisionings';
import { handler as del } from '../../../functions/api/delete-provisioning';
import { handler as validate } from '../../../functions/api/validate-request';
import { apiEvent, lambdaContext } from '../../fixtures/api-events';

const PROVISION = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-provision-dev';
const TEARDOWN = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-teardown-dev';
const sfn = mockClient(SFNClient);
const dynamodb = mockClient(DynamoDBClient);
const exec = (machine: string, name: string) => `${machine.replace(':stateMachine:', ':execution:')}:${name}`;
const REQUEST = { provisioningId: 'p-1', projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } };

/** The registry table, in memory, with DynamoDB's conditional-write semantics for the two conditions the code uses. */
let table: Map<string, Record<string, AttributeValue>>;
function fakeRegistry(): void {
  table = new Map();
  dynamodb.on(GetItemCommand).callsFake((input: { Key: { provisioningId: { S: string } } }) => ({ Item: table.get(input.Key.provisioningId.S) }));
  dynamodb.on(PutItemCommand).callsFake((input: { Item: Record<string, AttributeValue>; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
    const id = input.Item.provisioningId.S!;
    const stored = table.get(id);
    const ok =
      input.ConditionExpression === 'attribute_not_exists(provisioningId)' ? !stored : input.ConditionExpression === 'version = :expected' ? stored?.version?.N === input.ExpressionAttributeValues![':expected'].N : true;
    if (!ok) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    table.set(id, input.Item);
    return {};
  });
}
const registered = (id: string): RegistryRecord | undefined => (table.get(id) ? recordFromItem(table.get(id)!) : undefined);
function register(record: Partial<RegistryRecord> & { executions: ExecutionEntry[] }): void {
  const full: RegistryRecord = { provisioningId: 'p-1', status: 'SUCCEEDED', request: REQUEST, outputs: null, currentExecution: null, createdAt: '2026-11-25T00:00:00.000Z', updatedAt: '2026-11-25T00:00:00.000Z', version: 4, ...record };
  table.set(full.provisioningId, itemFromRecord(full));
}
const entry = (kind: ExecutionEntry['kind'], name: string, status: ExecutionEntry['status'], extra: Partial<ExecutionEntry> = {}): ExecutionEntry => ({
  kind,
  name,
  executionArn: exec(kind === 'provision' ? PROVISION : TEARDOWN, name),
  startedAt: '2026-11-25T00:00:00.000Z',
  status,
  ...extra,
});

/** DescribeExecution answers from a table of executions by ARN; anything else does not exist (as on AWS). */
function executions(known: Record<string, Partial<DescribeExecutionCommandOutput>>): void {
  sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    const found = known[input.executionArn];
    if (!found) throw new ExecutionDoesNotExist({ message: 'no', $metadata: {} });
    return { executionArn: input.executionArn, startDate: new Date(), ...found };
  });
}
const body = (r: unknown) => JSON.parse((r as { body: string }).body);

beforeAll(() => {
  process.env.PROVISION_STATE_MACHINE_ARN = PROVISION;
  process.env.TEARDOWN_STATE_MACHINE_ARN = TEARDOWN;
  process.env.REGISTRY_TABLE_NAME = 'byoc-registry-dev';
  clearClientCache();
});
beforeEach(() => {
  fakeRegistry();
  executions({});
});
afterEach(() => {
  sfn.reset();
  dynamodb.reset();
});

describe('POST /provisionings', () => {
  it('registers the provisioning, then starts an execution named after its ID, and answers 202 with where to look', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: exec(PROVISION, 'p-1'), startDate: new Date('2026-11-25T00:00:00Z') });
    const res = await start(apiEvent('POST /provisionings', { body: REQUEST }), lambdaContext());
    expect(res.statusCode).toBe(202);
    expect(res.headers?.location).toBe('/provisionings/p-1');
    expect(body(res)).toMatchObject({ provisioningId: 'p-1', status: 'PROVISIONING' });
    const call = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(call).toMatchObject({ stateMachineArn: PROVISION, name: 'p-1' });
    expect(JSON.parse(call.input!)).toMatchObject({ provisioningId: 'p-1', region: 'us-west-2' });
    expect(registered('p-1')).toMatchObject({ status: 'PROVISIONING', request: REQUEST, currentExecution: { kind: 'provision', name: 'p-1', status: 'RUNNING' }, version: 1 });
    expect(dynamodb.commandCalls(PutItemCommand)[0].args[0].input.TableName).toBe('byoc-registry-dev');
  });

  it('takes the provisioning ID from the Idempotency-Key header', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
    const { provisioningId: _id, ...rest } = REQUEST;
    await start(apiEvent('POST /provisionings', { body: rest, headers: { 'idempotency-key': 'order-42' } }), lambdaContext());
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.name).toBe('order-42');
  });

  it('answers 400 naming every bad field, and starts and registers nothing', async () => {
    const res = await start(apiEvent('POST /provisionings', { body: { projectName: 'Demo', region: 'mars-1' } }), lambdaContext());
    expect(res.statusCode).toBe(400);
    expect(body(res).problems.map((p: { field: string }) => p.field)).toEqual(expect.arrayContaining(['projectName', 'region']));
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(table.size).toBe(0);
  });

  it('replacement: answers 409 ReplacementRequired, naming each field with why and how to replace, when the registry has the ID with a request that needs new resources', async () => {
    register({ request: { ...REQUEST, projectName: 'other' }, executions: [entry('provision', 'p-1', 'SUCCEEDED')] });
    const res = await start(apiEvent('POST /provisionings', { body: REQUEST }), lambdaContext());
    expect(res.statusCode).toBe(409);
    expect(body(res)).toMatchObject({
      error: 'ReplacementRequired',
      fields: [{ field: 'projectName', kind: 'replacement', why: 'names and Name tags derive from it', before: 'other', after: 'demo' }],
      howToReplace: [expect.stringContaining('DELETE /provisionings/p-1'), expect.stringContaining('new provisioningId')],
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('update: starts <id>--update-1 when every change is in place, keeping the outputs and the previous request in the registry, and lists the changes', async () => {
    const outputs = { provisioningId: 'p-1', vpcId: 'vpc-1' } as unknown as RegistryRecord['outputs'];
    register({ outputs, executions: [entry('provision', 'p-1', 'SUCCEEDED')] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: exec(PROVISION, 'p-1--update-1'), startDate: new Date() });
    const res = await start(apiEvent('POST /provisionings', { body: { ...REQUEST, tags: { team: 'ml' } } }), lambdaContext());
    expect(res.statusCode).toBe(202);
    expect(body(res)).toMatchObject({ status: 'UPDATING', kind: 'update', executionArn: exec(PROVISION, 'p-1--update-1'), changes: [{ field: 'tags', kind: 'in-place', before: {}, after: { team: 'ml' } }] });
    const started = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect({ machine: started.stateMachineArn, name: started.name }).toEqual({ machine: PROVISION, name: 'p-1--update-1' });
    expect(registered('p-1')).toMatchObject({
      status: 'UPDATING',
      request: { tags: { team: 'ml' } },
      previousRequest: REQUEST,
      outputs,
      currentExecution: { kind: 'update', name: 'p-1--update-1' },
    });
  });

  it('answers with the existing provisioning when the same request is sent again after it succeeded', async () => {
    register({ executions: [entry('provision', 'p-1', 'SUCCEEDED')] });
    const res = await start(apiEvent('POST /provisionings', { body: REQUEST }), lambdaContext());
    expect(res.statusCode).toBe(202);
    expect(body(res)).toMatchObject({ provisioningId: 'p-1', status: 'SUCCEEDED', startedAt: '2026-11-25T00:00:00.000Z', executionArn: exec(PROVISION, 'p-1') });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('retries after a failure: a new attempt named <id>--2', async () => {
    register({ status: 'ROLLED_BACK', executions: [entry('provision', 'p-1', 'FAILED', { outcome: 'ROLLED_BACK' })] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: exec(PROVISION, 'p-1--2'), startDate: new Date() });
    const res = await start(apiEvent('POST /provisionings', { body: REQUEST }), lambdaContext());
    expect(body(res)).toMatchObject({ status: 'PROVISIONING', executionArn: exec(PROVISION, 'p-1--2') });
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.name).toBe('p-1--2');
    expect(registered('p-1')!.executions.map((e) => e.name)).toEqual(['p-1', 'p-1--2']);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await start(apiEvent('POST /provisionings', { rawBody: 'projectName=demo' }), lambdaContext());
    expect(res.statusCode).toBe(415);
    expect(body(res).message).toContain('application/json');
  });

  it('answers an opaque 500 with the request ID when something unexpected breaks (no internals leak), and records the attempt as not started', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('socket details that must not leak'));
    const res = await start(apiEvent('POST /provisionings', { body: REQUEST }), lambdaContext());
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('socket details');
    expect(body(res).message).toContain('aws-req-1');
    expect(registered('p-1')).toMatchObject({ status: 'FAILED', currentExecution: null, executions: [{ name: 'p-1', status: 'FAILED', error: { cause: expect.stringContaining('StartExecution failed') } }] });
  });
});

describe('GET /provisionings/{id}', () => {
  it('answers 404 for a provisioning neither the registry nor Step Functions knows', async () => {
    const res = await get(apiEvent('GET /provisionings/{id}', { id: 'nope' }), lambdaContext());
    expect(res.statusCode).toBe(404);
  });

  it('answers from the registry, with per-step progress from the history, the readable error and the step that raised it', async () => {
    const cause = JSON.stringify({ errorType: 'QuotaExceededError', errorMessage: 'CreateVpc: Could not create a VPC: VpcLimitExceeded: too many' });
    register({ status: 'ROLLED_BACK', executions: [entry('provision', 'p-1', 'FAILED', { stoppedAt: '2026-11-25T00:01:00.000Z', outcome: 'ROLLED_BACK', error: { error: 'QuotaExceededError', cause } })] });
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 1, type: 'ExecutionStarted', timestamp: new Date('2026-11-25T00:00:00Z') },
        { id: 2, previousEventId: 1, type: 'TaskStateEntered', timestamp: new Date('2026-11-25T00:00:01Z'), stateEnteredEventDetails: { name: 'CreateVpc' } },
        { id: 3, previousEventId: 2, type: 'LambdaFunctionScheduled', timestamp: new Date('2026-11-25T00:00:01Z') },
        { id: 4, previousEventId: 3, type: 'LambdaFunctionFailed', timestamp: new Date('2026-11-25T00:00:02Z'), lambdaFunctionFailedEventDetails: { error: 'QuotaExceededError', cause: '{"errorType":"QuotaExceededError","errorMessage":"CreateVpc: too many"}' } },
        { id: 5, previousEventId: 4, type: 'TaskStateExited', timestamp: new Date('2026-11-25T00:00:02Z'), stateExitedEventDetails: { name: 'CreateVpc' } },
      ],
    });
    const res = await get(apiEvent('GET /provisionings/{id}', { id: 'p-1' }), lambdaContext());
    expect(res.statusCode).toBe(200);
    expect(body(res)).toMatchObject({
      status: 'ROLLED_BACK',
      historyAvailable: true,
      error: { name: 'QuotaExceededError', step: 'CreateVpc', message: 'Could not create a VPC: VpcLimitExceeded: too many' },
      steps: [{ name: 'CreateVpc', status: 'failed', attempts: 1, lastError: { name: 'QuotaExceededError', message: 'too many' } }],
      teardown: null,
      region: 'us-west-2',
    });
  });

  it('still answers once Step Functions has forgotten the executions (no steps, historyAvailable false)', async () => {
    register({ outputs: { vpcId: 'vpc-1' } as never, executions: [entry('provision', 'p-1', 'SUCCEEDED')] });
    sfn.on(GetExecutionHistoryCommand).rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    expect(body(await get(apiEvent('GET /provisionings/{id}', { id: 'p-1' }), lambdaContext()))).toMatchObject({ status: 'SUCCEEDED', steps: [], historyAvailable: false, outputs: { vpcId: 'vpc-1' } });
  });
});

describe('GET /provisionings', () => {
  it('pages through the registry by status (the status index, newest first) and refuses a bad limit', async () => {
    const item = itemFromRecord({ provisioningId: 'p-9', status: 'SUCCEEDED', request: REQUEST, outputs: null, currentExecution: null, executions: [], createdAt: 'a', updatedAt: 'b', version: 1 });
    dynamodb.on(QueryCommand).resolves({ Items: [item], LastEvaluatedKey: { provisioningId: { S: 'p-9' }, status: { S: 'SUCCEEDED' }, updatedAt: { S: 'b' } } });
    const res = await list(apiEvent('GET /provisionings', { query: { status: 'SUCCEEDED', limit: '1' } }), lambdaContext());
    expect(res.statusCode).toBe(200);
    expect(body(res)).toMatchObject({ provisionings: [{ provisioningId: 'p-9', status: 'SUCCEEDED', projectName: 'demo', region: 'us-west-2' }], nextToken: expect.any(String) });
    expect(dynamodb.commandCalls(QueryCommand)[0].args[0].input).toMatchObject({ IndexName: 'byStatus', Limit: 1, ScanIndexForward: false });
    expect((await list(apiEvent('GET /provisionings', { query: { limit: '1000' } }), lambdaContext())).statusCode).toBe(400);
  });
});

describe('DELETE /provisionings/{id}', () => {
  it('starts a teardown with the region, role and bucket names and customer account of the registry\'s latest request', async () => {
    register({
      request: { provisioningId: 'p-1', projectName: 'demo', region: 'eu-central-1', targetAccount: { roleArn: 'arn:aws:iam::111122223333:role/x', externalId: 'ext-123' }, crossAccountRole: { externalId: 'cid-1', name: 'zilliz-byoc-xa' } },
      outputs: { accountId: '111122223333', bucketName: 'zilliz-byoc-demo-milvus-0123abcd' } as never,
      executions: [entry('provision', 'p-1', 'SUCCEEDED')],
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: exec(TEARDOWN, 'p-1--teardown-1'), startDate: new Date() });
    const res = await del(apiEvent('DELETE /provisionings/{id}', { id: 'p-1' }), lambdaContext());
    expect(res.statusCode).toBe(202);
    expect(body(res)).toMatchObject({ status: 'TEARING_DOWN' });
    const call = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(call).toMatchObject({ stateMachineArn: TEARDOWN, name: 'p-1--teardown-1' });
    expect(JSON.parse(call.input!)).toEqual({
      provisioningId: 'p-1',
      region: 'eu-central-1',
      iamRoleName: 'zilliz-byoc-demo-eks-role',
      storageRoleName: 'zilliz-byoc-demo-storage-role',
      crossAccountRoleName: 'zilliz-byoc-xa',
      bucketName: 'zilliz-byoc-demo-milvus-0123abcd',
      targetAccount: { roleArn: 'arn:aws:iam::111122223333:role/x', externalId: 'ext-123' },
    });
    expect(registered('p-1')).toMatchObject({ status: 'TEARING_DOWN', currentExecution: { kind: 'teardown', name: 'p-1--teardown-1' } });
  });

  it('answers 409 naming the running teardown instead of starting a second one', async () => {
    const running = entry('teardown', 'p-1--teardown-1', 'RUNNING');
    register({ status: 'TEARING_DOWN', currentExecution: running, executions: [entry('provision', 'p-1', 'SUCCEEDED'), running] });
    executions({ [running.executionArn]: { status: 'RUNNING' } });
    const res = await del(apiEvent('DELETE /provisionings/{id}', { id: 'p-1' }), lambdaContext());
    expect(res.statusCode).toBe(409);
    expect(body(res)).toMatchObject({ error: 'TeardownRunning', runningExecution: { kind: 'teardown', executionArn: running.executionArn } });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('starts a new attempt after a failed teardown', async () => {
    register({ status: 'TEARDOWN_FAILED', executions: [entry('provision', 'p-1', 'FAILED'), entry('teardown', 'p-1--teardown-1', 'FAILED')] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:td2', startDate: new Date() });
    await del(apiEvent('DELETE /provisionings/{id}', { id: 'p-1' }), lambdaContext());
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.name).toBe('p-1--teardown-2');
  });
});

describe('POST /validate', () => {
  it('answers 200 with the defaults filled in, or 400 with the problems', async () => {
    const ok = await validate(apiEvent('POST /validate', { body: { projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } } }), lambdaContext());
    expect(ok.statusCode).toBe(200);
    expect(body(ok).request.network.vpcCidr).toBe('10.0.0.0/16');
    const bad = await validate(apiEvent('POST /validate', { body: { projectName: 'demo', region: 'us-west-2', network: { vpcCidr: '10.0.0.0/8' }, crossAccountRole: { externalId: 'cid-0123456789abcdef' } } }), lambdaContext());
    expect(bad.statusCode).toBe(400);
    expect(body(bad).problems).toEqual([{ field: 'network.vpcCidr', rule: 'must use a /16 netmask (V2); got /8' }]);
  });
});
