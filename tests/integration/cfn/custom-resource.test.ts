import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { clearClientCache, iamClient, sfnClient } from '../../../shared/aws/clients';
import { getProvisioning } from '../../../shared/api/provisionings';
import { ATTRIBUTE_NAMES } from '../../../shared/cfn/attributes';
import { CREATE_FAILED_MARKER, provisioningIdFor, requestFromProperties } from '../../../shared/cfn/identity';
import { defaultBucketName } from '../../../shared/config';
import { LOCAL_REGION } from '../../../local/executions';
import { startLocalStack, type LocalStack } from '../../../local/stack';
import { TEST_EXTERNAL_ID } from '../../helpers/config';
import { ACCOUNT_ID, leftoversOf, REGION } from '../../helpers/workflow';
import { FakeCloudFormation } from './cloudformation';
import { FaultySfnProxy } from './sfn-proxy';

/**
 * `Custom::ByocProvisioning`, with CloudFormation played over HTTP: the real handler, invoked as CloudFormation and
 * Lambda invoke it (asynchronously, a short time budget per invocation, hand-offs as new invocations), answering to
 * a local server; the provisioning service and its registry (moto's DynamoDB); executions on the local engine
 * through the local Step Functions API, behind a proxy that fails calls the way AWS does.
 */
