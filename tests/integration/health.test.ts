import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  CreateTagsCommand,
  DeleteRouteCommand,
  DeleteTagsCommand,
  DeleteVpcEndpointsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { PutEventsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AttachRolePolicyCommand, DetachRolePolicyCommand, GetRoleCommand, GetRolePolicyCommand, ListRolePoliciesCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { DeleteBucketPolicyCommand, DeletePublicAccessBlockCommand, GetBucketPolicyCommand, GetPublicAccessBlockCommand, PutBucketPolicyCommand, PutPublicAccessBlockCommand } from '@aws-sdk/client-s3';
import { ec2Client, iamClient, route53Client, s3Client } from '../../shared/aws/clients';
import { HEALTH_EVENT_DETAIL_TYPE, HEALTH_EVENT_SOURCE } from '../../shared/health/sweep';
import { getRecord } from '../../shared/registry/store';
import type { ProvisioningOutputs } from '../../shared/state';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { handler as getHealth } from '../../functions/api/get-health';
import { handler as sweep } from '../../functions/health-sweep';
import { HEALTH_EXIT, healthExitCode, healthLines, localHealth } from '../../local/health';
import { apiEvent, lambdaContext } from '../fixtures/api-events';
import { fullRequest, namesOf, REGION } from '../helpers/workflow';

/**
 * Drift (docs/decisions.md 26): after a full provisioning on the local stack, people and tools change things. Each
 * requirement is broken in turn with the AWS SDK against moto, and `GET /provisionings/{id}/health` must name it
 * (its number, the reason, the fix), then be HEALTHY again once it is put back.
 */

const target = { region: REGION };
const ec2 = () => ec2Client(target);
const iam = () => iamClient(target);
const s3 = () => s3Client(target);
const route53 = () => route53Client(target);

interface Report {
  verdict: string;
  failed: string[];
  warnings: string[];
  findings: { requirement: string; status: string; reason: string; fix: string }[];
  status: string;
}

const answerOf = (r: unknown) => ({ statusCode: (r as { statusCode: number }).statusCode, body: JSON.parse((r as { body: string }).body) });
const health = async (id: string) => answerOf(await getHealth(apiEvent('GET /provisionings/{id}/health', { id }), lambdaContext()));
const report = async (id: string): Promise<Report> => {
  const answer = await health(id);
  expect(answer.statusCode).toBe(200);
  return answer.body as Report;
};

async function provision(stack: LocalStack, id: string, extra: Record<string, unknown> = {}): Promise<ProvisioningOutputs> {
  const record = await stack.engine.start('byoc-provision', id, fullRequest(id, extra)).done;
  if (record.status !== 'SUCCEEDED') throw new Error(`provisioning ${id} ${record.status}: ${record.error} ${record.cause}`);
  return JSON.parse(record.output!) as ProvisioningOutputs;
}

async function routeTableOf(subnetId: string): Promise<string> {
  const tables = await ec2().send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }));
  return tables.RouteTables![0].RouteTableId!;
}

/** The 443 ingress rule of our group, as it was made (to revoke and put back). */
async function ingress443(groupId: string) {
  const rules = await ec2().send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }));
  const rule = rules.SecurityGroupRules!.find((r) => !r.IsEgress && r.IpProtocol === 'tcp' && r.FromPort === 443 && r.CidrIpv4 === '0.0.0.0/0')!;
  expect(rule).toBeDefined();
  return rule;
}

