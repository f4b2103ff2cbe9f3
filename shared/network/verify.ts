import {
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
  type Address,
  type EC2Client,
  type InternetGateway,
  type NatGateway,
  type RouteTable,
  type SecurityGroup,
  type SecurityGroupRule,
  type Subnet,
  type Tag,
  type Vpc,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import {
  GetHostedZoneCommand,
  ListHostedZonesByVPCCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourceCommand,
  type HostedZone,
  type ResourceRecordSet,
  type Route53Client,
  type VPCRegion,
} from '@aws-sdk/client-route-53';
import type { ProvisioningConfig } from '../config';
import { TAG_PROVISIONING_ID, TAG_VENDOR_KEY, TAG_VENDOR_VALUE } from '../constants';
import { isNotFound, translateAwsError } from '../aws/translate-error';
import { PRIVATE_ZONE_NAME, regionInfo } from '../regions';
import type { RequirementCheck } from '../requirements';
import { tagValue } from '../tags';
import { cidrContains, cidrsOverlap, parseCidr } from './cidr';
import { findSecurityGroups, isHttpsRule, planRuleChanges } from './security-group';
import { INTERNAL_ELB_TAG } from './subnets';
import { ANYWHERE_IPV4 } from './route-tables';
import { firstDnsEntry } from './vpc-endpoint';
import { bareId, sameName } from './private-dns';
import { findVpcs } from './vpc';
import type { NetworkState } from './types';

/** Everything about one VPC that V2-V10 talk about, as AWS reports it now. */
export interface NetworkSnapshot {
  vpcId: string;
  /** Undefined when the VPC does not exist. */
  vpc?: Vpc;
  dnsSupport: boolean;
  dnsHostnames: boolean;
  subnets: Subnet[];
  routeTables: RouteTable[];
  /** Internet gateways attached to the VPC. */
  internetGateways: InternetGateway[];
  /** NAT gateways in the VPC that are not deleting or deleted. */
  natGateways: NatGateway[];
  /** The Elastic IPs of those NAT gateways. */
  addresses: Address[];
  securityGroups: SecurityGroup[];
  securityGroupRules: SecurityGroupRule[];
  /** VPC endpoints in the VPC that are not deleting or deleted. */
  vpcEndpoints: VpcEndpoint[];
  /** Hosted zones associated with the VPC, with their records and tags. */
  hostedZones: { zone: HostedZone; records: ResourceRecordSet[]; tags: Tag[] }[];
}

const gone = (state: string | undefined): boolean => ['deleting', 'deleted'].includes((state ?? '').toLowerCase());

/**
 * Read one VPC and everything in it that the requirements cover, straight from EC2 and Route 53.
 * @example const snapshot = await readNetwork('vpc-1', { ec2, route53, region: 'us-west-2' });
 */
export async function readNetwork(vpcId: string, deps: { ec2: EC2Client; route53: Route53Client; region: string }): Promise<NetworkSnapshot> {
  const { ec2, route53 } = deps;
  const empty: NetworkSnapshot = {
    vpcId,
    dnsSupport: false,
    dnsHostnames: false,
    subnets: [],
    routeTables: [],
    internetGateways: [],
    natGateways: [],
    addresses: [],
    securityGroups: [],
    securityGroupRules: [],
    vpcEndpoints: [],
    hostedZones: [],
  };
  try {
    let vpc: Vpc | undefined;
    try {
      vpc = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0];
    } catch (error) {
      if (!isNotFound(error, 'InvalidVpcID.NotFound')) throw error;
    }
    if (!vpc) return empty;
    const inVpc = [{ Name: 'vpc-id', Values: [vpcId] }];
    const [support, hostnames, subnets, routeTables, igws, nats, groups, endpoints, zones] = await Promise.all([
      ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsSupport' })),
      ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' })),
      ec2.send(new DescribeSubnetsCommand({ Filters: inVpc })),
      ec2.send(new DescribeRouteTablesCommand({ Filters: inVpc })),
      ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'attachment.vpc-id', Values: [vpcId] }] })),
      ec2.send(new DescribeNatGatewaysCommand({ Filter: inVpc })),
      ec2.send(new DescribeSecurityGroupsCommand({ Filters: inVpc })),
      ec2.send(new DescribeVpcEndpointsCommand({ Filters: inVpc })),
      route53.send(new ListHostedZonesByVPCCommand({ VPCId: vpcId, VPCRegion: deps.region as VPCRegion })),
    ]);
    const natGateways = (nats.NatGateways ?? []).filter((n) => !gone(n.State));
    const allocationIds = natGateways.flatMap((n) => (n.NatGatewayAddresses ?? []).map((a) => a.AllocationId!)).filter(Boolean);
    const groupIds = (groups.SecurityGroups ?? []).map((g) => g.GroupId!);
    const [addresses, rules] = await Promise.all([
      allocationIds.length ? ec2.send(new DescribeAddressesCommand({ AllocationIds: allocationIds })) : { Addresses: [] },
      groupIds.length ? ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: groupIds }] })) : { SecurityGroupRules: [] },
    ]);
    const hostedZones = await Promise.all(
      (zones.HostedZoneSummaries ?? []).map(async (summary) => {
        const id = bareId(summary.HostedZoneId!);
        const [zone, records, tags] = await Promise.all([
          route53.send(new GetHostedZoneCommand({ Id: id })),
          route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: id })),
          route53.send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: id })),
        ]);
        return { zone: zone.HostedZone!, records: records.ResourceRecordSets ?? [], tags: tags.ResourceTagSet?.Tags ?? [] };
      }),
    );
    return {
      vpcId,
      vpc,
      dnsSupport: Boolean(support.EnableDnsSupport?.Value),
      dnsHostnames: Boolean(hostnames.EnableDnsHostnames?.Value),
      subnets: subnets.Subnets ?? [],
      routeTables: routeTables.RouteTables ?? [],
      internetGateways: igws.InternetGateways ?? [],
      natGateways,
      addresses: addresses.Addresses ?? [],
      securityGroups: groups.SecurityGroups ?? [],
      securityGroupRules: rules.SecurityGroupRules ?? [],
      vpcEndpoints: (endpoints.VpcEndpoints ?? []).filter((e) => !gone(e.State)),
      hostedZones,
    };
  } catch (error) {
    throw translateAwsError(error, `read VPC ${vpcId} back for the requirement checks`);
  }
}

