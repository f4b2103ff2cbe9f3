import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizeSecurityGroupIngressCommand, CreateTagsCommand, DescribeSecurityGroupRulesCommand, DescribeTagsCommand, type SecurityGroupRule } from '@aws-sdk/client-ec2';
import { GetRoleCommand, GetRolePolicyCommand, TagRoleCommand } from '@aws-sdk/client-iam';
import { ListTagsForResourceCommand } from '@aws-sdk/client-route-53';
import { GetBucketEncryptionCommand, GetBucketTaggingCommand } from '@aws-sdk/client-s3';
import { ec2Client, iamClient, route53Client, s3Client } from '../../../shared/aws/clients';
import { TAG_PROVISIONING_ID } from '../../../shared/constants';
import { STORAGE_POLICY_NAME } from '../../../shared/iam/vendor-policies';
import { getRecord } from '../../../shared/registry/store';
import { handler as start } from '../../../functions/api/start-provisioning';
import { handler as get } from '../../../functions/api/get-provisioning';
import { handler as del } from '../../../functions/api/delete-provisioning';
import { RAISED_QUOTAS } from '../../helpers/config';
import { startLocalStack, type LocalStack } from '../../../local/stack';
import { apiEvent, lambdaContext } from '../../fixtures/api-events';
import { actThenFail, fullRequest, leftoversOf, namesOf, REGION, statesEntered } from '../../helpers/workflow';

