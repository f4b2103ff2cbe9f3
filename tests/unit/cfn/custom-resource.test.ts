import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { clearClientCache } from '../../../shared/aws/clients';
import { CREATE_FAILED_MARKER, coerceProperties, outputsAsAttributes, provisioningIdFor } from '../../../shared/cfn/custom-resource';
import { redactUrl } from '../../../shared/cfn/response';
import { handler } from '../../../functions/cfn/provider';
import { lambdaContext } from '../../fixtures/api-events';

const PROVISION = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-provision-dev';
const TEARDOWN = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-teardown-dev';
const STACK = 'arn:aws:cloudformation:us-west-2:123456789012:stack/app/1234';
const sfn = mockClient(SFNClient);
const lambda = mockClient(LambdaClient);

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
  process.env.BYOC_CFN_POLL_SECONDS = '0';
  clearClientCache();
});
afterAll(() => server.close());
afterEach(() => {
  sfn.reset();
  lambda.reset();
  answers.length = 0;
});

const properties = { ServiceToken: 'arn:aws:lambda:...', projectName: 'demo', region: 'us-west-2', network: { vpcEndpoint: { enabled: 'true' } }, crossAccountRole: { externalId: 'cid-0123456789abcdef' } };
function cfnEvent(type: 'Create' | 'Update' | 'Delete', extra: Record<string, unknown> = {}): CloudFormationCustomResourceEvent {
  return { RequestType: type, ServiceToken: 'x', ResponseURL: responseUrl, StackId: STACK, RequestId: 'r-1', LogicalResourceId: 'Byoc', ResourceType: 'Custom::ByocProvisioning', ResourceProperties: properties, ...extra } as CloudFormationCustomResourceEvent;
}
const expectedId = provisioningIdFor(STACK, 'Byoc', coerceProperties({ projectName: 'demo', region: 'us-west-2', network: { vpcEndpoint: { enabled: 'true' } }, crossAccountRole: { externalId: 'cid-0123456789abcdef' } }) as never);

describe('the CloudFormation custom resource', () => {
  it('Create: provisions, waits, and answers SUCCESS with the outputs as attributes', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `exec:${expectedId}`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' }).resolves({ status: 'SUCCEEDED', output: JSON.stringify({ vpcId: 'vpc-1', privateSubnetIds: ['subnet-1', 'subnet-2'], eksRoleArn: 'arn:role', vpcEndpointId: null }) });
    await handler(cfnEvent('Create'), lambdaContext());

    expect(answers).toHaveLength(1);
    expect(answers[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: expectedId, RequestId: 'r-1', Data: { VpcId: 'vpc-1', PrivateSubnetIds: 'subnet-1,subnet-2', EksRoleArn: 'arn:role' } });
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

  it('Create whose provisioning fails: answers FAILED with the error and the step, keeping the real ID so the rollback Delete tears down', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `exec:${expectedId}`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'QuotaExceededError', cause: '{"errorMessage":"CreateVpc: VpcLimitExceeded"}' });
    await handler(cfnEvent('Create'), lambdaContext());
    expect(answers[0].body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: expectedId });
    expect(answers[0].body.Reason).toContain('QuotaExceededError in CreateVpc: VpcLimitExceeded');
  });

  it('always answers, also when something unexpected breaks (no stack ever hangs)', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('boom'));
    await handler(cfnEvent('Create'), lambdaContext());
    expect(answers).toHaveLength(1);
    expect(answers[0].body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: CREATE_FAILED_MARKER });
    expect(answers[0].body.Reason).toContain('/aws/lambda/test');
  });

  it('hands a long wait to a fresh invocation instead of timing out, and does not answer yet', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `exec:${expectedId}`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    lambda.on(InvokeCommand).resolves({});
    await handler(cfnEvent('Create'), lambdaContext(10_000));
    expect(answers).toHaveLength(0);
    const payload = JSON.parse(Buffer.from(lambda.commandCalls(InvokeCommand)[0].args[0].input.Payload as Uint8Array).toString());
    expect(payload.byocWait).toMatchObject({ executionArn: `exec:${expectedId}`, kind: 'provision' });
    expect(lambda.commandCalls(InvokeCommand)[0].args[0].input.InvocationType).toBe('Event');
  });

  it('Update that changes nothing that shapes the provisioning keeps it', async () => {
    await handler(cfnEvent('Update', { PhysicalResourceId: expectedId, OldResourceProperties: properties }), lambdaContext());
    expect(answers[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: expectedId });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('Delete tears the provisioning down and waits for it', async () => {
    sfn.on(DescribeExecutionCommand, { executionArn: `${PROVISION.replace('stateMachine', 'execution')}:${expectedId}` }).resolves({ status: 'SUCCEEDED', startDate: new Date(), input: '{"region":"us-west-2","projectName":"demo"}' });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:td', startDate: new Date() });
    sfn.on(DescribeExecutionCommand, { executionArn: 'arn:td' }).resolves({ status: 'SUCCEEDED' });
    await handler(cfnEvent('Delete', { PhysicalResourceId: expectedId }), lambdaContext());
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.stateMachineArn).toBe(TEARDOWN);
    expect(answers[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: expectedId });
  });

  it('Delete of a resource whose Create failed before building anything is a no-op', async () => {
    await handler(cfnEvent('Delete', { PhysicalResourceId: CREATE_FAILED_MARKER }), lambdaContext());
    expect(answers[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: CREATE_FAILED_MARKER });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('derives a stable provisioning ID from the stack, the logical ID and the properties, never the RequestId', () => {
    const a = provisioningIdFor(STACK, 'Byoc', { projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } });
    expect(provisioningIdFor(STACK, 'Byoc', { region: 'us-west-2', projectName: 'demo', crossAccountRole: { externalId: 'cid-0123456789abcdef' } })).toBe(a);
    expect(provisioningIdFor(STACK, 'Byoc', { projectName: 'demo', region: 'eu-central-1', crossAccountRole: { externalId: 'cid-0123456789abcdef' } })).not.toBe(a);
    expect(provisioningIdFor(STACK, 'Byoc', { projectName: 'demo', region: 'us-west-2', iamRole: { oidcIssuerUrl: 'https://x/y' }, crossAccountRole: { externalId: 'cid-0123456789abcdef' } })).toBe(a);
    expect(a).toMatch(/^cfn-[0-9a-f]{24}$/);
  });

  it('keeps the presigned URL out of logs', () => {
    expect(redactUrl('https://bucket.s3.amazonaws.com/key?X-Amz-Signature=abc')).toBe('https://bucket.s3.amazonaws.com/key?***');
  });

  it('turns outputs into string attributes', () => {
    expect(outputsAsAttributes({ vpcId: 'vpc-1', privateSubnets: [{ subnetId: 's-1', az: 'a' }], hostedZoneId: null })).toEqual({ VpcId: 'vpc-1', PrivateSubnets: 's-1' });
  });
});