// ---- helpers on a snapshot ---------------------------------------------------------------------

/** The route table that governs a subnet: its explicit association, else the VPC's main table. */
function routeTableOf(snapshot: NetworkSnapshot, subnetId: string): RouteTable | undefined {
  const explicit = snapshot.routeTables.find((t) => (t.Associations ?? []).some((a) => a.SubnetId === subnetId && a.AssociationState?.State !== 'disassociated'));
  return explicit ?? snapshot.routeTables.find((t) => (t.Associations ?? []).some((a) => a.Main));
}

/** Where a subnet's 0.0.0.0/0 goes: an `igw-...`, a `nat-...`, something else, or nowhere. */
function defaultTarget(snapshot: NetworkSnapshot, subnetId: string): string | undefined {
  const route = routeTableOf(snapshot, subnetId)?.Routes?.find((r) => r.DestinationCidrBlock === ANYWHERE_IPV4 && r.State !== 'blackhole');
  return route ? (route.NatGatewayId ?? route.GatewayId ?? route.TransitGatewayId ?? route.NetworkInterfaceId ?? 'another target') : undefined;
}

const prefixOf = (cidr: string | undefined): number | undefined => (cidr ? parseCidr(cidr)?.prefix : undefined);
const check = (id: string, problems: string[], okDetail: string): RequirementCheck =>
  problems.length === 0 ? { id, ok: true, detail: okDetail } : { id, ok: false, detail: problems.join('; ') };
const noVpc = (vpcId: string): RequirementCheck[] =>
  ['V2', 'V3', 'V4', 'V5', 'V6', 'V7', 'V8', 'V9', 'V10'].map((id) => ({ id, ok: false, detail: `VPC ${vpcId} was not found` }));

/** Which subnets, group and endpoints play which part (ours: by plan; an existing VPC: by routing). */
interface Roles {
  publicSubnets: Subnet[];
  privateSubnets: Subnet[];
  securityGroup?: SecurityGroup;
  endpoints: VpcEndpoint[];
}

