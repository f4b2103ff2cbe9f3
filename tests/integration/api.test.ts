import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { iamClient } from '../../shared/aws/clients';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { handler as start } from '../../functions/api/start-provisioning';
import { handler as get } from '../../functions/api/get-provisioning';
import { handler as del } from '../../functions/api/delete-provisioning';
import { handler as oidc } from '../../functions/api/update-oidc';
import { handler as customResource } from '../../functions/cfn/provider';
import { handler as checkVpc } from '../../functions/api/check-vpc';
import { CreateVpcCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../../shared/aws/clients';
import { apiEvent, lambdaContext } from '../fixtures/api-events';
import { fullRequest, leftoversOf } from '../helpers/workflow';

/**
 * The real entry points, end to end: the API handlers and the custom resource, unchanged, with
 * @aws-sdk/client-sfn talking to the local Step Functions API, executions on the local engine, AWS in moto with
 * realistic timing (NAT gateway pending, eventual consistency, throttling).
 */
describe('the HTTP API and the custom resource through the local Step Functions API', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ profile: 'realistic', sfnServer: true, stateDir: mkdtempSync(join(tmpdir(), 'byoc-api-')) });
  }, 60_000);
  afterAll(async () => stack?.stop());

  const body = (r: unknown) => JSON.parse((r as { body: string }).body);
  const status = async (id: string) => body(await get(apiEvent('GET /provisionings/{id}', { id }), lambdaContext()));
  async function until<T>(what: () => Promise<T>, done: (v: T) => boolean, ms = 60_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await what();
      if (done(v) || Date.now() > deadline) return v;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('starts, reports progress and outputs, sets the OIDC issuer, and tears down to nothing', async () => {
    const request = fullRequest('api-1');
    const started = await start(apiEvent('POST /provisionings', { body: request }), lambdaContext());
    expect(started.statusCode).toBe(202);

    // The same request again is the same provisioning (idempotent start); another request under the ID is a 409.
    const again = await start(apiEvent('POST /provisionings', { body: request }), lambdaContext());
    expect(body(again).executionArn).toBe(body(started).executionArn);
    const conflict = await start(apiEvent('POST /provisionings', { body: { ...request, projectName: 'other' } }), lambdaContext());
    expect(conflict.statusCode).toBe(409);

    const done = await until(() => status('api-1'), (s) => s.status !== 'PROVISIONING');
    expect(done.status).toBe('SUCCEEDED');
    expect(done.outputs).toMatchObject({ vpcId: expect.stringMatching(/^vpc-/), eksRoleArn: expect.stringContaining(':role/zilliz-byoc-api-1-eks') });
    const natChecks = done.steps.find((s: { name: string }) => s.name === 'CheckNatGateway');
    expect(natChecks.visits).toBeGreaterThan(1); // realistic timing: pending at first, so the state machine waited
    expect(done.steps.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['ValidateInput', 'CreateVpc', 'CreateEksRole', 'Verify', 'Report']));

    // Same request after it finished: still the same provisioning.
    expect(body(await start(apiEvent('POST /provisionings', { body: request }), lambdaContext()))).toMatchObject({ status: 'SUCCEEDED' });

    const set = await oidc(apiEvent('POST /provisionings/{id}/oidc', { id: 'api-1', body: { oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/CAFE' } }), lambdaContext());
    expect(set.statusCode).toBe(200);
    const role = await iamClient({ region: 'us-west-2' }).send(new GetRoleCommand({ RoleName: 'zilliz-byoc-api-1-eks' }));
    expect(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)).toContain('oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/CAFE');

    const teardown = await del(apiEvent('DELETE /provisionings/{id}', { id: 'api-1' }), lambdaContext());
    expect(teardown.statusCode).toBe(202);
    const after = await until(() => status('api-1'), (s) => s.teardown && s.teardown.status !== 'RUNNING');
    expect(after.teardown.status).toBe('SUCCEEDED');
    expect((await leftoversOf('api-1')).resources).toEqual([]);
  }, 120_000);

  it('answers 404 for a provisioning it never started', async () => {
    expect((await get(apiEvent('GET /provisionings/{id}', { id: 'never' }), lambdaContext())).statusCode).toBe(404);
  });

  it('serves a CloudFormation stack: Create provisions and answers with the outputs, Delete leaves nothing', async () => {
    const answers: Record<string, unknown>[] = [];
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        answers.push(JSON.parse(data));
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    process.env.BYOC_CFN_POLL_SECONDS = '0.2';
    try {
      const base = {
        ServiceToken: 'x',
        ResponseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer?X-Amz-Signature=s`,
        StackId: 'arn:aws:cloudformation:us-west-2:123456789012:stack/app/1',
        RequestId: 'r-1',
        LogicalResourceId: 'Byoc',
        ResourceType: 'Custom::ByocProvisioning',
        ResourceProperties: { ServiceToken: 'x', projectName: 'demo', region: 'us-west-2', iamRole: { name: 'zilliz-byoc-cfn-role' }, crossAccountRole: { externalId: 'cid-0123456789abcdef' } },
      };
      await customResource({ ...base, RequestType: 'Create' } as CloudFormationCustomResourceEvent, lambdaContext(600_000));
      expect(answers[0]).toMatchObject({ Status: 'SUCCESS', Data: { VpcId: expect.stringMatching(/^vpc-/), EksRoleArn: expect.stringContaining(':role/zilliz-byoc-cfn-role') } });
      const physicalId = answers[0].PhysicalResourceId as string;

      // An Update that only sets the OIDC issuer (R1 later) changes the role in place: same physical ID.
      const withIssuer = { ...base.ResourceProperties, iamRole: { name: 'zilliz-byoc-cfn-role', oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/BEEF' } };
      await customResource({ ...base, RequestType: 'Update', PhysicalResourceId: physicalId, ResourceProperties: withIssuer, OldResourceProperties: base.ResourceProperties } as CloudFormationCustomResourceEvent, lambdaContext(600_000));
      expect(answers[1]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalId });
      const role = await iamClient({ region: 'us-west-2' }).send(new GetRoleCommand({ RoleName: 'zilliz-byoc-cfn-role' }));
      expect(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)).toContain('oidc.eks.us-west-2.amazonaws.com/id/BEEF:sub');

      await customResource({ ...base, RequestType: 'Delete', PhysicalResourceId: physicalId, ResourceProperties: withIssuer } as CloudFormationCustomResourceEvent, lambdaContext(600_000));
      expect(answers[2]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: physicalId });
      expect((await leftoversOf(physicalId, { eksRoleName: 'zilliz-byoc-cfn-role', storageRoleName: 'zilliz-byoc-demo-storage-role', crossAccountRoleName: 'zilliz-byoc-demo-cross-account-role' })).resources).toEqual([]);
    } finally {
      delete process.env.BYOC_CFN_POLL_SECONDS;
      server.close();
    }
  }, 120_000);
});

describe('POST /vpc-checks (V12) against moto', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ profile: 'instant', stateDir: mkdtempSync(join(tmpdir(), 'byoc-api-')) });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('passes a VPC the product built, fails a bare VPC by requirement number, and names bad fields', async () => {
    const record = await stack.engine.start('byoc-provision', 'v12-ok', fullRequest('v12-ok')).done;
    const vpcId = JSON.parse(record.output!).vpcId as string;
    const good = await checkVpc(apiEvent('POST /vpc-checks', { body: { vpcId, region: 'us-west-2' } }), lambdaContext());
    expect(good.statusCode).toBe(200);
    expect(JSON.parse(good.body!)).toMatchObject({ vpcId, ok: true, failed: [] });

    const bare = await ec2Client({ region: 'us-west-2' }).send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    const bad = JSON.parse((await checkVpc(apiEvent('POST /vpc-checks', { body: { vpcId: bare.Vpc!.VpcId, region: 'us-west-2' } }), lambdaContext())).body!);
    expect(bad.ok).toBe(false);
    expect(bad.failed).toEqual(expect.arrayContaining(['V3', 'V5', 'V6']));

    const invalid = await checkVpc(apiEvent('POST /vpc-checks', { body: { vpcId: 'vpc-nope', region: 'mars-1' } }), lambdaContext());
    expect(invalid.statusCode).toBe(400);
    expect(JSON.parse(invalid.body!).problems.map((p: { field: string }) => p.field)).toEqual(['vpcId', 'region']);
  }, 60_000);
});
