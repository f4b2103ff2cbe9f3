import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllocateAddressCommand, CreateSubnetCommand, CreateVpcCommand, DescribeAddressesCommand, DescribeInternetGatewaysCommand, DescribeNatGatewaysCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { CreateRoleCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { dynamodbClient, ec2Client, iamClient, s3Client, serviceQuotasClient, stsClient, type AwsTarget } from '../../shared/aws/clients';
import { preflightRequest, type Finding, type PreflightResult } from '../../shared/preflight';
import { getRecord } from '../../shared/registry/store';
import { LOCAL_REGION } from '../../local/executions';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { handler as preflightApi } from '../../functions/api/preflight';
import { apiEvent, lambdaContext } from '../fixtures/api-events';
import { statesEntered } from '../helpers/workflow';

/**
 * Issue 11, Preflight: every finding kind produced on demand by the local stack (deny: and quota: entries of the
 * fault spec, local/realism/account-faults.ts), a clean preflight passing, POST /preflight, and a provisioning that a
 * refused permission stops in Preflight before anything exists. The instant profile: the realism is the point only
 * where the fault spec says so.
 */
const REGION = 'us-west-2';
const target = (region = REGION): AwsTarget => ({ region });
const deps = (t: AwsTarget) => ({
  ec2: ec2Client(t),
  iam: iamClient(t),
  s3: s3Client(t),
  sts: stsClient(t),
  serviceQuotas: (region: string) => serviceQuotasClient({ ...t, region }),
});
let counter = 0;
const request = (extra: Record<string, unknown> = {}) => {
  const id = `pf-${++counter}`;
  return { provisioningId: id, projectName: id, region: REGION, crossAccountRole: { externalId: 'cid-0123456789abcdef' }, ...extra };
};
const errors = (result: PreflightResult): Finding[] => result.findings.filter((f) => f.severity === 'error');

/** What exists in the account: the preflight must never change it. */
async function census() {
  const ec2 = ec2Client(target());
  return {
    vpcs: (await ec2.send(new DescribeVpcsCommand({}))).Vpcs?.length ?? 0,
    internetGateways: (await ec2.send(new DescribeInternetGatewaysCommand({}))).InternetGateways?.length ?? 0,
    addresses: (await ec2.send(new DescribeAddressesCommand({}))).Addresses?.length ?? 0,
    natGateways: (await ec2.send(new DescribeNatGatewaysCommand({}))).NatGateways?.length ?? 0,
    roles: (await iamClient(target()).send(new ListRolesCommand({}))).Roles?.length ?? 0,
    buckets: (await s3Client(target()).send(new ListBucketsCommand({}))).Buckets?.length ?? 0,
  };
}

describe('Preflight (issue 11): what would fail, found before anything is made', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ profile: 'instant', stateDir: mkdtempSync(join(tmpdir(), 'byoc-preflight-')) });
  }, 60_000);
  afterAll(async () => stack?.stop());
  afterEach(() => stack.realism.setFaults(undefined));

  const run = (body: Record<string, unknown>) => preflightRequest(body, deps);

  it('passes a clean request, probing the EC2 creates with DryRun (nothing made) and reading every quota', async () => {
    const before = await census();
    const result = await run(request({ network: { vpcEndpoint: { enabled: true }, privateDns: { enabled: true } } }));
    expect(errors(result)).toEqual([]);
    expect(result.ok).toBe(true);
    for (const action of ['ec2:CreateVpc', 'ec2:CreateInternetGateway', 'ec2:AllocateAddress']) expect(result.permissions).toContainEqual({ action, via: 'dry-run', result: 'allowed' });
    // Calls into a VPC: before ours exists, the simulation (a probe in someone else's VPC would judge the wrong thing).
    for (const action of ['ec2:CreateSubnet', 'ec2:CreateNatGateway', 'ec2:CreateRouteTable', 'ec2:CreateSecurityGroup', 'ec2:CreateVpcEndpoint']) {
      expect(result.permissions).toContainEqual({ action, via: 'simulation', result: 'allowed' });
    }
    // The rest through the policy simulation (the local stack answers it: moto has none).
    expect(result.permissions).toContainEqual({ action: 'iam:CreateRole', via: 'simulation', result: 'allowed' });
    expect(result.permissions).toContainEqual({ action: 'route53:CreateHostedZone', via: 'simulation', result: 'allowed' });
    expect(result.quotas.map((q) => q.quotaCode).sort()).toEqual(['L-0263D0A3', 'L-1B52E74A', 'L-29B6F2EB', 'L-A4707A72', 'L-DC2B2D3D', 'L-F678F1CE', 'L-FE177D64', 'L-FE5A380F'].sort());
    // moto's Service Quotas knows the VPC quotas; the others come from the documented defaults.
    expect(result.quotas.find((q) => q.quotaCode === 'L-F678F1CE')).toMatchObject({ limit: 5, source: 'service-quotas', needed: 1 });
    expect(result.quotas.find((q) => q.quotaCode === 'L-FE177D64')).toMatchObject({ limit: 1000, source: 'documented-default', needed: 3 });
    expect(stack.realism.events.filter((e) => e.kind === 'dry-run').length).toBeGreaterThanOrEqual(3);
    expect(await census()).toEqual(before);
  });

  it('names a refused EC2 permission (DryRun answered UnauthorizedOperation; the simulation an explicit deny) and creates nothing', async () => {
    stack.realism.setFaults('deny:ec2:CreateVpc,deny:ec2:CreateNatGateway');
    const before = await census();
    const result = await run(request());
    expect(result.ok).toBe(false);
    expect(errors(result)).toEqual([
      expect.objectContaining({ check: 'permission', action: 'ec2:CreateVpc', message: expect.stringContaining('EC2 answered the DryRun call with UnauthorizedOperation') }),
      expect.objectContaining({ check: 'permission', action: 'ec2:CreateNatGateway', message: expect.stringContaining('explicitDeny') }),
    ]);
    expect(result.permissions).toContainEqual({ action: 'ec2:CreateVpc', via: 'dry-run', result: 'denied' });
    expect(result.permissions).toContainEqual({ action: 'ec2:CreateNatGateway', via: 'simulation', result: 'denied' });
    expect(await census()).toEqual(before);
  });

  it('probes the calls into the VPC with DryRun in this provisioning\'s own VPC once an earlier attempt made it, and counts it as made', async () => {
    const body = request();
    const ec2 = ec2Client(target());
    const tags = [{ ResourceType: 'vpc' as const, Tags: [{ Key: 'byoc:provisioning-id', Value: body.provisioningId }] }];
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: tags }));
    await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId, CidrBlock: '10.0.0.0/24', TagSpecifications: [{ ResourceType: 'subnet', Tags: tags[0].Tags }] }));
    stack.realism.setFaults('deny:ec2:CreateSubnet');
    const result = await run(body);
    expect(errors(result)).toEqual([expect.objectContaining({ action: 'ec2:CreateSubnet', message: expect.stringContaining('UnauthorizedOperation') })]);
    for (const action of ['ec2:CreateNatGateway', 'ec2:CreateRouteTable', 'ec2:CreateSecurityGroup', 'ec2:CreateVpcEndpoint']) expect(result.permissions).toContainEqual({ action, via: 'dry-run', result: 'allowed' });
    expect(result.quotas.find((q) => q.quotaCode === 'L-F678F1CE')).toMatchObject({ ours: 1, needed: 0 });
  });

  it('names a refused IAM permission found by the policy simulation', async () => {
    stack.realism.setFaults('deny:iam:CreateRole,deny:s3:PutBucketPolicy');
    const result = await run(request());
    expect(errors(result).map((f) => [f.check, f.action])).toEqual([
      ['permission', 'iam:CreateRole'],
      ['permission', 's3:PutBucketPolicy'],
    ]);
    expect(errors(result)[0].message).toContain('explicitDeny');
  });

  it('warns, without failing, when the policy simulation itself is refused, listing what it could not check', async () => {
    stack.realism.setFaults('deny:iam:SimulatePrincipalPolicy');
    const result = await run(request());
    expect(result.ok).toBe(true);
    const warning = result.findings.find((f) => f.check === 'permission' && f.severity === 'warning')!;
    expect(warning.message).toMatch(/iam:SimulatePrincipalPolicy was refused .*AccessDenied.*iam:CreateRole.*s3:CreateBucket/);
    expect(result.permissions).toContainEqual({ action: 'iam:CreateRole', via: 'simulation', result: 'unchecked' });
    // The DryRun probes still decided the EC2 creates.
    expect(result.permissions).toContainEqual({ action: 'ec2:CreateVpc', via: 'dry-run', result: 'allowed' });
  });

  it('names an exhausted VPC quota with its code and how to raise it', async () => {
    const { vpcs } = await census(); // moto's default VPC, and any an earlier test made
    stack.realism.setFaults(`quota:vpc=${vpcs}`);
    const result = await run(request());
    expect(result.ok).toBe(false);
    const [finding] = errors(result);
    expect(finding).toMatchObject({ check: 'quota', quota: { serviceCode: 'vpc', quotaCode: 'L-F678F1CE', name: 'VPCs per Region' } });
    expect(finding.message).toContain(`VPCs per Region (vpc L-F678F1CE): ${vpcs} of ${vpcs} in use in us-west-2; this provisioning needs 1 more`);
    expect(finding.fix).toContain(`aws service-quotas request-service-quota-increase --service-code vpc --quota-code L-F678F1CE --desired-value ${vpcs + 1} --region us-west-2`);
    expect(result.quotas.find((q) => q.quotaCode === 'L-F678F1CE')).toMatchObject({ limit: vpcs, source: 'service-quotas', used: vpcs });
  });

  it('counts the Elastic IPs in use against their quota (by code, L-0263D0A3)', async () => {
    const ec2 = ec2Client(target());
    await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    stack.realism.setFaults('quota:L-0263D0A3=2');
    const result = await run(request());
    expect(errors(result)).toEqual([expect.objectContaining({ check: 'quota', quota: expect.objectContaining({ quotaCode: 'L-0263D0A3', name: 'EC2-VPC Elastic IPs' }) })]);
    expect(result.quotas.find((q) => q.quotaCode === 'L-0263D0A3')).toMatchObject({ used: 2, limit: 2, needed: 1 });
  });

  it('warns when Service Quotas refuses to answer, and uses the documented defaults', async () => {
    stack.realism.setFaults('deny:servicequotas:*');
    const result = await run(request());
    expect(result.ok).toBe(true);
    expect(result.quotas.every((q) => q.source === 'documented-default')).toBe(true);
    expect(result.findings).toContainEqual(expect.objectContaining({ check: 'quota', severity: 'warning', message: expect.stringContaining('Service Quotas refused') }));
  });

  it('names a bucket name someone else holds, and a role name a role that is not ours holds', async () => {
    const body = request();
    await s3Client(target()).send(new CreateBucketCommand({ Bucket: 'taken-by-someone-else', CreateBucketConfiguration: { LocationConstraint: REGION } }));
    await iamClient(target()).send(new CreateRoleCommand({ RoleName: `zilliz-byoc-${body.projectName}-eks-role`, AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }));
    const result = await run({ ...body, bucket: { name: 'taken-by-someone-else' } });
    expect(errors(result).map((f) => [f.check, f.field])).toEqual([
      ['role-name', 'iamRole.name'],
      ['bucket-name', 'bucket.name'],
    ]);
    expect(errors(result)[0].message).toContain(`IAM role zilliz-byoc-${body.projectName}-eks-role already exists`);
    expect(errors(result)[1].message).toContain('bucket "taken-by-someone-else" cannot be used');
  });

  it('names a VPC CIDR that overlaps network.avoidCidrs and proposes a free one', async () => {
    const result = await run(request({ network: { vpcCidr: '10.1.0.0/16', avoidCidrs: ['192.168.0.0/16', '10.0.0.0/15'] } }));
    expect(errors(result)).toEqual([
      expect.objectContaining({ check: 'cidr', field: 'network.vpcCidr', message: expect.stringContaining('network.avoidCidrs.1 (10.0.0.0/15)'), fix: expect.stringContaining('e.g. 10.2.0.0/16') }),
    ]);
  });

  it('names a region with fewer than three usable zones', async () => {
    // A region the vendor might open: moto has two zones in us-west-1 (as AWS does for most accounts).
    process.env.BYOC_EXTRA_REGIONS = JSON.stringify({ 'us-west-1': { location: 'N. California', endpointServiceName: 'com.amazonaws.vpce.us-west-1.vpce-svc-00000000000000000' } });
    try {
      const result = await preflightRequest({ ...request(), region: 'us-west-1' }, deps);
      expect(errors(result)).toEqual([expect.objectContaining({ check: 'zones', field: 'region', message: expect.stringContaining('needs three usable availability zones (V3), us-west-1 has') })]);
    } finally {
      delete process.env.BYOC_EXTRA_REGIONS;
    }
  });

  it('reports every problem at once', async () => {
    stack.realism.setFaults('deny:ec2:CreateVpc,quota:igw=0');
    const result = await run(request({ network: { avoidCidrs: ['10.0.0.0/8'] } }));
    expect(errors(result).map((f) => f.check)).toEqual(['permission', 'quota', 'cidr']);
  });

  it('POST /preflight answers 200 with ok and the findings, and 400 naming a bad field', async () => {
    stack.realism.setFaults('deny:ec2:CreateInternetGateway');
    const answer = await preflightApi(apiEvent('POST /preflight', { body: request() }), lambdaContext());
    expect(answer.statusCode).toBe(200);
    const body = JSON.parse(answer.body!);
    expect(body.ok).toBe(false);
    expect(body.findings).toEqual([expect.objectContaining({ check: 'permission', severity: 'error', action: 'ec2:CreateInternetGateway', fix: expect.any(String) })]);
    stack.realism.setFaults(undefined);
    const clean = JSON.parse((await preflightApi(apiEvent('POST /preflight', { body: request() }), lambdaContext())).body!);
    expect(clean).toMatchObject({ ok: true });
    const bad = await preflightApi(apiEvent('POST /preflight', { body: { ...request(), network: { avoidCidrs: ['10.0.0.300/8'] } } }), lambdaContext());
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body!).errors).toEqual([{ field: 'network.avoidCidrs.0', rule: expect.stringContaining('not a valid IPv4 CIDR block') }]);
  });

  it('stops a provisioning with a refused permission in Preflight, naming the action, before anything exists (FAILED, nothing to roll back)', async () => {
    stack.realism.setFaults('deny:ec2:CreateNatGateway');
    const before = await census();
    const body = request();
    const record = await stack.engine.start('byoc-provision', body.provisioningId, body).done;
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('PreflightFailedError');
    expect(record.cause).toContain('ec2:CreateNatGateway');
    const entered = statesEntered(record.history as never);
    expect(entered).toContain('Preflight');
    expect(entered.filter((s) => /^(Create|Rollback|BuildNetworkAndRole)/.test(s))).toEqual([]);
    expect(await census()).toEqual(before);
    const registry = await getRecord(body.provisioningId, { dynamodb: dynamodbClient(LOCAL_REGION), tableName: stack.registryTable });
    expect(registry?.status).toBe('FAILED');
  });
});