/** What a check expects beyond the requirement itself. */
interface Expectations {
  /** Our own build: the plan the config fixed. Absent for an existing VPC. */
  own?: { config: ProvisioningConfig };
  /** V9's service name, and whether an endpoint must exist (false: optional, checked only if present). */
  endpoint?: { serviceName: string; required: boolean };
  /** V10's zone and record, and whether they must exist. */
  privateDns?: { zoneName: string; recordName: string; required: boolean };
}

const rulesOf = (snapshot: NetworkSnapshot, groupId: string | undefined) => snapshot.securityGroupRules.filter((r) => r.GroupId === groupId);
const describeRule = (r: SecurityGroupRule) =>
  `${r.IsEgress ? 'egress' : 'ingress'} ${r.IpProtocol === '-1' ? 'all traffic' : `${r.IpProtocol} ${r.FromPort}-${r.ToPort}`} ${r.IsEgress ? 'to' : 'from'} ${r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId ?? r.ReferencedGroupInfo?.GroupId ?? '?'}`;

/** V7's shape, for a group whose CIDRs we do not know: only TCP 443 over IPv4, at least one rule each way. */
function httpsOnly(snapshot: NetworkSnapshot, group: SecurityGroup): boolean {
  const rules = rulesOf(snapshot, group.GroupId);
  return rules.length > 0 && rules.every(isHttpsRule) && rules.some((r) => !r.IsEgress) && rules.some((r) => r.IsEgress);
}

// ---- the checks, one per requirement -------------------------------------------------------------

function checkV2(snapshot: NetworkSnapshot, expect: Expectations): RequirementCheck {
  const vpc = snapshot.vpc!;
  const problems: string[] = [];
  if (prefixOf(vpc.CidrBlock) !== 16) problems.push(`VPC CIDR ${vpc.CidrBlock} is not a /16`);
  const wanted = expect.own?.config.network.vpcCidr;
  if (wanted && vpc.CidrBlock !== wanted) problems.push(`VPC CIDR is ${vpc.CidrBlock}, the plan says ${wanted}`);
  const ipv6 = (vpc.Ipv6CidrBlockAssociationSet ?? []).filter((a) => a.Ipv6CidrBlockState?.State === 'associated' || a.Ipv6CidrBlockState?.State === 'associating');
  if (ipv6.length > 0) problems.push(`VPC has IPv6 CIDR ${ipv6.map((a) => a.Ipv6CidrBlock).join(', ')} (IPv4 only)`);
  return check('V2', problems, `VPC ${snapshot.vpcId} uses ${vpc.CidrBlock}, IPv4 only`);
}

