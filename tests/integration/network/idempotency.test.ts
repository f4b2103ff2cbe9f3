import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSubnetsCommand,
  DeleteSubnetCommand,
} from '@aws-sdk/client-ec2';
import { ChangeTagsForResourceCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-route-53';
import { TAG_PROVISIONING_ID } from '../../../shared/constants';
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
