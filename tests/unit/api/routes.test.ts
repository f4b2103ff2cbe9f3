import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { clearClientCache } from '../../../shared/aws/clients';
import { handler as start } from '../../../functions/api/start-provisioning';
import { handler as get } from '../../../functions/api/get-provisioning';
import { handler as del } from '../../../functions/api/delete-provisioning';
import { handler as validate } from '../../../functions/api/validate-request';
import { apiEvent, lambdaContext } from '../../fixtures/api-events';

const PROVISION = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-provision-dev';
const TEARDOWN = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-teardown-dev';
const sfn = mockClient(SFNClient);
const exec = (machine: string, name: string) => `${machine.replace(':stateMachine:', ':execution:')}:${name}`;

/** DescribeExecution answers from a table of executions by ARN; anything else does not exist (as on AWS). */
function executions(table: Record<string, Partial<DescribeExecutionCommandOutput>>): void {
  sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    const found = table[input.executionArn];
    if (!found) throw new ExecutionDoesNotExist({ message: 'no', $metadata: {} });
    return { executionArn: input.executionArn, startDate: new Date(), ...found };
  });
}
const body = (r: unknown) => JSON.parse((r as { body: string }).body);

beforeAll(() => {
  process.env.PROVISION_STATE_MACHINE_ARN = PROVISION;
  process.env.TEARDOWN_STATE_MACHINE_ARN = TEARDOWN;
  clearClientCache();
});
afterEach(() => sfn.reset());

describe('POST /provisionings', () => {
  it('starts an execution named after the provisioning ID and answers 202 with where to look', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${PROVISION.replace('stateMachine', 'execution')}:p-1`, startDate: new Date('2026-11-25T00:00:00Z') });
    const res = await start(apiEvent('POST /provisionings', { body: { provisioningId: 'p-1', projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } } }), lambdaContext());
    expect(res.statusCode).toBe(202);
    expect(res.headers?.location).toBe('/provisionings/p-1');
    expect(body(res)).toMatchObject({ provisioningId: 'p-1', status: 'RUNNING' });
    const call = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(call).toMatchObject({ stateMachineArn: PROVISION, name: 'p-1' });
    expect(JSON.parse(call.input!)).toMatchObject({ provisioningId: 'p-1', region: 'us-west-2' });
  });

  it('takes the provisioning ID from the Idempotency-Key header', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
    await start(apiEvent('POST /provisionings', { body: { projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } }, headers: { 'idempotency-key': 'order-42' } }), lambdaContext());
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.name).toBe('order-42');
  });

  it('answers 400 naming every bad field, and starts nothing', async () => {
    const res = await start(apiEvent('POST /provisionings', { body: { projectName: 'Demo', region: 'mars-1' } }), lambdaContext());
    expect(res.statusCode).toBe(400);
    expect(body(res).problems.map((p: { field: string }) => p.field)).toEqual(expect.arrayContaining(['projectName', 'region']));
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 409 when the ID exists with a different request', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    executions({ [exec(PROVISION, 'p-1')]: { status: 'SUCCEEDED', input: JSON.stringify({ provisioningId: 'p-1', projectName: 'other', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } }) } });
    const res = await start(apiEvent('POST /provisionings', { body: { provisioningId: 'p-1', projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } } }), lambdaContext());
    expect(res.statusCode).toBe(409);
    expect(body(res).error).toBe('ProvisioningExists');
  });

  it('answers with the existing provisioning when the same request is sent again after it finished', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    executions({ [exec(PROVISION, 'p-1')]: { status: 'SUCCEEDED', startDate: new Date('2026-11-25T00:00:00Z'), input: JSON.stringify({ projectName: 'demo', region: 'us-west-2', provisioningId: 'p-1', crossAccountRole: { externalId: 'cid-0123456789abcdef' } }) } });
    const res = await start(apiEvent('POST /provisionings', { body: { provisioningId: 'p-1', projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } } }), lambdaContext());
    expect(res.statusCode).toBe(202);
    expect(body(res)).toMatchObject({ provisioningId: 'p-1', status: 'SUCCEEDED', startedAt: '2026-11-25T00:00:00.000Z' });
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await start(apiEvent('POST /provisionings', { rawBody: 'projectName=demo' }), lambdaContext());
    expect(res.statusCode).toBe(415);
    expect(body(res).message).toContain('application/json');
  });

  it('answers an opaque 500 with the request ID when something unexpected breaks (no internals leak)', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('socket details that must not leak'));
    const res = await start(apiEvent('POST /provisionings', { body: { provisioningId: 'p-1', projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } } }), lambdaContext());
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('socket details');
    expect(body(res).message).toContain('aws-req-1');
  });
});

describe('GET /provisionings/{id}', () => {
  it('answers 404 for an unknown provisioning', async () => {
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    const res = await get(apiEvent('GET /provisionings/{id}', { id: 'nope' }), lambdaContext());
    expect(res.statusCode).toBe(404);
  });

  it('reports per-step progress, the readable error and the step that raised it', async () => {
    executions({
      [exec(PROVISION, 'p-1')]: {
        status: 'FAILED',
        startDate: new Date('2026-11-25T00:00:00Z'),
        stopDate: new Date('2026-11-25T00:01:00Z'),
        error: 'QuotaExceededError',
        cause: JSON.stringify({ errorType: 'QuotaExceededError', errorMessage: 'CreateVpc: Could not create a VPC: VpcLimitExceeded: too many' }),
      },
    });
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
      status: 'FAILED',
      error: { name: 'QuotaExceededError', step: 'CreateVpc', message: 'Could not create a VPC: VpcLimitExceeded: too many' },
      steps: [{ name: 'CreateVpc', status: 'failed', attempts: 1, lastError: { name: 'QuotaExceededError', message: 'too many' } }],
      teardown: null,
    });
  });
});

describe('DELETE /provisionings/{id}', () => {
  it('starts a teardown with the region, role and bucket names and customer account of the original request', async () => {
    executions({
      [exec(PROVISION, 'p-1')]: {
        status: 'SUCCEEDED',
        input: JSON.stringify({ provisioningId: 'p-1', projectName: 'demo', region: 'eu-central-1', targetAccount: { roleArn: 'arn:aws:iam::111122223333:role/x', externalId: 'ext-123' }, crossAccountRole: { externalId: 'cid-1', name: 'zilliz-byoc-xa' } }),
        output: JSON.stringify({ accountId: '111122223333', bucketName: 'zilliz-byoc-demo-milvus-0123abcd' }),
      },
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:td', startDate: new Date() });
    const res = await del(apiEvent('DELETE /provisionings/{id}', { id: 'p-1' }), lambdaContext());
    expect(res.statusCode).toBe(202);
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
  });

  it('returns the running teardown instead of starting a second one', async () => {
    executions({
      [exec(PROVISION, 'p-1')]: { status: 'SUCCEEDED', input: '{"region":"us-west-2","projectName":"demo"}' },
      [exec(TEARDOWN, 'p-1--teardown-1')]: { status: 'RUNNING' },
    });
    const res = await del(apiEvent('DELETE /provisionings/{id}', { id: 'p-1' }), lambdaContext());
    expect(res.statusCode).toBe(202);
    expect(body(res).executionArn).toBe(exec(TEARDOWN, 'p-1--teardown-1'));
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('starts a new attempt after a failed teardown', async () => {
    executions({
      [exec(PROVISION, 'p-1')]: { status: 'FAILED', input: '{"region":"us-west-2","projectName":"demo"}' },
      [exec(TEARDOWN, 'p-1--teardown-1')]: { status: 'FAILED' },
    });
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