describe('the custom resource, CloudFormation played over HTTP', () => {
  let stack: LocalStack;
  let proxy: FaultySfnProxy;
  // One CloudFormation for the file (the handler keeps its Lambda client, and so the hand-off endpoint); a new stack
  // for each test.
  const cfn = new FakeCloudFormation({ invocationMs: 3_000 });
  const saved: Record<string, string | undefined> = {};
  const env: Record<string, string> = {
    BYOC_CFN_POLL_SECONDS: '0.2',
    BYOC_CFN_HANDOFF_MARGIN_SECONDS: '1',
    BYOC_CFN_RESPONSE_RETRY_SECONDS: '0.05',
    BYOC_CFN_CREATE_GRACE_SECONDS: '3',
    BYOC_CFN_MAX_POLL_FAILURES: '3',
  };

  beforeAll(async () => {
    // AWS answers at once (instant), but on AWS's time scale divided by 100, so a test can make a step slow with a
    // `delay` fault (AWS seconds) and have CloudFormation act while the provisioning still runs.
    stack = await startLocalStack({ profile: 'instant', timeScale: 100, sfnServer: true, stateDir: mkdtempSync(join(tmpdir(), 'byoc-cfn-')) });
    for (const [name, value] of Object.entries(env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    proxy = new FaultySfnProxy(stack.sfnEndpoint!);
    process.env.AWS_ENDPOINT_URL_SFN = await proxy.start();
    clearClientCache();
    await cfn.start();
  }, 60_000);
  afterAll(async () => {
    await cfn.stop(); // every invocation (hand-offs, clean-ups) has ended before the stack goes
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await proxy?.stop();
    await stack?.stop();
  });

  beforeEach(async () => {
    proxy.faults = [];
    proxy.failed = {};
    stack.realism.setFaults(undefined);
    await cfn.newStack();
  });

  /** A resource's properties as CloudFormation sends them (every scalar a string); roles named after `tag`. */
  function properties(tag: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      ServiceToken: 'arn:aws:lambda:us-west-2:123456789012:function:byoc-provisioner-test-CustomResourceProvider',
      ServiceTimeout: '3600',
      projectName: 'demo',
      region: REGION,
      network: { vpcEndpoint: { enabled: 'true' }, privateDns: { enabled: 'true' }, s3GatewayEndpoint: { enabled: 'true' } },
      iamRole: { name: `zilliz-byoc-${tag}-eks` },
      storageRole: { name: `zilliz-byoc-${tag}-storage` },
      crossAccountRole: { externalId: TEST_EXTERNAL_ID, name: `zilliz-byoc-${tag}-xacct` },
      tags: { team: 'platform' },
      ...extra,
    };
  }
  const idOf = (props: Record<string, unknown>, generation = 1) => provisioningIdFor(cfn.stackId, cfn.logicalId, requestFromProperties(props), generation);
  const executionArnOf = (name: string) => `arn:aws:states:${LOCAL_REGION}:123456789012:execution:byoc-provision:${name}`;

  /** Nothing of the provisioning is left in AWS: tagged resources, its roles (by name and tag), its bucket. */
  async function expectNothingLeft(provisioningId: string, tag: string): Promise<void> {
    const left = await leftoversOf(provisioningId, {
      eksRoleName: `zilliz-byoc-${tag}-eks`,
      storageRoleName: `zilliz-byoc-${tag}-storage`,
      crossAccountRoleName: `zilliz-byoc-${tag}-xacct`,
      bucketName: defaultBucketName({ projectName: 'demo', accountId: ACCOUNT_ID, region: REGION, provisioningId }),
    });
    expect(left.resources).toEqual([]);
  }

  async function statusOf(provisioningId: string): Promise<string> {
    return (await getProvisioning(provisioningId, stack.serviceDeps())).status;
  }

  async function until(what: () => Promise<boolean>, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await what())) {
      if (Date.now() > deadline) throw new Error('gave up waiting');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('Create waits across invocations and answers every attribute; an OIDC-only Update keeps the ID and answers the same Data; Delete leaves nothing', async () => {
    const props = properties('cfn-oidc');
    const created = await cfn.send({ type: 'Create', properties: props });
    expect(created.Reason).toBe('SUCCESS');
    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(props) });
    expect(cfn.handOffs).toBeGreaterThan(0); // longer than one invocation's budget: handed over, answered once
    // Every attribute the example stack reads with !GetAtt, none empty (every option is on).
    expect(Object.keys(created.Data!).sort()).toEqual([...ATTRIBUTE_NAMES].sort());
    for (const name of ATTRIBUTE_NAMES) expect(created.Data![name]).not.toBe('');
    expect(created.Data).toMatchObject({ ProvisioningId: idOf(props), VpcId: expect.stringMatching(/^vpc-/), EksRoleArn: expect.stringContaining(':role/zilliz-byoc-cfn-oidc-eks'), ExternalId: TEST_EXTERNAL_ID, BucketManaged: 'true' });
    expect(created.Data!.PrivateSubnetIds.split(',')).toHaveLength(3);
    expect(cfn.putsFor(created.requestId)[0].headers['content-type']).toBe('');

    const issuer = 'https://oidc.eks.us-west-2.amazonaws.com/id/BEEF';
    const withIssuer = { ...props, iamRole: { name: 'zilliz-byoc-cfn-oidc-eks', oidcIssuerUrl: issuer } };
    const updated = await cfn.send({ type: 'Update', physicalId: created.PhysicalResourceId, properties: withIssuer, oldProperties: props });
    expect(updated).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.PhysicalResourceId });
    expect(updated.Data).toEqual(created.Data); // the stack's !GetAtt outputs keep resolving, to the same values
    const role = await iamClient({ region: REGION }).send(new GetRoleCommand({ RoleName: 'zilliz-byoc-cfn-oidc-eks' }));
    expect(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)).toContain('oidc.eks.us-west-2.amazonaws.com/id/BEEF:sub');

    // The Delete's first answer PUT fails (S3 blips): sent again, the same body, accepted once.
    const deleteId = cfn.dispatch({ type: 'Delete', physicalId: created.PhysicalResourceId, properties: withIssuer });
    cfn.failPuts.set(deleteId, 1);
    const deleted = await cfn.answerTo(deleteId);
    expect(deleted.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.PhysicalResourceId });
    expect(cfn.putsFor(deleteId).map((p) => p.answeredWith)).toEqual([500, 200]);
    await expectNothingLeft(idOf(props), 'cfn-oidc');
    await cfn.expectEachAnsweredOnce([created.requestId, updated.requestId, deleteId]);
  }, 180_000);

  it('a throttled DescribeExecution after StartExecution is ridden out: SUCCESS with the real ID', async () => {
    const props = properties('cfn-throttle');
    // Six throttles in a row: more than the SDK's own three attempts, so the custom resource's loop sees them too.
    proxy.faults = [{ operation: 'DescribeExecution', executionArn: executionArnOf(idOf(props)), times: 6, after: 'StartExecution' }];
    const created = await cfn.send({ type: 'Create', properties: props });
    expect(proxy.failed.DescribeExecution).toBe(6);
    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(props) });
    const deleted = await cfn.send({ type: 'Delete', physicalId: created.PhysicalResourceId, properties: props });
    expect(deleted.Status).toBe('SUCCESS');
    await expectNothingLeft(idOf(props), 'cfn-throttle');
    await cfn.expectEachAnsweredOnce([created.requestId, deleted.requestId]);
  }, 180_000);

  it('a DescribeExecution that keeps failing after StartExecution answers FAILED with the real ID, and the rollback Delete tears down', async () => {
    const props = properties('cfn-blind');
    proxy.faults = [{ operation: 'DescribeExecution', executionArn: executionArnOf(idOf(props)), times: 1_000, after: 'StartExecution' }];
    const created = await cfn.send({ type: 'Create', properties: props });
    expect(created).toMatchObject({ Status: 'FAILED', PhysicalResourceId: idOf(props) });
    expect(created.PhysicalResourceId).not.toBe(CREATE_FAILED_MARKER);
    expect(created.Reason).toContain('ThrottlingException');

    proxy.faults = []; // CloudFormation's rollback comes later; by then Step Functions answers again
    const rollback = await cfn.send({ type: 'Delete', physicalId: created.PhysicalResourceId, properties: props });
    expect(rollback).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(props) });
    expect(await statusOf(idOf(props))).toBe('TORN_DOWN');
    await expectNothingLeft(idOf(props), 'cfn-blind');
    await cfn.expectEachAnsweredOnce([created.requestId, rollback.requestId]);
  }, 180_000);

  it('a failed hand-off answers FAILED with the real ID; the rollback Delete waits for the still-running Create, then tears down', async () => {
    const props = properties('cfn-nohandoff');
    stack.realism.setFaults('CreateInternetGateway:delay=300'); // the provisioning takes a few seconds more
    cfn.refuseInvokes = 429;
    const created = await cfn.send({ type: 'Create', properties: props, invocationMs: 1_500 });
    expect(created).toMatchObject({ Status: 'FAILED', PhysicalResourceId: idOf(props) });
    expect(created.Reason).toContain('could not hand the wait to a fresh invocation');
    expect(await statusOf(idOf(props))).toBe('PROVISIONING'); // the rollback Delete comes while it still runs

    cfn.refuseInvokes = undefined;
    const rollback = await cfn.send({ type: 'Delete', physicalId: created.PhysicalResourceId, properties: props });
    expect(rollback).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(props) });
    const record = await getProvisioning(idOf(props), stack.serviceDeps());
    expect(record.status).toBe('TORN_DOWN');
    // The teardown began only after the provisioning ended: never a teardown racing the build.
    const [attempt, teardown] = record.executions;
    expect(attempt.kind).toBe('provision');
    expect(Date.parse(teardown.startedAt)).toBeGreaterThanOrEqual(Date.parse(attempt.stoppedAt!));
    await expectNothingLeft(idOf(props), 'cfn-nohandoff');
    await cfn.expectEachAnsweredOnce([created.requestId, rollback.requestId]);
  }, 180_000);

  it('a Delete with an ID CloudFormation made up (it cancelled the Create) waits for the running Create and tears it down', async () => {
    const props = properties('cfn-cancelled');
    stack.realism.setFaults('CreateInternetGateway:delay=300');
    const madeUp = `${cfn.stackId.split('/')[1]}-Byoc-1Q2W3E4R5T6Y`;
    // Another resource failed at once: CloudFormation cancels our Create and sends a Delete, with an ID of its own,
    // right after the Create (which has not even started its provisioning yet).
    const createId = cfn.dispatch({ type: 'Create', properties: props });
    const deleted = await cfn.send({ type: 'Delete', physicalId: madeUp, properties: props });
    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: madeUp });
    const record = await getProvisioning(idOf(props), stack.serviceDeps());
    expect(record.status).toBe('TORN_DOWN');
    const [attempt, teardown] = record.executions;
    expect(Date.parse(teardown.startedAt)).toBeGreaterThanOrEqual(Date.parse(attempt.stoppedAt!)); // waited for the build
    await expectNothingLeft(idOf(props), 'cfn-cancelled');
    await cfn.expectEachAnsweredOnce([createId, deleted.requestId]); // the Create answers too; CloudFormation ignores it
  }, 180_000);

  it('A→B, an update rollback to A, A→B again, a failed B→C, then B→A: the right physical ID every time, A and B rebuilt once deleted, nothing left', async () => {
    const A = properties('cfn-gen-a');
    const B = properties('cfn-gen-b', { network: { vpcCidr: '10.1.0.0/16', vpcEndpoint: { enabled: 'true' }, privateDns: { enabled: 'true' } } });
    // C needs new resources but keeps B's role names: B owns them, so C fails (ForeignResourceError) and is undone.
    const C = { ...B, network: { vpcCidr: '10.2.0.0/16' } };
    const requests: string[] = [];
    const send = async (...args: Parameters<FakeCloudFormation['send']>) => {
      const answer = await cfn.send(...args);
      requests.push(answer.requestId);
      return answer;
    };

    const a = await send({ type: 'Create', properties: A });
    expect(a).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) });

    const b = await send({ type: 'Update', physicalId: idOf(A), properties: B, oldProperties: A });
    expect(b).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(B) });
    expect(b.Data!.VpcId).not.toBe(a.Data!.VpcId);

    // Another resource of the stack fails: CloudFormation rolls the update back (Update B→A on B's ID), then deletes B.
    const rolledBack = await send({ type: 'Update', physicalId: idOf(B), properties: A, oldProperties: B });
    expect(rolledBack).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(A), Data: a.Data }); // A still stands: handed back
    expect((await getProvisioning(idOf(A), stack.serviceDeps())).executions.filter((e) => e.kind === 'provision')).toHaveLength(1);
    expect(await send({ type: 'Delete', physicalId: idOf(B), properties: B })).toMatchObject({ Status: 'SUCCESS' });

    // A→B again: B was deleted, so B is built anew as generation 2; then CloudFormation's cleanup deletes A.
    const b2 = await send({ type: 'Update', physicalId: idOf(A), properties: B, oldProperties: A });
    expect(b2).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(B, 2) });
    expect(b2.Data!.VpcId).not.toBe(b.Data!.VpcId);
    expect(await send({ type: 'Delete', physicalId: idOf(A), properties: A })).toMatchObject({ Status: 'SUCCESS' });
    await expectNothingLeft(idOf(A), 'cfn-gen-a');

    // B→C fails: the answer keeps B's ID, C is torn down, B is untouched.
    const c = await send({ type: 'Update', physicalId: idOf(B, 2), properties: C, oldProperties: B });
    expect(c).toMatchObject({ Status: 'FAILED', PhysicalResourceId: idOf(B, 2) });
    // The roles' names are held by provisioning B: the preflight refuses C before anything is made.
    expect(c.Reason).toContain('PreflightFailedError');
    expect(c.Reason).toContain(`already exists and belongs to provisioning ${idOf(B, 2)}`);
    expect(c.Reason).toContain(`the replacement ${idOf(C)} is torn down`);
    await until(async () => (await statusOf(idOf(C))) === 'TORN_DOWN');
    expect(await statusOf(idOf(B, 2))).toBe('SUCCEEDED');
    const bRole = await iamClient({ region: REGION }).send(new GetRoleCommand({ RoleName: 'zilliz-byoc-cfn-gen-b-eks' }));
    expect(bRole.Role!.Tags).toEqual(expect.arrayContaining([expect.objectContaining({ Value: idOf(B, 2) })]));
    // CloudFormation rolls the failed update back: Update C→B on B's ID, which stands, so nothing is built.
    const cRollback = await send({ type: 'Update', physicalId: idOf(B, 2), properties: B, oldProperties: C });
    expect(cRollback).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(B, 2), Data: b2.Data });

    // B→A: A's closed, torn-down provisioning is never handed back: generation 2 is built.
    const a2 = await send({ type: 'Update', physicalId: idOf(B, 2), properties: A, oldProperties: B });
    expect(a2).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(A, 2) });
    expect(a2.Data!.VpcId).not.toBe(a.Data!.VpcId);
    expect(a2.Data!.ProvisioningId).toBe(idOf(A, 2));
    expect(await send({ type: 'Delete', physicalId: idOf(B, 2), properties: B })).toMatchObject({ Status: 'SUCCESS' });
    expect(await send({ type: 'Delete', physicalId: idOf(A, 2), properties: A })).toMatchObject({ Status: 'SUCCESS' });

    for (const [id, tag] of [[idOf(A, 2), 'cfn-gen-a'], [idOf(B), 'cfn-gen-b'], [idOf(B, 2), 'cfn-gen-b'], [idOf(C), 'cfn-gen-b']]) await expectNothingLeft(id, tag);
    await cfn.expectEachAnsweredOnce(requests);
  }, 600_000);

  it('an Update CloudFormation cancelled and rolls back keeps the old ID, and its replacement is torn down once it ends', async () => {
    const A = properties('cfn-cancel-a');
    const B = properties('cfn-cancel-b', { network: { vpcCidr: '10.3.0.0/16' } });
    const a = await cfn.send({ type: 'Create', properties: A });
    expect(a.Status).toBe('SUCCESS');

    stack.realism.setFaults('CreateInternetGateway:delay=300'); // B takes a few seconds to build
    const cancelled = cfn.dispatch({ type: 'Update', physicalId: idOf(A), properties: B, oldProperties: A });
    await until(async () => (await getProvisioning(idOf(B), stack.serviceDeps()).catch(() => undefined))?.status === 'PROVISIONING');
    // Another resource failed: CloudFormation cancels our Update and rolls back, on A's ID (it never got B's).
    const rollback = await cfn.send({ type: 'Update', physicalId: idOf(A), properties: A, oldProperties: B });
    expect(rollback).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(A), Data: a.Data });

    await cfn.settle(); // the clean-up started B's teardown once B ended; the teardown runs on its own
    await until(async () => (await statusOf(idOf(B))) === 'TORN_DOWN');
    await expectNothingLeft(idOf(B), 'cfn-cancel-b');
    expect(await statusOf(idOf(A))).toBe('SUCCEEDED');
    await cfn.expectEachAnsweredOnce([cancelled, rollback.requestId]); // the cancelled one answers too; CloudFormation ignores it
    expect(await cfn.send({ type: 'Delete', physicalId: idOf(A), properties: A })).toMatchObject({ Status: 'SUCCESS' });
    await expectNothingLeft(idOf(A), 'cfn-cancel-a');
  }, 180_000);

  it('a Delete after Step Functions forgot the executions (90 days) still tears down, from the registry', async () => {
    const props = properties('cfn-expired');
    const created = await cfn.send({ type: 'Create', properties: props });
    expect(created.Status).toBe('SUCCESS');

    // 91 days later: Step Functions has forgotten every execution of it, as AWS does 90 days after one closed.
    // The registry keeps the provisioning.
    const forgotten = stack.store.forgetClosed({ now: Date.now() + 91 * 24 * 60 * 60 * 1000 });
    expect(forgotten).toContain(executionArnOf(idOf(props)));
    await expect(sfnClient(LOCAL_REGION).send(new DescribeExecutionCommand({ executionArn: executionArnOf(idOf(props)) }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    expect(await statusOf(idOf(props))).toBe('SUCCEEDED');

    const deleted = await cfn.send({ type: 'Delete', physicalId: created.PhysicalResourceId, properties: props });
    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(props) });
    expect(await statusOf(idOf(props))).toBe('TORN_DOWN');
    await expectNothingLeft(idOf(props), 'cfn-expired');
    await cfn.expectEachAnsweredOnce([created.requestId, deleted.requestId]);
  }, 180_000);

  it('a response PUT that fails once is sent again after a jittered wait: one accepted answer, the same body', async () => {
    const props = properties('cfn-put', { region: 'mars-1' }); // invalid: answered at once, nothing started
    const requestId = cfn.dispatch({ type: 'Create', properties: props });
    cfn.failPuts.set(requestId, 1);
    const answer = await cfn.answerTo(requestId);
    expect(answer.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: CREATE_FAILED_MARKER });
    const puts = cfn.putsFor(requestId);
    expect(puts.map((p) => p.answeredWith)).toEqual([500, 200]);
    expect(puts[1].body).toEqual(puts[0].body);
    await cfn.expectEachAnsweredOnce([requestId]);
    const rollback = await cfn.send({ type: 'Delete', physicalId: CREATE_FAILED_MARKER, properties: props });
    expect(rollback).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: CREATE_FAILED_MARKER });
  }, 60_000);
});
