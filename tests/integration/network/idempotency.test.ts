import {
  AuthorizeSecurityGroupIngressCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeVpcsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSubnetsCommand,
  DeleteSubnetCommand,
} from '@aws-sdk/client-ec2';
import { ChangeTagsForResourceCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-route-53';
import { TAG_PROVISIONING_ID } from '../../../shared/constants';
import { tagSpecification } from '../../../shared/tags';
import { installRealism, type RealismHandle } from '../../../local/realism';
import { bareId, callerReferencePrefix } from '../../../shared/network/private-dns';
import { testConfig } from '../../helpers/config';
import { useMoto } from '../../helpers/moto';
import { BUILD_ORDER, FULL_BUILD_COUNTS, RESULT_PATH, buildNetwork, countsOf, ec2, route53, run, type State, type StepName } from './network-helpers';

/** Which resource counts each create step owns (see network-helpers' resourcesOf). */
const OWNS: Partial<Record<StepName, (keyof typeof FULL_BUILD_COUNTS)[]>> = {
  CreateVpc: ['vpcs'],
  CreateSubnets: ['subnets'],
  CreateInternetGateway: ['internetGateways'],
  CreateNatGateway: ['natGateways', 'elasticIps'],
  CreateRouteTables: ['routeTables'],
  CreateS3GatewayEndpoint: ['s3GatewayEndpoints'],
  CreateSecurityGroup: ['securityGroups'],
  CreateVpcEndpoint: ['vpcEndpoints'],
  CreatePrivateDns: ['hostedZones'],
};

const fullOptions = { network: { vpcEndpoint: { enabled: true }, privateDns: { enabled: true } } };

describe('every network create step is idempotent: run twice, or again after its answer was lost, it ends with exactly one resource', () => {
  useMoto();

  describe('each step run twice in a row, the second time with the first answer lost (its key not in the state)', () => {
    const config = testConfig(fullOptions, 'net-twice');
    const state: State = { config };

    it.each(BUILD_ORDER.map((step) => [step]))('%s', async (step) => {
      const first = await run<Record<string, unknown>>(step, state);
      const second = await run<Record<string, unknown>>(step, state);
      // The second answer names the same resources (the change ID of an UPSERT is new each time, by design).
      const comparable = (answer: Record<string, unknown>) => ({ ...answer, changeId: undefined });
      expect(comparable(second)).toEqual(comparable(first));
      Object.assign(state, { [RESULT_PATH[step]!]: second });

      const counts = await countsOf('net-twice');
      for (const kind of OWNS[step] ?? []) expect([kind, counts[kind]]).toEqual([kind, FULL_BUILD_COUNTS[kind]]);
    });

    it('leaves exactly the resources of one build, one association per subnet, the six V7 rules and one alias record', async () => {
      expect(await countsOf('net-twice')).toEqual(FULL_BUILD_COUNTS);
      const subnetIds = [state.subnets!.publicSubnetId, ...state.subnets!.privateSubnets.map((s) => s.subnetId)];
      const tables = (await ec2().send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: subnetIds }] }))).RouteTables!;
      expect(tables.flatMap((t) => t.Associations ?? []).filter((a) => a.SubnetId).map((a) => a.SubnetId).sort()).toEqual([...subnetIds].sort());
      const rules = (await ec2().send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [state.securityGroup!.securityGroupId] }] }))).SecurityGroupRules!;
      expect(rules).toHaveLength(6);
      const records = (await route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: state.privateDns!.hostedZoneId }))).ResourceRecordSets!;
      expect(records.filter((r) => r.Type === 'A')).toHaveLength(1);
    });
  });

  /**
   * CreateVpc, CreateInternetGateway and AllocateAddress take no ClientToken: the tag is their only idempotency key.
   * A retry after a lost answer makes a second one when EC2 does not list the first by tag yet (its Describe calls
   * are eventually consistent: `consistency.ec2Listing` in the realism layer). The step must then keep one and
   * delete the other itself, before its answer goes into the state. The clock is the test's: the lag ends when the
   * test says so.
   */
  describe('a second VPC, internet gateway or Elastic IP made by a retry after a lost answer is removed by the same step', () => {
    const LAG_MS = 50; // 5 AWS seconds on the realistic time scale (100)
    let now = Date.UTC(2030, 0, 1);
    let realism: RealismHandle | undefined;
    const withLostAnswers = (faults: string) =>
      (realism = installRealism({
        profile: 'realistic',
        seed: 7,
        now: () => now,
        faults,
        overrides: { readiness: false, throttling: false, dependencies: false, consistency: { ec2: [0, 0], iam: [0, 0], ec2Listing: [5, 5] } },
      }));
    afterEach(() => realism?.uninstall());
    const byTag = (id: string) => [{ Name: `tag:${TAG_PROVISIONING_ID}`, Values: [id] }];
    /** One attempt of a step, as the state machine makes it: its answer, or the name of the error it failed with. */
    const attempt = (step: Parameters<typeof run>[0], state: State) => run<Record<string, string>>(step, state).catch((e: Error) => e.name);

    it('V2: CreateVpc - the first attempt\'s answer is lost, the retry makes a second VPC, the next retry keeps the lowest ID and deletes the other', async () => {
      withLostAnswers('CreateVpc:lose-response');
      const state: State = { config: testConfig({}, 'dup-vpc') };
      expect(await attempt('CreateVpc', state)).toBe('RetryableAwsError'); // AWS made a VPC; the step never heard
      // The retry does not see the first VPC by tag yet, makes a second, and does not see that one either: it cannot
      // rule out a hidden duplicate, so it fails to be retried rather than answer.
      expect(await attempt('CreateVpc', state)).toBe('EventualConsistencyError');
      const made = (await ec2().send(new DescribeVpcsCommand({ Filters: byTag('dup-vpc') }))).Vpcs!.map((v) => v.VpcId!).sort();
      expect(made).toHaveLength(0); // not listed yet: the lag
      now += LAG_MS;
      const both = (await ec2().send(new DescribeVpcsCommand({ Filters: byTag('dup-vpc') }))).Vpcs!.map((v) => v.VpcId!).sort();
      expect(both).toHaveLength(2);

      const answer = await attempt('CreateVpc', state);
      expect(answer).toEqual({ vpcId: both[0], cidr: '10.0.0.0/16' });
      expect((await countsOf('dup-vpc')).vpcs).toBe(1);
      expect(realism!.events.filter((e) => e.kind === 'lose-response').map((e) => e.operation)).toEqual(['CreateVpc']);
    });

    it('V6: CreateInternetGateway - a second gateway made after a lost answer is deleted, the kept one attached once', async () => {
      const state: State = { config: testConfig({}, 'dup-igw') };
      state.vpc = await run('CreateVpc', state);
      withLostAnswers('CreateInternetGateway:lose-response');
      expect(await attempt('CreateInternetGateway', state)).toBe('RetryableAwsError');
      expect(await attempt('CreateInternetGateway', state)).toBe('EventualConsistencyError');
      now += LAG_MS;
      const both = (await ec2().send(new DescribeInternetGatewaysCommand({ Filters: byTag('dup-igw') }))).InternetGateways!.map((g) => g.InternetGatewayId!).sort();
      expect(both).toHaveLength(2);

      expect(await attempt('CreateInternetGateway', state)).toEqual({ internetGatewayId: both[0] });
      const left = (await ec2().send(new DescribeInternetGatewaysCommand({ Filters: byTag('dup-igw') }))).InternetGateways!;
      expect(left.map((g) => [g.InternetGatewayId, g.Attachments?.map((a) => a.VpcId)])).toEqual([[both[0], [state.vpc!.vpcId]]]);
    });

    it('V6: CreateNatGateway - a second Elastic IP allocated after a lost answer is released (it is billed), the NAT gateway uses the one kept', async () => {
      const state: State = { config: testConfig({}, 'dup-eip') };
      state.vpc = await run('CreateVpc', state);
      state.subnets = await run('CreateSubnets', state);
      withLostAnswers('AllocateAddress:lose-response');
      expect(await attempt('CreateNatGateway', state)).toBe('RetryableAwsError');
      expect(await attempt('CreateNatGateway', state)).toBe('EventualConsistencyError');
      now += LAG_MS;
      const both = (await ec2().send(new DescribeAddressesCommand({ Filters: byTag('dup-eip') }))).Addresses!.map((a) => a.AllocationId!).sort();
      expect(both).toHaveLength(2);

      const nat = await attempt('CreateNatGateway', state);
      expect(nat).toMatchObject({ allocationId: both[0], natGatewayId: expect.stringMatching(/^nat-/) });
      expect(await countsOf('dup-eip')).toMatchObject({ elasticIps: 1, natGateways: 1 });
    });

    it('V2, V6: a duplicate is found by a plain re-run too, and what is in use is kept: the VPC holding subnets, the attached gateway', async () => {
      const config = testConfig({}, 'dup-in-use');
      const state: State = { config };
      state.vpc = await run('CreateVpc', state);
      state.subnets = await run('CreateSubnets', state);
      state.internetGateway = await run('CreateInternetGateway', state);
      // Made as a lost create would have made them: same tags, no answer. Their IDs may sort either way.
      const client = ec2();
      const extraVpc = (await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: tagSpecification(config, 'vpc', 'vpc') }))).Vpc!.VpcId!;
      const extraIgw = (await client.send(new CreateInternetGatewayCommand({ TagSpecifications: tagSpecification(config, 'internet-gateway', 'internet-gateway') }))).InternetGateway!.InternetGatewayId!;

      expect(await run('CreateVpc', state)).toEqual(state.vpc);
      expect(await run('CreateInternetGateway', state)).toEqual(state.internetGateway);
      expect(await countsOf('dup-in-use')).toMatchObject({ vpcs: 1, internetGateways: 1 });
      await expect(client.send(new DescribeVpcsCommand({ VpcIds: [extraVpc] }))).rejects.toMatchObject({ name: 'InvalidVpcID.NotFound' });
      await expect(client.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [extraIgw] }))).rejects.toMatchObject({ name: 'InvalidInternetGatewayID.NotFound' });
    });

    it('V2, V6: never deletes a look-alike without our provisioning-ID tag, and keeps the duplicate that is in use whatever its ID', async () => {
      const config = testConfig({}, 'dup-foreign');
      const client = ec2();
      // Someone else's VPC with our name and kind tags, but not our provisioning ID.
      const foreignTags = tagSpecification({ ...config, tags: { ...config.tags, [TAG_PROVISIONING_ID]: 'someone-else' } }, 'vpc', 'vpc');
      const foreignVpc = (await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: foreignTags }))).Vpc!.VpcId!;
      // Two of ours; one holds a subnet (it is in use).
      const ourVpcs = [];
      for (let i = 0; i < 2; i++) ourVpcs.push((await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16', TagSpecifications: tagSpecification(config, 'vpc', 'vpc') }))).Vpc!.VpcId!);
      const [busyVpc, idleVpc] = [...ourVpcs].sort().reverse(); // the one in use has the higher ID
      await client.send(new CreateSubnetCommand({ VpcId: busyVpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-west-2a' }));

      const state: State = { config };
      expect(await run('CreateVpc', state)).toEqual({ vpcId: busyVpc, cidr: '10.0.0.0/16' });
      await expect(client.send(new DescribeVpcsCommand({ VpcIds: [idleVpc] }))).rejects.toMatchObject({ name: 'InvalidVpcID.NotFound' });
      await expect(client.send(new DescribeVpcsCommand({ VpcIds: [foreignVpc] }))).resolves.toMatchObject({ Vpcs: [expect.anything()] });

      // Two gateways of ours; the one attached to our VPC is kept, whatever its ID.
      const igws = [];
      for (let i = 0; i < 2; i++) igws.push((await client.send(new CreateInternetGatewayCommand({ TagSpecifications: tagSpecification(config, 'internet-gateway', 'internet-gateway') }))).InternetGateway!.InternetGatewayId!);
      const [attachedIgw, idleIgw] = [...igws].sort().reverse();
      await client.send(new AttachInternetGatewayCommand({ InternetGatewayId: attachedIgw, VpcId: busyVpc }));
      expect(await run('CreateInternetGateway', { config, vpc: { vpcId: busyVpc } })).toEqual({ internetGatewayId: attachedIgw });
      await expect(client.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [idleIgw] }))).rejects.toMatchObject({ name: 'InvalidInternetGatewayID.NotFound' });
      expect(await countsOf('dup-foreign')).toMatchObject({ vpcs: 1, internetGateways: 1 });
    });
  });

  // Each test uses its own provisioning ID, so they need no moto reset (which takes seconds).
  describe('re-runs converge on the plan', () => {
    it('CreateSubnets after a private subnet was deleted makes that one again and keeps the others', async () => {
      const config = testConfig({}, 'net-subnet-gone');
      const state: State = { config };
      state.vpc = await run('CreateVpc', state);
      const before = await run<NonNullable<State['subnets']>>('CreateSubnets', state);
      await ec2().send(new DeleteSubnetCommand({ SubnetId: before.privateSubnets[2].subnetId }));

      const after = await run<NonNullable<State['subnets']>>('CreateSubnets', state);
      expect(after.publicSubnetId).toBe(before.publicSubnetId);
      expect(after.privateSubnets.slice(0, 2)).toEqual(before.privateSubnets.slice(0, 2));
      expect(after.privateSubnets[2].subnetId).not.toBe(before.privateSubnets[2].subnetId);
      const subnets = (await ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [state.vpc!.vpcId] }] }))).Subnets!;
      expect(subnets).toHaveLength(4);
    });

    it('CreateSecurityGroup re-run keeps a rule someone added by hand (V7: never remove what others added)', async () => {
      const config = testConfig({}, 'net-sg-drift');
      const state: State = { config };
      state.vpc = await run('CreateVpc', state);
      const { securityGroupId } = await run<{ securityGroupId: string }>('CreateSecurityGroup', state);
      const rulesNow = async () => (await ec2().send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [securityGroupId] }] }))).SecurityGroupRules!;
      const before = (await rulesNow()).length;
      await ec2().send(
        new AuthorizeSecurityGroupIngressCommand({ GroupId: securityGroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
      );
      expect(await run('CreateSecurityGroup', state)).toEqual({ securityGroupId });
      const rules = await rulesNow();
      expect(rules).toHaveLength(before + 1);
      expect(rules.some((r) => !r.IsEgress && r.IpProtocol === 'tcp' && r.FromPort === 22 && r.CidrIpv4 === '0.0.0.0/0')).toBe(true);
    });

    it('CreateNatGateway of another provisioning makes its own gateway and address, never adopting ours (moto ignores tag filters here)', async () => {
      const other = await buildNetwork(testConfig({}, 'net-nat-other'), 'CreateNatGateway');
      const twice = await buildNetwork(testConfig({}, 'net-nat-other-2'), 'CreateNatGateway');
      expect(twice.natGateway!.natGatewayId).not.toBe(other.natGateway!.natGatewayId);
      expect(twice.natGateway!.allocationId).not.toBe(other.natGateway!.allocationId);
      expect(await countsOf('net-nat-other-2')).toMatchObject({ natGateways: 1, elasticIps: 1 });
    });

    it('CreatePrivateDns adopts the zone an earlier attempt created but never tagged (found by its CallerReference), and tags it', async () => {
      const config = testConfig(fullOptions, 'net-zone-lost');
      const state: State = { config };
      for (const step of BUILD_ORDER.slice(0, BUILD_ORDER.indexOf('CheckVpcEndpoint') + 1)) Object.assign(state, { [RESULT_PATH[step]!]: await run(step, state) });
      // The earlier attempt: CreateHostedZone succeeded, then the step died before tagging and before answering.
      const orphan = await route53().send(
        new CreateHostedZoneCommand({
          Name: 'byoc.zillizcloud.com',
          CallerReference: `${callerReferencePrefix('net-zone-lost')}-${state.vpc!.vpcId}`,
          VPC: { VPCId: state.vpc!.vpcId, VPCRegion: 'us-west-2' },
          HostedZoneConfig: { PrivateZone: true },
        }),
      );
      const { hostedZoneId } = await run<{ hostedZoneId: string }>('CreatePrivateDns', state);
      expect(hostedZoneId).toBe(bareId(orphan.HostedZone!.Id!));
      expect((await countsOf('net-zone-lost')).hostedZones).toBe(1);
      const tags = (await route53().send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: hostedZoneId }))).ResourceTagSet?.Tags;
      expect(tags).toContainEqual({ Key: TAG_PROVISIONING_ID, Value: 'net-zone-lost' });
    });

    it('CreatePrivateDns never adopts a zone of the same name that is not ours', async () => {
      const config = testConfig(fullOptions, 'net-zone-foreign');
      const state: State = { config };
      for (const step of BUILD_ORDER.slice(0, BUILD_ORDER.indexOf('CheckVpcEndpoint') + 1)) Object.assign(state, { [RESULT_PATH[step]!]: await run(step, state) });
      const foreign = await route53().send(
        new CreateHostedZoneCommand({ Name: 'byoc.zillizcloud.com', CallerReference: 'someone-else', VPC: { VPCId: state.vpc!.vpcId, VPCRegion: 'us-west-2' }, HostedZoneConfig: { PrivateZone: true } }),
      );
      await route53().send(
        new ChangeTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: bareId(foreign.HostedZone!.Id!), AddTags: [{ Key: TAG_PROVISIONING_ID, Value: 'another-provisioning' }] }),
      );
      const { hostedZoneId } = await run<{ hostedZoneId: string }>('CreatePrivateDns', state);
      expect(hostedZoneId).not.toBe(bareId(foreign.HostedZone!.Id!));
    });
  });
});
