import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteRouteCommand,
  DeleteTagsCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  ModifyVpcEndpointCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { GetHostedZoneCommand, ListResourceRecordSetsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-route-53';
import { TAG_PROVISIONING_ID, TAG_VENDOR_KEY, TAG_VENDOR_VALUE } from '../../../shared/constants';
import { networkOutputs } from '../../../shared/network/outputs';
import { checkExistingVpc, verifyNetwork } from '../../../shared/network/verify';
import type { NetworkState } from '../../../shared/network/types';
import { describeFailures } from '../../../shared/requirements';
import { testConfig } from '../../helpers/config';
import { useMoto } from '../../helpers/moto';
import { buildNetwork, ec2, route53, type State } from './network-helpers';

const tags = (list: { Key?: string; Value?: string }[] | undefined) => Object.fromEntries((list ?? []).map((t) => [t.Key, t.Value]));

describe('a full network build, done by the step handlers in dependency order, read back from moto requirement by requirement', () => {
  useMoto();
  const config = testConfig(
    {
      network: {
        vpcCidr: '10.20.0.0/16',
        securityGroup: { ingressCidrs: ['10.0.0.0/8', '192.168.1.0/24'], egressCidrs: ['0.0.0.0/0'] },
        vpcEndpoint: { enabled: true },
        privateDns: { enabled: true },
      },
      tags: { team: 'vector-db' },
    },
    'net-full',
  );
  let state: State & Required<Pick<NetworkState, 'vpc' | 'subnets' | 'internetGateway' | 'natGateway' | 'routeTables' | 'securityGroup' | 'vpcEndpoint' | 'privateDns'>> & {
    s3GatewayEndpoint: { vpcEndpointId: string };
  };

  beforeAll(async () => {
    state = (await buildNetwork(config)) as typeof state;
  });

  it('reports each waiting step ready: the NAT gateway and the endpoint available, the DNS change INSYNC', () => {
    expect(state.natGatewayStatus).toMatchObject({ state: 'available', ready: true });
    expect(state.vpcEndpointStatus).toMatchObject({ state: 'available', ready: true, dnsName: expect.any(String), hostedZoneId: expect.any(String) });
    expect(state.privateDnsStatus).toMatchObject({ status: 'INSYNC', ready: true });
  });

  it('V2: the VPC has the requested IPv4 /16 and no IPv6 block', async () => {
    const [vpc] = (await ec2().send(new DescribeVpcsCommand({ VpcIds: [state.vpc.vpcId] }))).Vpcs!;
    expect(vpc.CidrBlock).toBe('10.20.0.0/16');
    expect(vpc.Ipv6CidrBlockAssociationSet ?? []).toHaveLength(0);
  });

  it('V3: one public /24 in the first zone and three private /18s, one per zone, none giving public IPs', async () => {
    const subnets = (await ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [state.vpc.vpcId] }] }))).Subnets!;
    const layout = subnets.map((s) => [s.SubnetId, s.CidrBlock, s.AvailabilityZone]).sort((a, b) => String(a[1]).localeCompare(String(b[1]), 'en', { numeric: true }));
    expect(layout).toEqual([
      [state.subnets.publicSubnetId, '10.20.0.0/24', 'us-west-2a'],
      [state.subnets.privateSubnets[0].subnetId, '10.20.64.0/18', 'us-west-2a'],
      [state.subnets.privateSubnets[1].subnetId, '10.20.128.0/18', 'us-west-2b'],
      [state.subnets.privateSubnets[2].subnetId, '10.20.192.0/18', 'us-west-2c'],
    ]);
    expect(subnets.every((s) => s.MapPublicIpOnLaunch === false)).toBe(true);
  });

  it('V4: every private subnet, and only those, carries kubernetes.io/role/internal-elb=1', async () => {
    const subnets = (await ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [state.vpc.vpcId] }] }))).Subnets!;
    const tagged = subnets.filter((s) => tags(s.Tags)['kubernetes.io/role/internal-elb'] === '1').map((s) => s.SubnetId).sort();
    expect(tagged).toEqual(state.subnets.privateSubnets.map((s) => s.subnetId).sort());
  });

  it('V5: DNS resolution and DNS hostnames are on', async () => {
    const support = await ec2().send(new DescribeVpcAttributeCommand({ VpcId: state.vpc.vpcId, Attribute: 'enableDnsSupport' }));
    const hostnames = await ec2().send(new DescribeVpcAttributeCommand({ VpcId: state.vpc.vpcId, Attribute: 'enableDnsHostnames' }));
    expect([support.EnableDnsSupport?.Value, hostnames.EnableDnsHostnames?.Value]).toEqual([true, true]);
  });

  it('V6: one NAT gateway with an Elastic IP in the public subnet; public routes to the IGW, the three private subnets to the NAT gateway', async () => {
    const nats = (await ec2().send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'vpc-id', Values: [state.vpc.vpcId] }] }))).NatGateways!;
    expect(nats.map((n) => [n.NatGatewayId, n.SubnetId, n.State])).toEqual([[state.natGateway.natGatewayId, state.subnets.publicSubnetId, 'available']]);
    expect(nats[0].NatGatewayAddresses?.[0]?.AllocationId).toBe(state.natGateway.allocationId);
    const [eip] = (await ec2().send(new DescribeAddressesCommand({ AllocationIds: [state.natGateway.allocationId] }))).Addresses!;
    expect(eip.PublicIp).toBeTruthy();

    const [igw] = (await ec2().send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [state.internetGateway.internetGatewayId] }))).InternetGateways!;
    expect(igw.Attachments?.map((a) => a.VpcId)).toEqual([state.vpc.vpcId]);

    const tables = (await ec2().send(new DescribeRouteTablesCommand({ RouteTableIds: [state.routeTables.publicRouteTableId, state.routeTables.privateRouteTableId] }))).RouteTables!;
    const table = (id: string) => tables.find((t) => t.RouteTableId === id)!;
    const defaultRoute = (id: string) => table(id).Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    const associated = (id: string) => (table(id).Associations ?? []).map((a) => a.SubnetId).sort();
    expect(defaultRoute(state.routeTables.publicRouteTableId)?.GatewayId).toBe(state.internetGateway.internetGatewayId);
    expect(associated(state.routeTables.publicRouteTableId)).toEqual([state.subnets.publicSubnetId]);
    expect(defaultRoute(state.routeTables.privateRouteTableId)?.NatGatewayId).toBe(state.natGateway.natGatewayId);
    expect(associated(state.routeTables.privateRouteTableId)).toEqual(state.subnets.privateSubnets.map((s) => s.subnetId).sort());
  });

  it('V7: the security group allows HTTPS in from and out to the given CIDRs, and all traffic within the VPC; EC2\'s default allow-all egress is gone', async () => {
    const groupId = state.securityGroup.securityGroupId;
    const rules = (await ec2().send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }))).SecurityGroupRules!;
    const peer = (r: (typeof rules)[number]) => r.CidrIpv4 ?? (r.ReferencedGroupInfo?.GroupId === groupId ? 'self' : r.ReferencedGroupInfo?.GroupId);
    const shape = rules.map((r) => `${r.IsEgress ? 'out' : 'in'} ${r.IpProtocol === '-1' ? 'all' : `${r.IpProtocol} ${r.FromPort}-${r.ToPort}`} ${peer(r)}`).sort();
    expect(shape).toEqual([
      'in all 10.20.0.0/16',
      'in all self',
      'in tcp 443-443 10.0.0.0/8',
      'in tcp 443-443 192.168.1.0/24',
      'out all 10.20.0.0/16',
      'out all self',
      'out tcp 443-443 0.0.0.0/0',
    ]);
  });

  it('V8: every resource carries Vendor=zilliz-byoc, a Name from the project name, the provisioning ID and the caller\'s tags', async () => {
    const [vpcs, subnets, igws, nats, eips, tables, groups, endpoints] = await Promise.all([
      ec2().send(new DescribeVpcsCommand({ VpcIds: [state.vpc.vpcId] })),
      ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [state.vpc.vpcId] }] })),
      ec2().send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [state.internetGateway.internetGatewayId] })),
      ec2().send(new DescribeNatGatewaysCommand({ NatGatewayIds: [state.natGateway.natGatewayId] })),
      ec2().send(new DescribeAddressesCommand({ AllocationIds: [state.natGateway.allocationId] })),
      ec2().send(new DescribeRouteTablesCommand({ RouteTableIds: [state.routeTables.publicRouteTableId, state.routeTables.privateRouteTableId] })),
      ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: [state.securityGroup.securityGroupId] })),
      ec2().send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [state.vpcEndpoint.vpcEndpointId, state.s3GatewayEndpoint.vpcEndpointId] })),
    ]);
    const rules = (await ec2().send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [state.securityGroup.securityGroupId] }] }))).SecurityGroupRules!;
    const zoneTags = (await route53().send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: state.privateDns.hostedZoneId }))).ResourceTagSet?.Tags;
    const everything: [string, Tag[] | undefined][] = [
      ...vpcs.Vpcs!.map((v) => [v.VpcId!, v.Tags] as [string, Tag[] | undefined]),
      ...subnets.Subnets!.map((s) => [s.SubnetId!, s.Tags] as [string, Tag[] | undefined]),
      ...igws.InternetGateways!.map((g) => [g.InternetGatewayId!, g.Tags] as [string, Tag[] | undefined]),
      ...nats.NatGateways!.map((n) => [n.NatGatewayId!, n.Tags] as [string, Tag[] | undefined]),
      ...eips.Addresses!.map((a) => [a.AllocationId!, a.Tags] as [string, Tag[] | undefined]),
      ...tables.RouteTables!.map((t) => [t.RouteTableId!, t.Tags] as [string, Tag[] | undefined]),
      ...groups.SecurityGroups!.map((g) => [g.GroupId!, g.Tags] as [string, Tag[] | undefined]),
      ...endpoints.VpcEndpoints!.map((e) => [e.VpcEndpointId!, e.Tags] as [string, Tag[] | undefined]),
      ...rules.map((r) => [r.SecurityGroupRuleId!, r.Tags] as [string, Tag[] | undefined]),
      [state.privateDns.hostedZoneId, zoneTags],
    ];
    expect(everything).toHaveLength(1 + 4 + 1 + 1 + 1 + 2 + 1 + 2 + 7 + 1);
    for (const [id, list] of everything) {
      expect([id, tags(list)]).toEqual([
        id,
        expect.objectContaining({ [TAG_VENDOR_KEY]: TAG_VENDOR_VALUE, [TAG_PROVISIONING_ID]: 'net-full', Name: expect.stringMatching(/^demo-/), team: 'vector-db' }),
      ]);
    }
  });

  it('V9: an interface endpoint to the region\'s Zilliz service, private DNS on, in the three private subnets, with the V7 group', async () => {
    const [endpoint] = (await ec2().send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [state.vpcEndpoint.vpcEndpointId] }))).VpcEndpoints!;
    expect(endpoint).toMatchObject({
      VpcEndpointType: 'Interface',
      VpcId: state.vpc.vpcId,
      ServiceName: 'com.amazonaws.vpce.us-west-2.vpce-svc-0654fb016640c364a',
      PrivateDnsEnabled: true,
    });
    expect([...endpoint.SubnetIds!].sort()).toEqual(state.subnets.privateSubnets.map((s) => s.subnetId).sort());
    expect(endpoint.Groups?.map((g) => g.GroupId)).toEqual([state.securityGroup.securityGroupId]);
  });

  it('V10: a private zone byoc.zillizcloud.com associated with the VPC holds zilliz-byoc-us as an alias of the endpoint\'s first DNS name', async () => {
    const zone = await route53().send(new GetHostedZoneCommand({ Id: state.privateDns.hostedZoneId }));
    expect(zone.HostedZone).toMatchObject({ Name: 'byoc.zillizcloud.com.', Config: expect.objectContaining({ PrivateZone: true }) });
    expect(zone.VPCs).toEqual([{ VPCId: state.vpc.vpcId, VPCRegion: 'us-west-2' }]);
    const records = (await route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: state.privateDns.hostedZoneId }))).ResourceRecordSets!;
    const [endpoint] = (await ec2().send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [state.vpcEndpoint.vpcEndpointId] }))).VpcEndpoints!;
    const alias = records.find((r) => r.Name === 'zilliz-byoc-us.byoc.zillizcloud.com.');
    expect(alias).toMatchObject({ Type: 'A', AliasTarget: { DNSName: endpoint.DnsEntries![0].DnsName, HostedZoneId: endpoint.DnsEntries![0].HostedZoneId } });
    expect(state.privateDns.recordName).toBe('zilliz-byoc-us.byoc.zillizcloud.com');
  });

  it('V11: the outputs name the VPC, the private subnets with zone and CIDR, the security group and the endpoint', () => {
    expect(networkOutputs(state)).toEqual({
      vpcId: state.vpc.vpcId,
      publicSubnetId: state.subnets.publicSubnetId,
      privateSubnets: [
        { subnetId: state.subnets.privateSubnets[0].subnetId, availabilityZone: 'us-west-2a', cidr: '10.20.64.0/18' },
        { subnetId: state.subnets.privateSubnets[1].subnetId, availabilityZone: 'us-west-2b', cidr: '10.20.128.0/18' },
        { subnetId: state.subnets.privateSubnets[2].subnetId, availabilityZone: 'us-west-2c', cidr: '10.20.192.0/18' },
      ],
      securityGroupId: state.securityGroup.securityGroupId,
      natGatewayId: state.natGateway.natGatewayId,
      internetGatewayId: state.internetGateway.internetGatewayId,
      vpcEndpoint: { id: state.vpcEndpoint.vpcEndpointId, dnsName: expect.stringContaining(state.vpcEndpoint.vpcEndpointId) },
      hostedZoneId: state.privateDns.hostedZoneId,
    });
  });

  it('S1: a gateway endpoint to com.amazonaws.us-west-2.s3 in the VPC, on the private route table only', async () => {
    const [endpoint] = (await ec2().send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [state.s3GatewayEndpoint.vpcEndpointId] }))).VpcEndpoints!;
    expect(endpoint).toMatchObject({ VpcEndpointType: 'Gateway', VpcId: state.vpc.vpcId, ServiceName: 'com.amazonaws.us-west-2.s3', State: 'available' });
    expect(endpoint.RouteTableIds).toEqual([state.routeTables.privateRouteTableId]);
  });

  it('Verify passes V2-V10 and S1 (the gateway endpoint), one check per requirement, in order, each with its status and no fix', async () => {
    const checks = await verifyNetwork(config, state, { ec2: ec2(), route53: route53() });
    expect(describeFailures(checks)).toBe('');
    expect(checks.map((c) => [c.id, c.status, c.fix])).toEqual(['V2', 'V3', 'V4', 'V5', 'V6', 'V7', 'V8', 'V9', 'V10', 'S1'].map((id) => [id, 'pass', undefined]));
    expect(checks.find((c) => c.id === 'S1')?.detail).toContain(state.s3GatewayEndpoint.vpcEndpointId);
  });

  it('Verify reports S1 by number when the gateway endpoint is not on the private route table', async () => {
    const modify = (change: 'AddRouteTableIds' | 'RemoveRouteTableIds') =>
      ec2().send(new ModifyVpcEndpointCommand({ VpcEndpointId: state.s3GatewayEndpoint.vpcEndpointId, [change]: [state.routeTables.privateRouteTableId] }));
    await modify('RemoveRouteTableIds');
    try {
      const checks = await verifyNetwork(config, state, { ec2: ec2(), route53: route53() });
      const s1 = checks.find((c) => c.id === 'S1')!;
      expect(checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['S1']);
      expect(s1).toMatchObject({ status: 'fail', detail: expect.stringContaining(`not on the private route table ${state.routeTables.privateRouteTableId}`), fix: expect.any(String) });
    } finally {
      await modify('AddRouteTableIds');
    }
  });

  it('Verify reads AWS, not the state: it finds the VPC by tag when the state has lost every key', async () => {
    const checks = await verifyNetwork(config, { config } as State, { ec2: ec2(), route53: route53() });
    expect(describeFailures(checks)).toBe('');
  });

  it('V12: the same VPC, checked as an existing VPC, meets V2-V10', async () => {
    const checks = await checkExistingVpc(state.vpc.vpcId, { ec2: ec2(), route53: route53(), region: 'us-west-2' });
    expect(describeFailures(checks)).toBe('');
    expect(checks.find((c) => c.id === 'V9')?.detail).toContain(state.vpcEndpoint.vpcEndpointId);
  });

  it('Verify and the V12 check report V4 by number when a private subnet loses its internal-elb tag', async () => {
    const subnetId = state.subnets.privateSubnets[1].subnetId;
    await ec2().send(new DeleteTagsCommand({ Resources: [subnetId], Tags: [{ Key: 'kubernetes.io/role/internal-elb' }] }));
    try {
      const own = await verifyNetwork(config, state, { ec2: ec2(), route53: route53() });
      expect(own.filter((c) => !c.ok).map((c) => c.id)).toEqual(['V4']);
      expect(describeFailures(own)).toBe(`V4: ${subnetId} has no kubernetes.io/role/internal-elb=1 tag`);
      const existing = await checkExistingVpc(state.vpc.vpcId, { ec2: ec2(), route53: route53(), region: 'us-west-2' });
      expect(existing.filter((c) => !c.ok).map((c) => c.id)).toEqual(['V4']);
    } finally {
      await ec2().send(new CreateTagsCommand({ Resources: [subnetId], Tags: [{ Key: 'kubernetes.io/role/internal-elb', Value: '1' }] }));
    }
  });

  it('Verify (V7) notes, and does not fail on, a rule someone else added to the default group: it is theirs', async () => {
    const ssh = { GroupId: state.securityGroup.securityGroupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] };
    await ec2().send(new AuthorizeSecurityGroupIngressCommand(ssh));
    try {
      const checks = await verifyNetwork(config, state, { ec2: ec2(), route53: route53() });
      expect(describeFailures(checks)).toBe('');
      expect(checks.find((c) => c.id === 'V7')).toMatchObject({ status: 'pass', detail: expect.stringContaining('also has ingress tcp 22-22 from 0.0.0.0/0') });
    } finally {
      await ec2().send(new RevokeSecurityGroupIngressCommand(ssh));
    }
  });

  it('Verify reports V7 by number, with a fix, when one of our rules is gone', async () => {
    const [rule] = (await ec2().send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [state.securityGroup.securityGroupId] }] }))).SecurityGroupRules!.filter(
      (r) => r.IsEgress && r.IpProtocol === '-1' && r.CidrIpv4 === '10.20.0.0/16',
    );
    const permission = { GroupId: state.securityGroup.securityGroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.20.0.0/16' }] }] };
    await ec2().send(new RevokeSecurityGroupEgressCommand({ GroupId: state.securityGroup.securityGroupId, SecurityGroupRuleIds: [rule.SecurityGroupRuleId!] }));
    try {
      const checks = await verifyNetwork(config, state, { ec2: ec2(), route53: route53() });
      expect(checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['V7']);
      expect(checks.find((c) => c.id === 'V7')).toMatchObject({ detail: `${state.securityGroup.securityGroupId} lacks egress all traffic to 10.20.0.0/16`, fix: expect.stringContaining('CreateSecurityGroup') });
    } finally {
      await ec2().send(new AuthorizeSecurityGroupEgressCommand(permission));
    }
  });

  it('Verify reports V6 by number when the private route table loses its route to the NAT gateway', async () => {
    const route = { RouteTableId: state.routeTables.privateRouteTableId, DestinationCidrBlock: '0.0.0.0/0' };
    await ec2().send(new DeleteRouteCommand(route));
    try {
      const checks = await verifyNetwork(config, state, { ec2: ec2(), route53: route53() });
      expect(checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['V6']);
      expect(describeFailures(checks)).toContain(`private subnet ${state.subnets.privateSubnets[0].subnetId} sends 0.0.0.0/0 to nowhere, not to the NAT gateway`);
    } finally {
      await ec2().send(new CreateRouteCommand({ ...route, NatGatewayId: state.natGateway.natGatewayId }));
    }
  });

  it('V12: a bare VPC with one untagged subnet fails V3-V7 by number; V8 has no private subnet or group to require the tag on; the optional V9 and V10 pass', async () => {
    const vpc = (await ec2().send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc!;
    await ec2().send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.60.0.0/24', AvailabilityZone: 'us-west-2a' }));
    const checks = await checkExistingVpc(vpc.VpcId!, { ec2: ec2(), route53: route53(), region: 'us-west-2' });
    expect(checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['V3', 'V4', 'V5', 'V6', 'V7']);
    expect(describeFailures(checks)).toContain('V5: DNS hostnames (enableDnsHostnames) are off');
    expect(checks.filter((c) => !c.ok).every((c) => c.status === 'fail' && Boolean(c.fix))).toBe(true);
  });

  it('V12: a VPC that does not exist fails every requirement, saying so', async () => {
    const checks = await checkExistingVpc('vpc-0123456789abcdef0', { ec2: ec2(), route53: route53(), region: 'us-west-2' });
    expect(checks.every((c) => c.status === 'fail' && c.detail === 'VPC vpc-0123456789abcdef0 was not found' && c.fix?.includes('us-west-2'))).toBe(true);
    expect(checks).toHaveLength(9);
  });
});