/** A KMS key in moto's KMS (the project has no KMS client: one JSON call, whose signature moto does not check). */
async function createKmsKey(endpoint: string): Promise<string> {
  const answer = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.CreateKey',
      authorization: `AWS4-HMAC-SHA256 Credential=test/20300101/${REGION}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: 'byoc bucket key' }),
  });
  return ((await answer.json()) as { KeyMetadata: { Arn: string } }).KeyMetadata.Arn;
}

/**
 * Lifecycle rule "update" (docs/requirements.md, Lifecycle; issue 10, "Updates"), through the real API handlers:
 * the registry on moto's DynamoDB, the executions on the local engine behind the local Step Functions API. A
 * changed request for a live provisioning is applied in place when every change is in place (shared/update/plan.ts)
 * and refused with 409 ReplacementRequired otherwise; an update never rolls back.
 */
describe('in-place updates of a live provisioning, through the API', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ profile: 'instant', overrides: { faults: RAISED_QUOTAS }, sfnServer: true, stateDir: mkdtempSync(join(tmpdir(), 'byoc-update-')) });
  }, 60_000);
  afterAll(async () => stack?.stop());
  afterEach(() => stack.engine.overrideFunctions());

  const target = { region: REGION };
  const body = (r: unknown) => JSON.parse((r as { body: string }).body);
  const post = async (request: unknown) => start(apiEvent('POST /provisionings', { body: request }), lambdaContext());
  const show = async (id: string) => body(await get(apiEvent('GET /provisionings/{id}', { id }), lambdaContext()));
  const remove = async (id: string) => del(apiEvent('DELETE /provisionings/{id}', { id }), lambdaContext());
  const registry = () => stack.serviceDeps().registry;
  /** GET until nothing of it runs (PROVISIONING, UPDATING, TEARING_DOWN). */
  async function settled(id: string, ms = 60_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = await show(id);
      if (!['PROVISIONING', 'UPDATING', 'TEARING_DOWN'].includes(s.status) || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** Provision a request through the API and wait for it to succeed. */
  async function provisioned(request: Record<string, unknown>) {
    expect((await post(request)).statusCode).toBe(202);
    const done = await settled(request.provisioningId as string);
    expect(done).toMatchObject({ status: 'SUCCEEDED' });
    return done;
  }
  /** Every EC2 resource carrying the provisioning's ID, with its tags. */
  async function ec2Tags(id: string): Promise<Map<string, Record<string, string>>> {
    const ec2 = ec2Client(target);
    const owned = (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: [TAG_PROVISIONING_ID] }, { Name: 'value', Values: [id] }] }))).Tags!;
    const all = (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: owned.map((t) => t.ResourceId!) }] }))).Tags!;
    const tags = new Map<string, Record<string, string>>();
    for (const t of all) tags.set(t.ResourceId!, { ...tags.get(t.ResourceId!), [t.Key!]: t.Value! });
    return tags;
  }
  const roleTags = async (name: string) => Object.fromEntries((await iamClient(target).send(new GetRoleCommand({ RoleName: name }))).Role!.Tags!.map((t) => [t.Key!, t.Value!]));
  const bucketTags = async (name: string) => Object.fromEntries((await s3Client(target).send(new GetBucketTaggingCommand({ Bucket: name }))).TagSet!.map((t) => [t.Key!, t.Value!]));
  const zoneTags = async (zoneId: string) =>
    Object.fromEntries((await route53Client(target).send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId }))).ResourceTagSet!.Tags!.map((t) => [t.Key!, t.Value!]));
  /** What identifies the environment: every resource ID and name the outputs hand back. */
  const identity = (outputs: Record<string, unknown>) => {
    const { console: _console, vendorApi: _vendorApi, ...flat } = outputs;
    return flat;
  };
  const rulesOf = async (groupId: string): Promise<SecurityGroupRule[]> =>
    (await ec2Client(target).send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }))).SecurityGroupRules!;
  const ruleShape = (r: SecurityGroupRule, groupId: string) =>
    `${r.IsEgress ? 'out' : 'in'} ${r.IpProtocol === '-1' ? 'all' : `${r.IpProtocol} ${r.FromPort}`} ${r.CidrIpv4 ?? (r.ReferencedGroupInfo?.GroupId === groupId ? 'self' : r.ReferencedGroupInfo?.GroupId)}`;

  it('update (tags in place): a tag change updates every resource of the provisioning in place, removes the dropped key, and keeps a key someone added by hand', async () => {
    const id = 'upd-tags';
    const names = namesOf(id);
    const before = await provisioned(fullRequest(id, { tags: { team: 'data', 'cost-center': 'cc-1' } }));
    const zoneId = before.outputs.hostedZoneId as string;
    // Someone adds tags of their own, by hand, to the VPC, a role, the bucket and the zone.
    await ec2Client(target).send(new CreateTagsCommand({ Resources: [before.outputs.vpcId], Tags: [{ Key: 'owner', Value: 'ops' }] }));
    await iamClient(target).send(new TagRoleCommand({ RoleName: names.eksRoleName, Tags: [{ Key: 'owner', Value: 'ops' }] }));

    const started = await post(fullRequest(id, { tags: { team: 'ml' } }));
    expect(started.statusCode).toBe(202);
    expect(body(started)).toMatchObject({
      provisioningId: id,
      status: 'UPDATING',
      kind: 'update',
      executionArn: expect.stringMatching(/:upd-tags--update-1$/),
      changes: [{ field: 'tags', kind: 'in-place', before: { team: 'data', 'cost-center': 'cc-1' }, after: { team: 'ml' }, why: expect.stringContaining('rewritten on every resource') }],
    });
    expect((await show(id)).status).toBe('UPDATING');
    const after = await settled(id);
    expect(after).toMatchObject({ status: 'SUCCEEDED', executionArn: expect.stringMatching(/--update-1$/), error: null });
    // In place: the same resources (every ID and name the outputs hand back is unchanged).
    expect(identity(after.outputs)).toEqual(identity(before.outputs));
    expect(after.steps.find((s: { name: string }) => s.name === 'ApplyTags')).toMatchObject({ status: 'succeeded' });

    const ec2 = await ec2Tags(id);
    expect(ec2.size).toBeGreaterThanOrEqual(14); // VPC, 4 subnets, gateways, EIP, route tables, group, rules, endpoints
    for (const [resource, tags] of ec2) {
      expect({ resource, team: tags.team, costCenter: tags['cost-center'], vendor: tags.Vendor, name: Boolean(tags.Name) }).toEqual({ resource, team: 'ml', costCenter: undefined, vendor: 'zilliz-byoc', name: true });
    }
    expect(ec2.get(before.outputs.vpcId)).toMatchObject({ owner: 'ops' });
    for (const role of [names.eksRoleName, names.storageRoleName, names.crossAccountRoleName]) {
      expect(await roleTags(role)).toMatchObject({ team: 'ml', Vendor: 'zilliz-byoc' });
      expect(await roleTags(role)).not.toHaveProperty('cost-center');
    }
    expect(await roleTags(names.eksRoleName)).toMatchObject({ owner: 'ops' });
    expect(await bucketTags(names.bucketName)).toMatchObject({ team: 'ml', Vendor: 'zilliz-byoc' });
    expect(await bucketTags(names.bucketName)).not.toHaveProperty('cost-center');
    expect(await zoneTags(zoneId)).toMatchObject({ team: 'ml' });
    expect(await zoneTags(zoneId)).not.toHaveProperty('cost-center');

    const record = (await getRecord(id, registry()))!;
    expect(record).toMatchObject({ status: 'SUCCEEDED', request: { tags: { team: 'ml' } }, currentExecution: null });
    expect(record.previousRequest).toBeUndefined();
    expect(record.executions.map((e) => [e.kind, e.name, e.outcome])).toEqual([
      ['provision', id, 'SUCCEEDED'],
      ['update', `${id}--update-1`, 'SUCCEEDED'],
    ]);
    // The same request again: the same provisioning, nothing new.
    expect(body(await post(fullRequest(id, { tags: { team: 'ml' } })))).toMatchObject({ status: 'SUCCEEDED', kind: 'update', executionArn: after.executionArn });
  }, 120_000);

  it('update (security group CIDRs and strict in place): our old 443 rule is revoked, the new one added, a rule someone added by hand kept; strict revokes our within-VPC rules', async () => {
    const id = 'upd-sg';
    const before = await provisioned(fullRequest(id));
    const groupId = before.outputs.securityGroupId as string;
    // Someone opens 443 to their office by hand (an untagged rule).
    await ec2Client(target).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '192.168.0.0/24' }] }] }));

    const cidrs = { vpcEndpoint: { enabled: true }, privateDns: { enabled: true }, securityGroup: { ingressCidrs: ['10.1.0.0/16'] } };
    const started = body(await post(fullRequest(id, { network: cidrs })));
    expect(started).toMatchObject({ status: 'UPDATING', kind: 'update', changes: [{ field: 'network.securityGroup.ingressCidrs', before: ['0.0.0.0/0'], after: ['10.1.0.0/16'] }] });
    const after = await settled(id);
    expect(after.status).toBe('SUCCEEDED');
    expect(identity(after.outputs)).toEqual(identity(before.outputs));
    const shapes = (await rulesOf(groupId)).map((r) => ruleShape(r, groupId)).sort();
    expect(shapes).toEqual(['in all 10.0.0.0/16', 'in all self', 'in tcp 10.1.0.0/16', 'in tcp 192.168.0.0/24', 'out all 10.0.0.0/16', 'out all self', 'out tcp 0.0.0.0/0'].map((s) => s.replace('tcp ', 'tcp 443 ')));
    const added = (await rulesOf(groupId)).find((r) => r.CidrIpv4 === '10.1.0.0/16')!;
    expect(added.Tags).toEqual(expect.arrayContaining([{ Key: TAG_PROVISIONING_ID, Value: id }]));

    // strict on: our four within-VPC rules go; the 443 rules (ours and the one added by hand) stay.
    const strict = body(await post(fullRequest(id, { network: { ...cidrs, securityGroup: { ...cidrs.securityGroup, strict: true } } })));
    expect(strict).toMatchObject({ kind: 'update', executionArn: expect.stringMatching(/--update-2$/), changes: [{ field: 'network.securityGroup.strict', before: false, after: true }] });
    expect((await settled(id)).status).toBe('SUCCEEDED');
    expect((await rulesOf(groupId)).map((r) => ruleShape(r, groupId)).sort()).toEqual(['in tcp 443 10.1.0.0/16', 'in tcp 443 192.168.0.0/24', 'out tcp 443 0.0.0.0/0']);
  }, 120_000);

  it('replacement: a region or VPC CIDR change is 409 ReplacementRequired naming the fields and how to replace, and changes nothing', async () => {
    const id = 'upd-replace';
    await provisioned(fullRequest(id));
    const stored = (await getRecord(id, registry()))!;
    const resources = (await leftoversOf(id)).resources;

    const refused = await post(fullRequest(id, { region: 'eu-central-1', network: { vpcCidr: '10.9.0.0/16', vpcEndpoint: { enabled: true }, privateDns: { enabled: true } }, tags: { team: 'ml' } }));
    expect(refused.statusCode).toBe(409);
    const answer = body(refused);
    expect(answer).toMatchObject({ error: 'ReplacementRequired', message: expect.stringContaining('region') });
    expect(answer.fields.map((f: { field: string; why: string }) => [f.field, f.why])).toEqual([
      ['region', 'every resource lives in one region'],
      ['network.vpcCidr', 'a VPC cannot change its primary CIDR'],
    ]);
    expect(answer.howToReplace).toEqual([expect.stringContaining(`DELETE /provisionings/${id}`), expect.stringContaining('new provisioningId')]);

    // Nothing changed: the registry item (not even its version) and the resources.
    expect(await getRecord(id, registry())).toEqual(stored);
    expect((await leftoversOf(id)).resources).toEqual(resources);
  }, 120_000);

  it('update (roles and the bucket key in place): external ID, permissions boundary, OIDC issuer and KMS key are reconciled on the same roles and bucket, and taken back out', async () => {
    const id = 'upd-roles';
    const names = namesOf(id);
    const before = await provisioned(fullRequest(id));
    const kmsKeyArn = await createKmsKey(stack.awsEndpoint);
    const boundary = 'arn:aws:iam::aws:policy/AmazonEKSClusterPolicy';
    const issuer = 'https://oidc.eks.us-west-2.amazonaws.com/id/UPDATED';
    const base = fullRequest(id);
    const changed = {
      ...base,
      iamRole: { ...base.iamRole, permissionsBoundaryArn: boundary, oidcIssuerUrl: issuer },
      crossAccountRole: { ...base.crossAccountRole, externalId: 'cid-rotated-0123456789' },
      bucket: { kmsKeyArn },
    };
    const started = body(await post(changed));
    expect(started.changes.map((c: { field: string }) => c.field).sort()).toEqual(['bucket.kmsKeyArn', 'crossAccountRole.externalId', 'iamRole.oidcIssuerUrl', 'iamRole.permissionsBoundaryArn']);
    const after = await settled(id);
    expect(after.status).toBe('SUCCEEDED');
    expect(after.outputs.externalId).toBe('cid-rotated-0123456789');
    expect(after.outputs.crossAccountRoleArn).toBe(before.outputs.crossAccountRoleArn);

    const role = async (name: string) => (await iamClient(target).send(new GetRoleCommand({ RoleName: name }))).Role!;
    const trust = async (name: string) => decodeURIComponent((await role(name)).AssumeRolePolicyDocument!);
    expect(await trust(names.crossAccountRoleName)).toContain('cid-rotated-0123456789');
    expect(await trust(names.crossAccountRoleName)).not.toContain(before.outputs.externalId);
    expect((await role(names.eksRoleName)).PermissionsBoundary?.PermissionsBoundaryArn).toBe(boundary);
    for (const name of [names.eksRoleName, names.storageRoleName]) expect(await trust(name)).toContain('oidc.eks.us-west-2.amazonaws.com/id/UPDATED');
    const encryption = async () => (await s3Client(target).send(new GetBucketEncryptionCommand({ Bucket: names.bucketName }))).ServerSideEncryptionConfiguration!.Rules![0];
    expect(await encryption()).toMatchObject({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKeyArn }, BucketKeyEnabled: true });
    const storagePolicy = async () => decodeURIComponent((await iamClient(target).send(new GetRolePolicyCommand({ RoleName: names.storageRoleName, PolicyName: STORAGE_POLICY_NAME }))).PolicyDocument!);
    expect(await storagePolicy()).toContain(kmsKeyArn);

    // Back out: no boundary, no key. (The issuer stays: a real one, once in the trust, is kept when the request has none.)
    expect(body(await post({ ...base, iamRole: { ...base.iamRole }, crossAccountRole: changed.crossAccountRole }))).toMatchObject({ kind: 'update' });
    expect((await settled(id)).status).toBe('SUCCEEDED');
    expect((await role(names.eksRoleName)).PermissionsBoundary).toBeUndefined();
    expect(await encryption()).toMatchObject({ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } });
    expect(await storagePolicy()).not.toContain(kmsKeyArn);
    expect(await trust(names.eksRoleName)).toContain('id/UPDATED');
  }, 120_000);

  it('update from the console (no API): an execution named <id>--update-<n> is recorded as an update, keeps the previous request from the registry, and removes the dropped tag key', async () => {
    const id = 'upd-console';
    const before = await provisioned(fullRequest(id, { tags: { team: 'data', 'cost-center': 'cc-1' } }));
    const record = await stack.engine.start('byoc-provision', `${id}--update-1`, fullRequest(id, { tags: { team: 'ml' } })).done;
    expect(record.status).toBe('SUCCEEDED');
    expect(statesEntered(record.history)).toEqual(expect.arrayContaining(['IsUpdate', 'RecordUpdateStarted', 'ReadPreviousRequest', 'ApplyTags']));
    const after = await show(id);
    expect(after).toMatchObject({ status: 'SUCCEEDED', executionArn: expect.stringMatching(/--update-1$/) });
    expect(identity(after.outputs)).toEqual(identity(before.outputs));
    expect(after.executions.map((e: { kind: string; outcome: string }) => [e.kind, e.outcome])).toEqual([
      ['provision', 'SUCCEEDED'],
      ['update', 'SUCCEEDED'],
    ]);
    for (const [resource, tags] of await ec2Tags(id)) expect({ resource, team: tags.team, costCenter: tags['cost-center'] }).toEqual({ resource, team: 'ml', costCenter: undefined });
  }, 120_000);

  it('update failure: an update whose step fails ends UPDATE_FAILED with nothing rolled back or deleted; a delete meanwhile is 409; the same update again succeeds', async () => {
    const id = 'upd-fail';
    const before = await provisioned(fullRequest(id, { tags: { team: 'data' } }));
    const resources = (await leftoversOf(id)).resources;
    expect(resources.length).toBeGreaterThan(10);

    // ApplyTags acts, then fails for good (the worst case: the environment is partly updated).
    stack.engine.overrideFunctions({ ApplyTags: actThenFail('ApplyTags') });
    const changed = fullRequest(id, { tags: { team: 'ml' } });
    const started = body(await post(changed));
    expect(started).toMatchObject({ status: 'UPDATING', kind: 'update', executionArn: expect.stringMatching(/--update-1$/) });
    // Delete while an update runs: refused, naming it (never a teardown racing the update).
    const busy = await remove(id);
    expect(busy.statusCode).toBe(409);
    expect(body(busy)).toMatchObject({ error: 'UpdateRunning', runningExecution: { kind: 'update', name: `${id}--update-1` } });

    const failed = await settled(id);
    expect(failed).toMatchObject({ status: 'UPDATE_FAILED', currentExecution: null, error: { name: 'AwsOperationError', step: 'ApplyTags' }, outputs: before.outputs });
    // The registry says UPDATE_FAILED as soon as RecordUpdateFailed wrote it; the execution ends a moment later.
    const record = (await stack.engine.runningExecutions.get(started.executionArn)?.done) ?? stack.store.load(started.executionArn)!;
    expect(record.error).toBe('AwsOperationError');
    expect(statesEntered(record.history)).toEqual(expect.arrayContaining(['IsUpdateFailure', 'RecordUpdateFailed', 'UpdateFailed']));
    expect(statesEntered(record.history).filter((s) => s.startsWith('Rollback') || s === 'BeginRollback' || s === 'FindLeftovers')).toEqual([]);
    // Nothing deleted: the same resources, one for one.
    expect((await leftoversOf(id)).resources).toEqual(resources);
    expect((await getRecord(id, registry()))!.previousRequest).toMatchObject({ tags: { team: 'data' } });

    // The same update again (the failure fixed): <id>--update-2 re-applies and succeeds.
    stack.engine.overrideFunctions();
    const again = body(await post(changed));
    expect(again).toMatchObject({ status: 'UPDATING', kind: 'update', executionArn: expect.stringMatching(/--update-2$/) });
    const done = await settled(id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(identity(done.outputs)).toEqual(identity(before.outputs));
    for (const [resource, tags] of await ec2Tags(id)) expect({ resource, team: tags.team }).toEqual({ resource, team: 'ml' });
    expect(done.executions.map((e: { name: string; outcome: string }) => [e.name, e.outcome])).toEqual([
      [id, 'SUCCEEDED'],
      [`${id}--update-1`, 'UPDATE_FAILED'],
      [`${id}--update-2`, 'SUCCEEDED'],
    ]);

    // And it still tears down to nothing.
    expect((await remove(id)).statusCode).toBe(202);
    expect((await settled(id)).status).toBe('TORN_DOWN');
    expect((await leftoversOf(id)).resources).toEqual([]);
  }, 180_000);
});