function checkV3(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck {
  const problems: string[] = [];
  const vpcCidr = snapshot.vpc!.CidrBlock!;
  const config = expect.own?.config;
  if (config) {
    const { publicSubnet, privateSubnets } = config.network;
    const pub = roles.publicSubnets[0];
    if (!pub) problems.push(`no public subnet ${publicSubnet.cidr}`);
    else if (pub.AvailabilityZone !== publicSubnet.availabilityZone) problems.push(`public subnet ${pub.SubnetId} is in ${pub.AvailabilityZone}, not ${publicSubnet.availabilityZone}`);
    privateSubnets.forEach((plan, i) => {
      const found = roles.privateSubnets[i];
      if (!found) problems.push(`no private subnet ${plan.cidr}`);
      else if (found.AvailabilityZone !== plan.availabilityZone) problems.push(`private subnet ${found.SubnetId} is in ${found.AvailabilityZone}, not ${plan.availabilityZone}`);
    });
  }
  const publics = roles.publicSubnets.filter((s) => prefixOf(s.CidrBlock) === 24);
  if (publics.length === 0) {
    problems.push(
      roles.publicSubnets.length > 0
        ? `no public /24 subnet (public: ${roles.publicSubnets.map((s) => `${s.SubnetId} ${s.CidrBlock}`).join(', ')})`
        : 'no public subnet (a subnet whose 0.0.0.0/0 route goes to an internet gateway)',
    );
  }
  const privates = roles.privateSubnets.filter((s) => prefixOf(s.CidrBlock) === 18);
  const zones = new Set(privates.map((s) => s.AvailabilityZone));
  if (privates.length < 3 || zones.size < 3) {
    problems.push(
      `needs 3 private /18 subnets in 3 different zones; found ${privates.length} in ${zones.size} zone(s)` +
        (roles.privateSubnets.length > privates.length ? ` (other private subnets: ${roles.privateSubnets.filter((s) => !privates.includes(s)).map((s) => `${s.SubnetId} ${s.CidrBlock}`).join(', ')})` : ''),
    );
  }
  const planned = [...roles.publicSubnets, ...roles.privateSubnets];
  for (const s of planned) if (!cidrContains(vpcCidr, s.CidrBlock ?? '')) problems.push(`subnet ${s.SubnetId} ${s.CidrBlock} is outside ${vpcCidr}`);
  planned.forEach((a, i) =>
    planned.slice(i + 1).forEach((b) => {
      if (a.SubnetId !== b.SubnetId && cidrsOverlap(a.CidrBlock ?? '', b.CidrBlock ?? '')) problems.push(`subnets ${a.SubnetId} and ${b.SubnetId} overlap`);
    }),
  );
  return check(
    'V3',
    problems,
    `public ${publics.map((s) => `${s.SubnetId} ${s.CidrBlock}`).join(', ')}; private ${privates.map((s) => `${s.SubnetId} ${s.CidrBlock} ${s.AvailabilityZone}`).join(', ')}`,
  );
}

function checkV4(roles: Roles): RequirementCheck {
  const untagged = roles.privateSubnets.filter((s) => tagValue(s.Tags, INTERNAL_ELB_TAG.Key) !== INTERNAL_ELB_TAG.Value);
  const problems = untagged.map((s) => `${s.SubnetId} has no ${INTERNAL_ELB_TAG.Key}=${INTERNAL_ELB_TAG.Value} tag`);
  if (roles.privateSubnets.length === 0) problems.push('no private subnet to check');
  return check('V4', problems, `all ${roles.privateSubnets.length} private subnets carry ${INTERNAL_ELB_TAG.Key}=${INTERNAL_ELB_TAG.Value}`);
}

function checkV5(snapshot: NetworkSnapshot): RequirementCheck {
  const problems: string[] = [];
  if (!snapshot.dnsSupport) problems.push('DNS resolution (enableDnsSupport) is off');
  if (!snapshot.dnsHostnames) problems.push('DNS hostnames (enableDnsHostnames) are off');
  return check('V5', problems, 'DNS resolution and DNS hostnames are on');
}

function checkV6(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck {
  const problems: string[] = [];
  const own = Boolean(expect.own);
  const igws = snapshot.internetGateways.filter((g) => (g.Attachments ?? []).some((a) => a.VpcId === snapshot.vpcId && ['available', 'attached'].includes(String(a.State))));
  if (igws.length === 0) problems.push('no internet gateway is attached');
  const publicIds = new Set(roles.publicSubnets.map((s) => s.SubnetId));
  const nats = snapshot.natGateways;
  // Ours: exactly one, as the guide says. An existing VPC may have one per zone; that still meets the need.
  if (own ? nats.length !== 1 : nats.length === 0) problems.push(`${nats.length} NAT gateways in the VPC (${own ? 'exactly one' : 'at least one'} wanted)`);
  for (const nat of nats) {
    if (nat.State !== 'available') problems.push(`NAT gateway ${nat.NatGatewayId} is ${nat.State}`);
    if (!publicIds.has(nat.SubnetId)) problems.push(`NAT gateway ${nat.NatGatewayId} is in ${nat.SubnetId}, not in a public subnet`);
    if (nat.ConnectivityType === 'private') problems.push(`NAT gateway ${nat.NatGatewayId} is private`);
    const allocations = (nat.NatGatewayAddresses ?? []).map((a) => a.AllocationId).filter(Boolean);
    if (!allocations.some((id) => snapshot.addresses.some((a) => a.AllocationId === id))) problems.push(`NAT gateway ${nat.NatGatewayId} has no Elastic IP`);
  }
  const igwIds = new Set(igws.map((g) => g.InternetGatewayId));
  const natIds = new Set(nats.map((n) => n.NatGatewayId));
  for (const s of roles.publicSubnets) {
    const target = defaultTarget(snapshot, s.SubnetId!);
    if (!igwIds.has(target)) problems.push(`public subnet ${s.SubnetId} sends 0.0.0.0/0 to ${target ?? 'nowhere'}, not to the internet gateway`);
  }
  for (const s of roles.privateSubnets) {
    const target = defaultTarget(snapshot, s.SubnetId!);
    if (!natIds.has(target)) problems.push(`private subnet ${s.SubnetId} sends 0.0.0.0/0 to ${target ?? 'nowhere'}, not to the NAT gateway`);
    if (s.MapPublicIpOnLaunch) problems.push(`private subnet ${s.SubnetId} gives public IPs on launch`);
  }
  return check('V6', problems, `NAT gateway ${[...natIds].join(', ')} in a public subnet, internet gateway ${[...igwIds].join(', ')}, private subnets route to the NAT gateway`);
}

function checkV7(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck {
  const group = roles.securityGroup;
  const config = expect.own?.config;
  if (!group) {
    const loose = snapshot.securityGroups.map((g) => `${g.GroupId}: ${rulesOf(snapshot, g.GroupId).map(describeRule).join(', ') || 'no rules'}`);
    return {
      id: 'V7',
      ok: false,
      detail: config
        ? 'the provisioning has no security group in the VPC'
        : `no security group allows only HTTPS (TCP 443) in and out (${loose.join('; ') || 'no groups'})`,
    };
  }
  const problems: string[] = [];
  if (config) {
    const { revoke, authorize } = planRuleChanges(rulesOf(snapshot, group.GroupId), config.network.securityGroup);
    for (const r of revoke) problems.push(`${group.GroupId} has an extra rule: ${describeRule(r)}`);
    for (const r of authorize) problems.push(`${group.GroupId} lacks ${r.egress ? 'egress' : 'ingress'} tcp 443 ${r.egress ? 'to' : 'from'} ${r.cidr}`);
  }
  return check('V7', problems, `${group.GroupId} allows only ${rulesOf(snapshot, group.GroupId).map(describeRule).join(', ')}`);
}

function checkV8(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck {
  const provisioningId = expect.own?.config.provisioningId;
  const tagged: { id: string; tags: { Key?: string; Value?: string }[] | undefined }[] = [
    { id: snapshot.vpcId, tags: snapshot.vpc!.Tags },
    ...[...roles.publicSubnets, ...roles.privateSubnets].map((s) => ({ id: s.SubnetId!, tags: s.Tags })),
    ...snapshot.internetGateways.map((g) => ({ id: g.InternetGatewayId!, tags: g.Tags })),
    ...snapshot.natGateways.map((n) => ({ id: n.NatGatewayId!, tags: n.Tags })),
    ...snapshot.addresses.map((a) => ({ id: a.AllocationId!, tags: a.Tags })),
    ...(roles.securityGroup ? [{ id: roles.securityGroup.GroupId!, tags: roles.securityGroup.Tags }] : []),
    ...roles.endpoints.map((e) => ({ id: e.VpcEndpointId!, tags: e.Tags })),
  ];
  if (expect.own) {
    // Our own route tables (not the VPC's main one) and hosted zone must carry the tags too.
    const subnetTables = [...roles.publicSubnets, ...roles.privateSubnets].map((s) => routeTableOf(snapshot, s.SubnetId!)).filter((t): t is RouteTable => Boolean(t));
    for (const t of new Set(subnetTables)) if (!(t.Associations ?? []).some((a) => a.Main)) tagged.push({ id: t.RouteTableId!, tags: t.Tags });
    for (const z of snapshot.hostedZones) if (sameName(z.zone.Name, expect.privateDns?.zoneName)) tagged.push({ id: bareId(z.zone.Id!), tags: z.tags });
  }
  const problems: string[] = [];
  for (const { id, tags } of tagged) {
    const missing: string[] = [];
    if (tagValue(tags as Tag[], TAG_VENDOR_KEY) !== TAG_VENDOR_VALUE) missing.push(`${TAG_VENDOR_KEY}=${TAG_VENDOR_VALUE}`);
    if (!tagValue(tags as Tag[], 'Name')) missing.push('Name');
    if (provisioningId && tagValue(tags as Tag[], TAG_PROVISIONING_ID) !== provisioningId) missing.push(`${TAG_PROVISIONING_ID}=${provisioningId}`);
    if (missing.length > 0) problems.push(`${id} lacks ${missing.join(', ')}`);
  }
  return check('V8', problems, `${tagged.length} resources carry ${TAG_VENDOR_KEY}=${TAG_VENDOR_VALUE} and a Name`);
}

function checkV9(roles: Roles, expect: Expectations): RequirementCheck {
  const wanted = expect.endpoint;
  if (!wanted) return { id: 'V9', ok: true, detail: 'no VPC endpoint requested (optional)' };
  const endpoints = roles.endpoints;
  if (endpoints.length === 0) {
    return wanted.required
      ? { id: 'V9', ok: false, detail: `no interface endpoint to ${wanted.serviceName} in the VPC` }
      : { id: 'V9', ok: true, detail: `no endpoint to ${wanted.serviceName} (optional)` };
  }
  const problems: string[] = [];
  if (expect.own && endpoints.length > 1) problems.push(`${endpoints.length} endpoints to ${wanted.serviceName} (one wanted)`);
  const privateIds = roles.privateSubnets.map((s) => s.SubnetId!).sort();
  for (const e of endpoints) {
    const id = e.VpcEndpointId;
    if (e.VpcEndpointType !== 'Interface') problems.push(`${id} is a ${e.VpcEndpointType} endpoint, not Interface`);
    if ((e.State ?? '').toLowerCase() !== 'available') problems.push(`${id} is ${e.State}`);
    if (!e.PrivateDnsEnabled) problems.push(`${id} has private DNS names off`);
    const subnets = [...(e.SubnetIds ?? [])].sort();
    if (subnets.join() !== privateIds.join()) problems.push(`${id} is in subnets ${subnets.join(', ') || 'none'}, not the private subnets ${privateIds.join(', ')}`);
    if (!roles.securityGroup || !(e.Groups ?? []).some((g) => g.GroupId === roles.securityGroup?.GroupId)) {
      problems.push(`${id} does not use the V7 security group${roles.securityGroup ? ` ${roles.securityGroup.GroupId}` : ''}`);
    }
  }
  return check('V9', problems, `${endpoints.map((e) => e.VpcEndpointId).join(', ')} to ${wanted.serviceName}, private DNS on, in the private subnets`);
}

function checkV10(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck {
  const wanted = expect.privateDns;
  if (!wanted) return { id: 'V10', ok: true, detail: 'no private DNS record requested (optional)' };
  const zones = snapshot.hostedZones.filter((z) => sameName(z.zone.Name, wanted.zoneName) && z.zone.Config?.PrivateZone);
  if (zones.length === 0) {
    return wanted.required
      ? { id: 'V10', ok: false, detail: `no private hosted zone ${wanted.zoneName} is associated with the VPC` }
      : { id: 'V10', ok: true, detail: `no private hosted zone ${wanted.zoneName} (optional)` };
  }
  const recordName = `${wanted.recordName}.${wanted.zoneName}`;
  const targets = roles.endpoints.map(firstDnsEntry).filter((t): t is NonNullable<typeof t> => Boolean(t));
  const problems: string[] = [];
  for (const { zone, records } of zones) {
    const zoneId = bareId(zone.Id!);
    const record = records.find((r) => sameName(r.Name, recordName) && r.Type === 'A');
    if (!record) problems.push(`zone ${zoneId} has no A record ${recordName}`);
    else if (!record.AliasTarget) problems.push(`${recordName} in ${zoneId} is not an alias record`);
    else if (!targets.some((t) => sameName(t.dnsName, record.AliasTarget!.DNSName) && t.hostedZoneId === record.AliasTarget!.HostedZoneId)) {
      problems.push(`${recordName} points at ${record.AliasTarget.DNSName}, not at the VPC endpoint's DNS name ${targets.map((t) => t.dnsName).join(', ') || '(no endpoint)'}`);
    }
  }
  return check('V10', problems, `${recordName} in private zone ${zones.map((z) => bareId(z.zone.Id!)).join(', ')} aliases the VPC endpoint`);
}

function runChecks(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck[] {
  if (!snapshot.vpc) return noVpc(snapshot.vpcId);
  return [
    checkV2(snapshot, expect),
    checkV3(snapshot, roles, expect),
    checkV4(roles),
    checkV5(snapshot),
    checkV6(snapshot, roles, expect),
    checkV7(snapshot, roles, expect),
    checkV8(snapshot, roles, expect),
    checkV9(roles, expect),
    checkV10(snapshot, roles, expect),
  ];
}

/**
 * Verify (V2-V10): read the provisioning's network back from AWS and check each requirement against the plan in
 * the config. The state only says which VPC and security group to look at (or they are found by tag); every
 * fact checked comes from EC2 and Route 53. One check per requirement, in order, each naming its number.
 *
 * @example const failed = (await verifyNetwork(config, state, { ec2, route53 })).filter((c) => !c.ok);
 */
export async function verifyNetwork(config: ProvisioningConfig, state: NetworkState, deps: { ec2: EC2Client; route53: Route53Client }): Promise<RequirementCheck[]> {
  const vpcId = state.vpc?.vpcId ?? (await findVpcs(deps.ec2, config.provisioningId))[0]?.VpcId;
  if (!vpcId) return noVpc(`of provisioning ${config.provisioningId}`);
  const snapshot = await readNetwork(vpcId, { ...deps, region: config.region });
  const byCidr = (cidr: string) => snapshot.subnets.find((s) => s.CidrBlock === cidr);
  const groupId = state.securityGroup?.securityGroupId ?? (await findSecurityGroups(deps.ec2, config.provisioningId)).find((g) => g.VpcId === vpcId)?.GroupId;
  const wantedEndpoint = config.network.vpcEndpoint;
  const roles: Roles = {
    publicSubnets: [byCidr(config.network.publicSubnet.cidr)].filter((s): s is Subnet => Boolean(s)),
    privateSubnets: config.network.privateSubnets.map((s) => byCidr(s.cidr)).filter((s): s is Subnet => Boolean(s)),
    securityGroup: snapshot.securityGroups.find((g) => g.GroupId === groupId),
    endpoints: wantedEndpoint ? snapshot.vpcEndpoints.filter((e) => e.ServiceName === wantedEndpoint.serviceName) : [],
  };
  return runChecks(snapshot, roles, {
    own: { config },
    ...(wantedEndpoint ? { endpoint: { serviceName: wantedEndpoint.serviceName, required: true } } : {}),
    ...(config.network.privateDns ? { privateDns: { ...config.network.privateDns, required: true } } : {}),
  });
}

/**
 * V12: check a VPC the customer already has against V2-V8, and V9-V10 when it has the region's Zilliz endpoint or
 * the private zone (both optional). Public subnets are those whose 0.0.0.0/0 goes to an internet gateway, private
 * ones those whose 0.0.0.0/0 goes to a NAT gateway; the V7 group is one that allows only TCP 443 in and out
 * (preferring one the endpoint uses). Each failure is reported by number.
 *
 * @example describeFailures(await checkExistingVpc('vpc-1', { ec2, route53, region: 'us-west-2' })) // "V4: subnet-2 has no ..."
 */
export async function checkExistingVpc(vpcId: string, deps: { ec2: EC2Client; route53: Route53Client; region: string }): Promise<RequirementCheck[]> {
  const snapshot = await readNetwork(vpcId, deps);
  const info = regionInfo(deps.region);
  const target = (s: Subnet) => defaultTarget(snapshot, s.SubnetId!) ?? '';
  const endpoints = info ? snapshot.vpcEndpoints.filter((e) => e.ServiceName === info.endpointServiceName) : [];
  const endpointGroups = new Set(endpoints.flatMap((e) => (e.Groups ?? []).map((g) => g.GroupId)));
  const candidates = snapshot.securityGroups.filter((g) => httpsOnly(snapshot, g));
  const roles: Roles = {
    publicSubnets: snapshot.subnets.filter((s) => target(s).startsWith('igw-')),
    privateSubnets: snapshot.subnets.filter((s) => target(s).startsWith('nat-')),
    securityGroup: candidates.find((g) => endpointGroups.has(g.GroupId)) ?? candidates[0],
    endpoints,
  };
  return runChecks(snapshot, roles, {
    ...(info ? { endpoint: { serviceName: info.endpointServiceName, required: false } } : {}),
    ...(info?.privateDnsRecordName ? { privateDns: { zoneName: PRIVATE_ZONE_NAME, recordName: info.privateDnsRecordName, required: false } } : {}),
  });
}
