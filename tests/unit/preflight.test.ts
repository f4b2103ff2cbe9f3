import { EC2Client, CreateVpcCommand, CreateNatGatewayCommand, CreateSubnetCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { PreflightFailedError, TERMINAL_ERROR_NAMES } from '../../shared/errors';
import { checkPermissions, simulationPrincipal, STEP_ROLE_ENV } from '../../shared/preflight/permissions';
import { checkCidr, freeVpcCidr } from '../../shared/preflight/names';
import { quotaByName } from '../../shared/preflight/quotas';
import { parseRequest } from '../../shared/request';
import { planUpdate } from '../../shared/update/plan';
import { FaultSpecError, parseAccountFaults, parseFaultSpec } from '../../local/realism/fault-spec';
import { iamActionOf } from '../../local/realism/account-faults';
import { testConfig } from '../helpers/config';

const awsError = (name: string, status = 400) => Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

describe('the preflight (issue 11), its pure parts', () => {
  it('simulates the role an assumed-role session belongs to, the customer role with targetAccount, and nobody for root', () => {
    expect(simulationPrincipal({}, 'arn:aws:sts::111122223333:assumed-role/byoc-PreflightRole-X/session-1')).toBe('arn:aws:iam::111122223333:role/byoc-PreflightRole-X');
    expect(simulationPrincipal({ targetAccount: { roleArn: 'arn:aws:iam::444455556666:role/ZillizByocProvisioner', externalId: 'e' } }, 'arn:aws:sts::111122223333:assumed-role/x/y')).toBe(
      'arn:aws:iam::444455556666:role/ZillizByocProvisioner',
    );
    expect(simulationPrincipal({}, 'arn:aws:iam::111122223333:user/alice')).toBe('arn:aws:iam::111122223333:user/alice');
    expect(simulationPrincipal({}, 'arn:aws:iam::111122223333:root')).toBeUndefined();
  });

  it('finds the VPC CIDR overlapping network.avoidCidrs, naming each, and proposes the first free private /16', () => {
    const config = testConfig({ network: { vpcCidr: '10.0.0.0/16', avoidCidrs: ['10.0.128.0/20', '172.16.0.0/12', '10.0.0.0/8'] } });
    const [finding] = checkCidr(config);
    expect(finding).toMatchObject({ check: 'cidr', severity: 'error', field: 'network.vpcCidr' });
    expect(finding.message).toBe('the VPC CIDR 10.0.0.0/16 overlaps network.avoidCidrs.0 (10.0.128.0/20), network.avoidCidrs.2 (10.0.0.0/8).');
    expect(finding.fix).toContain('e.g. 192.168.0.0/16');
    expect(checkCidr(testConfig({ network: { vpcCidr: '10.1.0.0/16', avoidCidrs: ['10.0.0.0/16'] } }))).toEqual([]);
    expect(freeVpcCidr(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'])).toBeUndefined();
  });

  it('takes network.avoidCidrs in the request, naming a bad entry, and applies a change of it in place', () => {
    expect(parseRequest({ projectName: 'd', region: 'us-west-2', crossAccountRole: { externalId: 'cid-1' }, network: { avoidCidrs: ['192.168.0.0/16'] } }).network.avoidCidrs).toEqual(['192.168.0.0/16']);
    expect(() => parseRequest({ projectName: 'd', region: 'us-west-2', crossAccountRole: { externalId: 'cid-1' }, network: { avoidCidrs: ['10.0.0.0/8', '300.1.0.0/16', 'ten'] } })).toThrow(
      /network\.avoidCidrs\.2: must be an IPv4 CIDR block such as 10\.0\.0\.0\/16.*network\.avoidCidrs\.1: "300\.1\.0\.0\/16" is not a valid IPv4 CIDR block/,
    );
    const before = { projectName: 'd', region: 'us-west-2', crossAccountRole: { externalId: 'cid-1' } };
    expect(planUpdate(before, { ...before, network: { avoidCidrs: ['10.0.0.0/8'] } })).toMatchObject({ inPlace: [{ field: 'network.avoidCidrs' }], replacement: [] });
    expect(planUpdate(before, { ...before, network: { avoidCidrs: [] } })).toEqual({ inPlace: [], replacement: [] });
    expect(testConfig({ network: { avoidCidrs: ['10.9.0.0/16'] } }).network.avoidCidrs).toEqual(['10.9.0.0/16']);
  });

  it('fails a provisioning with PreflightFailedError, terminal, its message listing every finding with its fix', () => {
    const error = new PreflightFailedError([
      { check: 'permission', severity: 'error', action: 'ec2:CreateNatGateway', message: 'ec2:CreateNatGateway is not allowed.', fix: 'allow it' },
      { check: 'quota', severity: 'error', message: 'VPCs per Region (vpc L-F678F1CE): 5 of 5.', fix: 'raise it' },
      { check: 'permission', severity: 'warning', message: 'not all checked.', fix: 'allow the simulation' },
    ]);
    expect(error.name).toBe('PreflightFailedError');
    expect(TERMINAL_ERROR_NAMES).toContain('PreflightFailedError');
    expect(error.message).toBe(
      'Preflight found 2 problems; nothing was created:\n' +
        '- error [permission] ec2:CreateNatGateway is not allowed. Fix: allow it\n' +
        '- error [quota] VPCs per Region (vpc L-F678F1CE): 5 of 5. Fix: raise it\n' +
        '- warning [permission] not all checked. Fix: allow the simulation',
    );
  });

  it('reads deny: and quota: entries of the fault spec, refusing a bad one by its position, and leaves them out of the per-call faults', () => {
    expect(parseAccountFaults('CreateVpc:fail,deny:ec2:CreateNatGateway,quota:vpc=0,quota:L-0263D0A3=2,deny:s3:*')).toEqual({
      denies: [
        { text: 'deny:ec2:CreateNatGateway', service: 'ec2', action: 'CreateNatGateway' },
        { text: 'deny:s3:*', service: 's3', action: '*' },
      ],
      quotas: [
        { text: 'quota:vpc=0', quota: 'vpc', value: 0 },
        { text: 'quota:L-0263D0A3=2', quota: 'L-0263D0A3', value: 2 },
      ],
    });
    expect(parseFaultSpec('CreateVpc:fail,deny:ec2:CreateNatGateway,quota:vpc=0').map((r) => r.text)).toEqual(['CreateVpc:fail']);
    expect(() => parseFaultSpec('deny:ec2')).toThrow(new FaultSpecError('fault entry 1 "deny:ec2": write deny:SERVICE:ACTION with an IAM action name, e.g. deny:ec2:CreateNatGateway or deny:s3:CreateBucket'));
    expect(() => parseFaultSpec('CreateVpc:fail,deny:lambda:Invoke')).toThrow(/fault entry 2 "deny:lambda:Invoke": "lambda" is not a service/);
    expect(() => parseFaultSpec('quota:vpcs=1')).toThrow(/"vpcs" is neither a quota code .* nor one of vpc, igw, eip, nat/);
    expect(() => parseFaultSpec('quota:vpc=-1')).toThrow(/quota:QUOTA=N with a whole number N/);
    expect(quotaByName('nat')?.quotaCode).toBe('L-FE5A380F');
    expect(iamActionOf('s3', 'HeadBucket')).toBe('s3:ListBucket');
    expect(iamActionOf('ec2', 'CreateVpc')).toBe('ec2:CreateVpc');
  });
});

describe('the permission checks, against answers AWS can give', () => {
  const ec2 = mockClient(EC2Client);
  const iam = mockClient(IAMClient);
  const sts = mockClient(STSClient);
  afterEach(() => {
    ec2.reset();
    iam.reset();
    sts.reset();
  });
  const deps = () => ({ ec2: new EC2Client({ region: 'us-west-2' }), iam: new IAMClient({ region: 'us-west-2' }), s3: new S3Client({ region: 'us-west-2' }), sts: new STSClient({ region: 'us-west-2' }), serviceQuotas: () => new ServiceQuotasClient({ region: 'us-west-2' }) });
  const allowAll = () =>
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: { ActionNames: string[] }) => ({ EvaluationResults: input.ActionNames.map((a) => ({ EvalActionName: a, EvalDecision: 'allowed' })), IsTruncated: false }));

  beforeEach(() => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/byoc-prod-PreflightRole/fn' });
    ec2.onAnyCommand().rejects(awsError('DryRunOperation', 412));
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
  });

  it('hands an EC2 action whose DryRun AWS could not judge (an ID it does not find) to the simulation, and the calls into a VPC not made yet too', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-ours' }] });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-ours' }] });
    ec2.on(CreateNatGatewayCommand).rejects(awsError('InvalidAllocationID.NotFound'));
    allowAll();
    const { findings, probes } = await checkPermissions(testConfig(), deps(), {});
    expect(findings).toEqual([]);
    expect(probes).toContainEqual({ action: 'ec2:CreateNatGateway', via: 'simulation', result: 'allowed' });
    expect(probes).toContainEqual({ action: 'ec2:CreateSubnet', via: 'dry-run', result: 'allowed' });
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand).flatMap((c) => c.args[0].input.ActionNames ?? [])).toContain('ec2:CreateNatGateway');
    // No VPC of ours yet: nothing is probed in anyone else's VPC.
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    ec2.resetHistory();
    const before = await checkPermissions(testConfig(), deps(), {});
    expect(ec2.commandCalls(CreateSubnetCommand)).toEqual([]);
    expect(before.probes).toContainEqual({ action: 'ec2:CreateSubnet', via: 'simulation', result: 'allowed' });
  });

  it('reports an implicit denial of an EC2 action simulated on resources not made yet as not confirmed (a warning), an explicit one as an error', async () => {
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: { ActionNames: string[] }) => ({
      EvaluationResults: input.ActionNames.map((a) => ({ EvalActionName: a, EvalDecision: a === 'ec2:CreateSubnet' ? 'implicitDeny' : a === 'ec2:CreateRoute' ? 'explicitDeny' : 'allowed' })),
    }));
    const { findings } = await checkPermissions(testConfig(), deps(), {});
    expect(findings.map((f) => [f.severity, f.action ?? f.message.slice(0, 16)])).toEqual([
      ['error', 'ec2:CreateRoute'],
      ['warning', 'ec2:CreateSubnet'],
    ]);
  });

  it('asks about the step roles when they are named (own account), the caller\'s role otherwise; never a denial for a missing context key', async () => {
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: { ActionNames: string[] }) => ({
      EvaluationResults: input.ActionNames.map((a) => (a === 'ec2:CreateRoute' ? { EvalActionName: a, EvalDecision: 'implicitDeny', MissingContextValues: ['ec2:Vpc'] } : { EvalActionName: a, EvalDecision: 'allowed' })),
    }));
    const env = { [STEP_ROLE_ENV.network]: 'arn:aws:iam::111122223333:role/net', [STEP_ROLE_ENV.iam]: 'arn:aws:iam::111122223333:role/iam', [STEP_ROLE_ENV.storage]: 'arn:aws:iam::111122223333:role/s3' };
    const { findings, probes } = await checkPermissions(testConfig(), deps(), env);
    expect(findings).toEqual([]);
    expect(probes).toContainEqual({ action: 'ec2:CreateRoute', via: 'simulation', result: 'unchecked' });
    expect(iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => [c.args[0].input.PolicySourceArn, c.args[0].input.ActionNames![0]])).toEqual([
      ['arn:aws:iam::111122223333:role/iam', 'iam:CreateRole'],
      ['arn:aws:iam::111122223333:role/iam', 'iam:GetRole'],
      ['arn:aws:iam::111122223333:role/s3', 's3:CreateBucket'],
      ['arn:aws:iam::111122223333:role/net', 'ec2:ModifyVpcAttribute'],
    ]);
    // CreateRole is asked about alone, as for a role without our tag yet (a policy may allow creating only those);
    // the calls on the roles it made carry the tag.
    const keys = (action: string) => iam.commandCalls(SimulatePrincipalPolicyCommand).find((c) => c.args[0].input.ActionNames![0] === action)!.args[0].input.ContextEntries!.map((e) => e.ContextKeyName);
    expect(keys('iam:CreateRole')).toContain('aws:RequestTag/byoc:provisioning-id');
    expect(keys('iam:CreateRole')).not.toContain('iam:ResourceTag/byoc:provisioning-id');
    expect(keys('iam:GetRole')).toContain('iam:ResourceTag/byoc:provisioning-id');
    iam.resetHistory();
    await checkPermissions(testConfig(), deps(), {});
    expect(new Set(iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input.PolicySourceArn))).toEqual(new Set(['arn:aws:iam::111122223333:role/byoc-prod-PreflightRole']));
  });

  it('warns (not an error) when the simulation cannot be used, and says when an endpoint ignored DryRun', async () => {
    iam.on(SimulatePrincipalPolicyCommand).rejects(awsError('NoSuchEntity', 404));
    ec2.on(CreateVpcCommand).resolves({ Vpc: { VpcId: 'vpc-made-by-mistake' } });
    const { findings } = await checkPermissions(testConfig(), deps(), {});
    expect(findings.every((f) => f.severity === 'warning')).toBe(true);
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringContaining('ignores DryRun'),
      expect.stringMatching(/^iam:SimulatePrincipalPolicy could not be used \(NoSuchEntity\): these permissions were not checked/),
    ]);
    expect(findings[0].message).toContain('vpc-made-by-mistake');
  });
});