describe('GET /provisionings/{id}/health: each requirement broken after hand-over is named, with its fix', () => {
  let stack: LocalStack;
  let outputs: ProvisioningOutputs;
  const id = 'drift-1';
  const names = namesOf(id);

  beforeAll(async () => {
    stack = await startLocalStack({ profile: 'instant', sfnServer: true, stateDir: mkdtempSync(join(tmpdir(), 'byoc-health-')) });
    outputs = await provision(stack, id);
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('is HEALTHY right after the provisioning', async () => {
    const r = await report(id);
    expect(r).toMatchObject({ verdict: 'HEALTHY', failed: [], warnings: [], findings: [], status: 'SUCCEEDED' });
  });

  /** Break one thing, expect exactly that requirement BROKEN with a reason and fix, put it back, expect HEALTHY. */
  const cases: { name: string; requirement: string; reason: RegExp; break: () => Promise<() => Promise<unknown>> }[] = [
    {
      name: 'the private route table loses its NAT route',
      requirement: 'V6',
      reason: /sends 0\.0\.0\.0\/0 to nowhere, not to the NAT gateway/,
      break: async () => {
        const table = await routeTableOf(outputs.privateSubnetIds[0]);
        await ec2().send(new DeleteRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0' }));
        return () => ec2().send(new CreateRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: outputs.natGatewayId }));
      },
    },
    {
      name: 'the public route table loses its internet gateway route',
      requirement: 'V6',
      reason: /public subnet .* not to the internet gateway/,
      break: async () => {
        const table = await routeTableOf(outputs.publicSubnetId);
        await ec2().send(new DeleteRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0' }));
        return () => ec2().send(new CreateRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', GatewayId: outputs.internetGatewayId }));
      },
    },
    {
      name: 'a private subnet loses its Vendor tag',
      requirement: 'V8',
      reason: /lacks Vendor=zilliz-byoc/,
      break: async () => {
        const subnet = outputs.privateSubnetIds[1];
        await ec2().send(new DeleteTagsCommand({ Resources: [subnet], Tags: [{ Key: 'Vendor' }] }));
        return () => ec2().send(new CreateTagsCommand({ Resources: [subnet], Tags: [{ Key: 'Vendor', Value: 'zilliz-byoc' }] }));
      },
    },
    {
      name: "the security group's 443 ingress rule is revoked",
      requirement: 'V7',
      reason: /lacks ingress tcp 443/,
      break: async () => {
        const rule = await ingress443(outputs.securityGroupId);
        await ec2().send(new RevokeSecurityGroupIngressCommand({ GroupId: outputs.securityGroupId, SecurityGroupRuleIds: [rule.SecurityGroupRuleId!] }));
        return () =>
          ec2().send(
            new AuthorizeSecurityGroupIngressCommand({
              GroupId: outputs.securityGroupId,
              IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
              TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: rule.Tags }],
            }),
          );
      },
    },
    {
      name: 'the private DNS alias record is deleted',
      requirement: 'V10',
      reason: /has no A record zilliz-byoc-us\.byoc\.zillizcloud\.com/,
      break: async () => {
        const records = await route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: outputs.hostedZoneId! }));
        const record = records.ResourceRecordSets!.find((r) => r.Type === 'A' && r.Name?.startsWith('zilliz-byoc-us.')) as ResourceRecordSet;
        expect(record).toBeDefined();
        const change = (Action: 'CREATE' | 'DELETE') => route53().send(new ChangeResourceRecordSetsCommand({ HostedZoneId: outputs.hostedZoneId!, ChangeBatch: { Changes: [{ Action, ResourceRecordSet: record }] } }));
        await change('DELETE');
        return () => change('CREATE');
      },
    },
    {
      name: 'a managed policy is detached from the EKS role',
      requirement: 'R2',
      reason: /not attached: arn:aws:iam::aws:policy\/AmazonEKS_CNI_Policy/,
      break: async () => {
        const PolicyArn = 'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy';
        await iam().send(new DetachRolePolicyCommand({ RoleName: names.eksRoleName, PolicyArn }));
        return () => iam().send(new AttachRolePolicyCommand({ RoleName: names.eksRoleName, PolicyArn }));
      },
    },
    {
      name: "the EKS role's trust policy is changed",
      requirement: 'R1',
      reason: /trust policy of zilliz-byoc-drift-1-eks differs from the guide's/,
      break: async () => {
        const before = decodeURIComponent((await iam().send(new GetRoleCommand({ RoleName: names.eksRoleName }))).Role!.AssumeRolePolicyDocument!);
        const changed = JSON.parse(before) as { Statement: unknown[] };
        changed.Statement.push({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' });
        await iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: names.eksRoleName, PolicyDocument: JSON.stringify(changed) }));
        return () => iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: names.eksRoleName, PolicyDocument: before }));
      },
    },
    {
      name: "the bucket's public access block is removed",
      requirement: 'S1',
      reason: /public access block/,
      break: async () => {
        const block = (await s3().send(new GetPublicAccessBlockCommand({ Bucket: outputs.bucketName }))).PublicAccessBlockConfiguration!;
        await s3().send(new DeletePublicAccessBlockCommand({ Bucket: outputs.bucketName }));
        return () => s3().send(new PutPublicAccessBlockCommand({ Bucket: outputs.bucketName, PublicAccessBlockConfiguration: block }));
      },
    },
    {
      name: "the bucket's TLS-only policy is deleted",
      requirement: 'S1',
      reason: /its policy does not deny s3:\* on the bucket and its objects when aws:SecureTransport is false/,
      break: async () => {
        const policy = (await s3().send(new GetBucketPolicyCommand({ Bucket: outputs.bucketName }))).Policy!;
        await s3().send(new DeleteBucketPolicyCommand({ Bucket: outputs.bucketName }));
        return () => s3().send(new PutBucketPolicyCommand({ Bucket: outputs.bucketName, Policy: policy }));
      },
    },
    {
      name: "the storage role's policy is changed",
      requirement: 'S2',
      reason: /inline policy .* differs from the vendor's reference/,
      break: async () => {
        const role = names.storageRoleName;
        const { PolicyNames } = await iam().send(new ListRolePoliciesCommand({ RoleName: role }));
        const PolicyName = PolicyNames![0];
        const before = decodeURIComponent((await iam().send(new GetRolePolicyCommand({ RoleName: role, PolicyName }))).PolicyDocument!);
        const widened = JSON.parse(before) as { Statement: { Resource?: unknown }[] };
        widened.Statement[0].Resource = '*';
        await iam().send(new PutRolePolicyCommand({ RoleName: role, PolicyName, PolicyDocument: JSON.stringify(widened) }));
        return () => iam().send(new PutRolePolicyCommand({ RoleName: role, PolicyName, PolicyDocument: before }));
      },
    },
    {
      name: "the cross-account role's trust takes another external ID",
      requirement: 'X1',
      reason: /trust policy differs from the vendor's reference/,
      break: async () => {
        const role = names.crossAccountRoleName;
        const before = decodeURIComponent((await iam().send(new GetRoleCommand({ RoleName: role }))).Role!.AssumeRolePolicyDocument!);
        expect(before).toContain(outputs.externalId);
        await iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: before.split(outputs.externalId).join('cid-someone-else') }));
        return () => iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: before }));
      },
    },
  ];

  it.each(cases)('$requirement: $name', async (c) => {
    const restore = await c.break();
    const broken = await report(id);
    expect(broken.verdict).toBe('BROKEN');
    expect(broken.failed).toEqual([c.requirement]);
    const finding = broken.findings.find((f) => f.requirement === c.requirement && f.status === 'fail')!;
    expect(finding.reason).toMatch(c.reason);
    expect(finding.fix.length).toBeGreaterThan(10);
    await restore();
    expect(await report(id)).toMatchObject({ verdict: 'HEALTHY', failed: [] });
  });

  it('V8 names the very subnet whose Vendor tag was dropped', async () => {
    const subnet = outputs.privateSubnetIds[2];
    await ec2().send(new DeleteTagsCommand({ Resources: [subnet], Tags: [{ Key: 'Vendor' }] }));
    const r = await report(id);
    expect(r.findings).toEqual([expect.objectContaining({ requirement: 'V8', status: 'fail', reason: expect.stringContaining(`${subnet} lacks Vendor=zilliz-byoc`), fix: expect.stringContaining('Tag the resources') })]);
    await ec2().send(new CreateTagsCommand({ Resources: [subnet], Tags: [{ Key: 'Vendor', Value: 'zilliz-byoc' }] }));
  });

  it('V9 and V11: a deleted VPC endpoint is named, and so is the stale ID the vendor was given', async () => {
    await ec2().send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [outputs.vpcEndpointId!] }));
    const r = await report(id);
    expect(r.verdict).toBe('BROKEN');
    expect(r.failed).toEqual(expect.arrayContaining(['V9', 'V11']));
    const v11 = r.findings.find((f) => f.requirement === 'V11')!;
    expect(v11.reason).toContain(`VPC endpoint ${outputs.vpcEndpointId}`);
    expect(v11.fix).toMatch(/give the vendor the IDs AWS has now/);
  });

  it('byoc health: the same report from the local registry, its lines and its exit code (BROKEN 1, no verdict 4)', async () => {
    const result = await localHealth(id, mkdtempSync(join(tmpdir(), 'byoc-health-cli-')));
    if (!('report' in result)) throw new Error(`refused: ${result.refused.message}`);
    expect(result.report.verdict).toBe('BROKEN');
    expect(healthExitCode(result.report.verdict)).toBe(1);
    const lines = healthLines(result.report);
    expect(lines[0]).toMatch(/^Provisioning drift-1 \(SUCCEEDED, us-west-2, account 123456789012\): BROKEN/);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^✖ V9: /), expect.stringMatching(/^✖ V11: /), expect.stringMatching(/^ {4}fix: /), expect.stringMatching(/^✔ V2 V3 V4 V5 V6 V7 V8 /)]));
    const unknown = await localHealth('never-made', mkdtempSync(join(tmpdir(), 'byoc-health-cli-')));
    expect(unknown).toMatchObject({ refused: { code: 'ProvisioningNotFound' } });
    expect(HEALTH_EXIT).toEqual({ HEALTHY: 0, BROKEN: 1, usage: 2, DEGRADED: 3, noVerdict: 4 });
  });

  it("DEGRADED: a subnet that lost one of the request's own tags: DEGRADED, V8 warned with the resource and the key", async () => {
    const outputs = await provision(stack, 'drift-tags', { tags: { CostCenter: 'cc-42' } });
    expect((await report('drift-tags')).verdict).toBe('HEALTHY');
    const subnet = outputs.privateSubnetIds[0];
    await ec2().send(new DeleteTagsCommand({ Resources: [subnet], Tags: [{ Key: 'CostCenter' }] }));
    const r = await report('drift-tags');
    expect(r).toMatchObject({ verdict: 'DEGRADED', failed: [], warnings: ['V8'] });
    expect(r.findings).toEqual([expect.objectContaining({ requirement: 'V8', status: 'warning', reason: expect.stringContaining(`${subnet}: CostCenter missing`) })]);
  }, 60_000);
  it('answers 404 for an unknown provisioning and 409 with the status for one that is not live', async () => {
    expect((await health('never-made')).statusCode).toBe(404);
    const rejected = await stack.engine.start('byoc-provision', 'drift-bad', { ...fullRequest('drift-bad'), region: 'mars-1' }).done;
    expect(rejected.status).toBe('FAILED');
    const answer = await health('drift-bad');
    expect(answer.statusCode).toBe(409);
    expect(answer.body).toMatchObject({ type: '/problems/provisioning-not-live', error: 'ProvisioningNotLive', provisioningStatus: 'FAILED', liveStatuses: ['SUCCEEDED', 'UPDATE_FAILED'] });
  });
});

