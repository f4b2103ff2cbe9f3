import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { clearClientCache } from '../../../shared/aws/clients';
import { ATTRIBUTE_NAMES } from '../../../shared/cfn/attributes';
import { CREATE_FAILED_MARKER, coerceProperties, provisioningIdFor } from '../../../shared/cfn/identity';
import { handler } from '../../../functions/cfn/provider';
import { lambdaContext } from '../../fixtures/api-events';

const PROVISION = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-provision-dev';
const TEARDOWN = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-teardown-dev';
const STACK = 'arn:aws:cloudformation:us-west-2:123456789012:stack/app/1234';
const sfn = mockClient(SFNClient);
const lambda = mockClient(LambdaClient);
const dynamodb = mockClient(DynamoDBClient);

/** A stand-in for CloudFormation's presigned S3 URL: records every answer PUT to it. */
const answers: { headers: IncomingMessage['headers']; body: Record<string, unknown>; url: string }[] = [];
const server = createServer((req, res) => {
  let data = '';
  req.on('data', (c) => (data += c));
  req.on('end', () => {
    answers.push({ headers: req.headers, body: JSON.parse(data), url: req.url ?? '' });
    res.end();
  });
});
let responseUrl = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfn-response?X-Amz-Signature=secret`;
  process.env.PROVISION_STATE_MACHINE_ARN = PROVISION;
  process.env.TEARDOWN_STATE_MACHINE_ARN = TEARDOWN;
  process.env.REGISTRY_TABLE_NAME = 'byoc-registry-test';
  process.env.BYOC_CFN_POLL_SECONDS = '0';
  process.env.BYOC_CFN_RESPONSE_RETRY_SECONDS = '0';
  clearClientCache();
});
afterAll(() => {
  server.close();
  delete process.env.BYOC_CFN_POLL_SECONDS;
  delete process.env.REGISTRY_TABLE_NAME;
  delete process.env.BYOC_CFN_RESPONSE_RETRY_SECONDS;
});
afterEach(() => {
  sfn.reset();
  lambda.reset();
  dynamodb.reset();
  answers.length = 0;
});

const properties = { ServiceToken: 'arn:aws:lambda:...', projectName: 'demo', region: 'us-west-2', network: { vpcEndpoint: { enabled: 'true' } }, crossAccountRole: { externalId: 'cid-0123456789abcdef' } };
function cfnEvent(type: 'Create' | 'Update' | 'Delete', extra: Record<string, unknown> = {}): CloudFormationCustomResourceEvent {
  return { RequestType: type, ServiceToken: 'x', ResponseURL: responseUrl, StackId: STACK, RequestId: 'r-1', LogicalResourceId: 'Byoc', ResourceType: 'Custom::ByocProvisioning', ResourceProperties: properties, ...extra } as CloudFormationCustomResourceEvent;
}
const { ServiceToken: _t, ...request } = properties;
const expectedId = provisioningIdFor(STACK, 'Byoc', coerceProperties(request) as never);
const executionArn = `${PROVISION.replace('stateMachine', 'execution')}:${expectedId}`;
const notFound = () => new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });

/**
 * Step Functions and the registry as a new stack finds them: nothing of this resource yet. Once StartExecution is
 * called, DescribeExecution of it answers the given statuses in turn (the last one repeating). The registry (DynamoDB)
 * holds nothing and accepts every write; the service reads Step Functions behind it.
 */
function fresh(statuses: Partial<DescribeExecutionCommandOutput>[] = [{ status: 'SUCCEEDED' }]) {
  dynamodb.on(GetItemCommand).resolves({});
  dynamodb.on(PutItemCommand).resolves({});
  let started = false;
  let looks = 0;
  sfn.on(StartExecutionCommand).callsFake(() => {
    started = true;
    return { executionArn, startDate: new Date() };
  });
  sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    if (!started || input.executionArn !== executionArn) throw notFound();
    return statuses[Math.min(looks++, statuses.length - 1)] as DescribeExecutionCommandOutput;
  });
}

describe('the custom-resource Lambda (Step Functions mocked, answers PUT to a local server)', () => {
  it('Create: provisions, waits, and answers SUCCESS with the outputs as attributes', async () => {
    fresh([{ status: 'RUNNING' }, { status: 'SUCCEEDED', output: JSON.stringify({ vpcId: 'vpc-1', privateSubnetIds: ['subnet-1', 'subnet-2'], eksRoleArn: 'arn:role', vpcEndpointId: null }) }]);
    await handler(cfnEvent('Create'), lambdaContext());

    expect(answers).toHaveLength(1);
    expect(answers[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: expectedId, RequestId: 'r-1', Data: { VpcId: 'vpc-1', PrivateSubnetIds: 'subnet-1,subnet-2', EksRoleArn: 'arn:role', VpcEndpointId: '' } });
    expect(Object.keys(answers[0].body.Data as object).sort()).toEqual([...ATTRIBUTE_NAMES].sort());
    // S3 presigned PUT: signed without a content type.
    expect(answers[0].headers['content-type']).toBe('');
    // CloudFormation's "true" became a boolean in the request.
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!);
    expect(input.network.vpcEndpoint.enabled).toBe(true);
    expect(input.provisioningId).toBe(expectedId);
  });

  it('Create with invalid properties: answers FAILED at once with the marker ID, naming each bad property', async () => {
    await handler(cfnEvent('Create', { ResourceProperties: { ServiceToken: 'x', projectName: 'demo', region: 'mars-1' } }), lambdaContext());
    expect(answers[0].body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: CREATE_FAILED_MARKER });
    expect(answers[0].body.Reason).toContain('region: "mars-1" is not supported');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('Create whose StartExecution fails: answers FAILED with the real ID (it may have acted), naming the log group', async () => {
    fresh();
    sfn.on(StartExecutionCommand).rejects(new Error('socket hang up'));
    await handler(cfnEvent('Create'), lambdaContext());
    expect(answers).toHaveLength(1);
    expect(answers[0].body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: expectedId });
    expect(answers[0].body.Reason).toContain('/aws/lambda/test');
  });

  it('answers FAILED even when it cannot start at all (no state machine configured): no stack ever hangs', async () => {
    const saved = process.env.PROVISION_STATE_MACHINE_ARN;
    delete process.env.PROVISION_STATE_MACHINE_ARN;
    try {
      await handler(cfnEvent('Create'), lambdaContext());
    } finally {
      process.env.PROVISION_STATE_MACHINE_ARN = saved;
    }
    expect(answers).toHaveLength(1);
    expect(answers[0].body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: CREATE_FAILED_MARKER });
  });

  it('a clean-up invocation that cannot start never answers again (CloudFormation has its answer)', async () => {
    const saved = process.env.PROVISION_STATE_MACHINE_ARN;
    delete process.env.PROVISION_STATE_MACHINE_ARN;
    const byocWait = { phase: 'teardown-after-provision', provisioningId: expectedId, executionArn, deadline: new Date(Date.now() + 60_000).toISOString(), answered: true };
    try {
      await handler({ ...cfnEvent('Update', { PhysicalResourceId: 'cfn-000000000000000000000000', OldResourceProperties: properties }), byocWait } as never, lambdaContext());
    } finally {
      process.env.PROVISION_STATE_MACHINE_ARN = saved;
    }
    expect(answers).toHaveLength(0);
  });

  it('hands a long wait to a fresh invocation instead of timing out, and does not answer yet', async () => {
    fresh([{ status: 'RUNNING' }]);
    lambda.on(InvokeCommand).resolves({});
    await handler(cfnEvent('Create'), lambdaContext(10_000));
    expect(answers).toHaveLength(0);
    const payload = JSON.parse(Buffer.from(lambda.commandCalls(InvokeCommand)[0].args[0].input.Payload as Uint8Array).toString());
    expect(payload.byocWait).toMatchObject({ phase: 'provision', provisioningId: expectedId, executionArn });
    expect(lambda.commandCalls(InvokeCommand)[0].args[0].input.InvocationType).toBe('Event');
  });

  it('a failed hand-off still answers, with the real ID', async () => {
    fresh([{ status: 'RUNNING' }]);
    lambda.on(InvokeCommand).rejects(new Error('Rate Exceeded.'));
    await handler(cfnEvent('Create'), lambdaContext(10_000));
    expect(answers).toHaveLength(1);
    expect(answers[0].body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: expectedId });
    expect(answers[0].body.Reason).toContain('could not hand the wait to a fresh invocation');
  });

  it('Delete of a resource whose Create failed before building anything is a no-op', async () => {
    await handler(cfnEvent('Delete', { PhysicalResourceId: CREATE_FAILED_MARKER }), lambdaContext());
    expect(answers[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: CREATE_FAILED_MARKER });
    expect(sfn.calls()).toHaveLength(0);
  });
});