describe('the health sweep (scheduled): records each verdict, publishes an event only when one changes', () => {
  let stack: LocalStack;
  let sent: PutEventsCommand[];
  let spy: jest.SpyInstance;

  beforeAll(async () => {
    stack = await startLocalStack({ profile: 'instant', sfnServer: true, stateDir: mkdtempSync(join(tmpdir(), 'byoc-health-')) });
    // Lighter requests (no interface endpoint, no private zone): the sweep, not the checks, is what this tests.
    await provision(stack, 'sweep-a', { network: {} });
    await provision(stack, 'sweep-b', { network: {} });
    // Not live: its input was refused (FAILED). The sweep must leave it alone.
    expect((await stack.engine.start('byoc-provision', 'sweep-bad', { ...fullRequest('sweep-bad'), region: 'mars-1' }).done).status).toBe('FAILED');
  }, 120_000);
  beforeEach(() => {
    sent = [];
    // moto's EventBridge takes the events; the spy keeps a copy of each PutEvents the sweep sends.
    const original = EventBridgeClient.prototype.send;
    spy = jest.spyOn(EventBridgeClient.prototype, 'send').mockImplementation(function (this: EventBridgeClient, command: unknown) {
      if (command instanceof PutEventsCommand) sent.push(command);
      return (original as (c: unknown) => Promise<unknown>).call(this, command);
    } as never);
  });
  afterEach(() => spy.mockRestore());
  afterAll(async () => stack?.stop());

  const registry = () => stack.serviceDeps().registry;
  const runSweep = async () => (await sweep({}, lambdaContext(900_000))) as { live: number; checked: number; changed: number; published: number; errors: unknown[] };

  it('first run: both HEALTHY, recorded, no event; the FAILED one untouched', async () => {
    const result = await runSweep();
    expect(result).toMatchObject({ live: 2, checked: 2, changed: 0, published: 0, errors: [] });
    expect(sent).toHaveLength(0);
    expect((await getRecord('sweep-a', registry()))?.health).toMatchObject({ verdict: 'HEALTHY', issues: [] });
    expect((await getRecord('sweep-b', registry()))?.health).toMatchObject({ verdict: 'HEALTHY', issues: [] });
    expect((await getRecord('sweep-bad', registry()))?.health).toBeUndefined();
  });

  it('one broken, two runs: exactly one event (on the change), the registry keeps the new verdict', async () => {
    const outputs = JSON.parse(JSON.stringify((await getRecord('sweep-b', registry()))!.outputs)) as ProvisioningOutputs;
    const rule = await ingress443(outputs.securityGroupId);
    await ec2().send(new RevokeSecurityGroupIngressCommand({ GroupId: outputs.securityGroupId, SecurityGroupRuleIds: [rule.SecurityGroupRuleId!] }));
    const before = (await getRecord('sweep-b', registry()))!;

    const first = await runSweep();
    const second = await runSweep();
    expect(first).toMatchObject({ checked: 2, changed: 1, published: 1, errors: [] });
    expect(second).toMatchObject({ checked: 2, changed: 0, published: 0, errors: [] });
    expect(sent).toHaveLength(1);
    const entry = sent[0].input.Entries![0];
    expect(entry).toMatchObject({ Source: HEALTH_EVENT_SOURCE, DetailType: HEALTH_EVENT_DETAIL_TYPE, EventBusName: 'default' });
    expect(JSON.parse(entry.Detail!)).toMatchObject({
      provisioningId: 'sweep-b',
      verdict: 'BROKEN',
      previousVerdict: 'HEALTHY',
      failed: ['V7'],
      findings: [expect.objectContaining({ requirement: 'V7', status: 'fail', reason: expect.stringContaining('lacks ingress tcp 443') })],
    });

    const after = (await getRecord('sweep-b', registry()))!;
    expect(after.health).toMatchObject({ verdict: 'BROKEN', issues: ['V7'] });
    expect(after.health!.checkedAt > before.health!.checkedAt).toBe(true);
    // A check is not a change of the provisioning: status and updatedAt stay; the version grows (every write adds one).
    expect(after).toMatchObject({ status: 'SUCCEEDED', updatedAt: before.updatedAt });
    expect(after.version).toBe(before.version + 2);
    expect((await getRecord('sweep-a', registry()))?.health?.verdict).toBe('HEALTHY');
    expect((await getRecord('sweep-bad', registry()))?.health).toBeUndefined();
  });
});
