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
import { failed, passed, warned, type RequirementCheck } from '../requirements';
import { tagValue } from '../tags';
import { cidrContains, cidrsOverlap, parseCidr } from './cidr';
import { BASELINE_TAG, HTTPS_PORT, compareRules, describeWantedRule, findSecurityGroups, isHttpsRule, ruleSettingsOf, wantedRules } from './security-group';
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

/**
 * What one check found, and what to do about it: a problem fails the check, a warning (without problems) makes it
 * a warning, a note only adds to the detail. Each problem and warning brings its fix; the same fix is said once.
 */
class Findings {
  private readonly problems: string[] = [];
  private readonly warnings: string[] = [];
  private readonly notes: string[] = [];
  private readonly fixes: string[] = [];

  fail(problem: string, fix: string): void {
    this.problems.push(problem);
    if (!this.fixes.includes(fix)) this.fixes.push(fix);
  }

  warn(warning: string, fix: string): void {
    this.warnings.push(warning);
    if (!this.fixes.includes(fix)) this.fixes.push(fix);
  }

  note(note: string): void {
    this.notes.push(note);
  }

  get failed(): boolean {
    return this.problems.length > 0;
  }

  /** The check: `passDetail` says why it passed; otherwise the problems (then warnings) say why not. */
  result(id: string, passDetail: string): RequirementCheck {
    const notes = this.notes.length > 0 ? `; note: ${this.notes.join('; ')}` : '';
    if (this.problems.length > 0) return failed(id, [...this.problems, ...this.warnings].join('; ') + notes, this.fixes.join(' '));
    if (this.warnings.length > 0) return warned(id, this.warnings.join('; ') + notes, this.fixes.join(' '));
    return passed(id, passDetail + notes);
  }
}

const CHECKED = ['V2', 'V3', 'V4', 'V5', 'V6', 'V7', 'V8', 'V9', 'V10'];
const noVpc = (vpcId: string, region: string): RequirementCheck[] =>
  CHECKED.map((id) => failed(id, `VPC ${vpcId} was not found`, `Check the VPC ID and the region: the VPC must exist in ${region} of the account checked.`));

/** Which subnets, group and endpoints play which part (ours: by plan; an existing VPC: by routing). */
interface Roles {
  publicSubnets: Subnet[];
  privateSubnets: Subnet[];
  securityGroup?: SecurityGroup;
  /** V9: the interface endpoints to the region's Zilliz service. */
  endpoints: VpcEndpoint[];
  /** S1: the gateway endpoints to S3 (ours only; an existing VPC's are not checked). */
  s3GatewayEndpoints: VpcEndpoint[];
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
const hasVendorTag = (tags: { Key?: string; Value?: string }[] | undefined): boolean => tagValue(tags as Tag[], TAG_VENDOR_KEY) === TAG_VENDOR_VALUE;
const VENDOR_TAG = `${TAG_VENDOR_KEY}=${TAG_VENDOR_VALUE}`;

/** True when a rule lets TCP 443 through to or from an IPv4 CIDR (exactly 443, a port range with it, or all traffic). */
function opens443(rule: SecurityGroupRule): boolean {
  if (!rule.CidrIpv4) return false;
  if (rule.IpProtocol === '-1') return true;
  return (rule.IpProtocol === 'tcp' || rule.IpProtocol === '6') && (rule.FromPort ?? 0) <= HTTPS_PORT && (rule.ToPort ?? 0) >= HTTPS_PORT;
}

/** V7 for a group whose settings we do not know: does it open 443 both ways (to/from IPv4 CIDRs)? */
function opens443BothWays(snapshot: NetworkSnapshot, group: SecurityGroup): boolean {
  const rules = rulesOf(snapshot, group.GroupId).filter(opens443);
  return rules.some((r) => !r.IsEgress) && rules.some((r) => r.IsEgress);
}

// ---- the checks, one per requirement -------------------------------------------------------------

function checkV2(snapshot: NetworkSnapshot, expect: Expectations): RequirementCheck {
  const vpc = snapshot.vpc!;
  const found = new Findings();
  const prefix = prefixOf(vpc.CidrBlock);
  const wanted = expect.own?.config.network.vpcCidr;
  if (wanted) {
    if (vpc.CidrBlock !== wanted) found.fail(`VPC CIDR is ${vpc.CidrBlock}, the plan says ${wanted}`, 'Tear the provisioning down and provision again: the VPC was not built as planned.');
  } else if (prefix !== 16) {
    found.warn(
      `VPC CIDR ${vpc.CidrBlock} is a /${prefix ?? '?'}; the guide recommends a /16`,
      'A /16 leaves room for the guide\'s /24 public and three /18 private subnets; with a smaller VPC make sure its subnets have enough addresses for the cluster, or use a new /16 VPC.',
    );
  }
  const ipv6 = (vpc.Ipv6CidrBlockAssociationSet ?? []).filter((a) => a.Ipv6CidrBlockState?.State === 'associated' || a.Ipv6CidrBlockState?.State === 'associating');
  if (ipv6.length > 0) found.fail(`VPC has IPv6 CIDR ${ipv6.map((a) => a.Ipv6CidrBlock).join(', ')} (IPv4 only)`, 'Disassociate the IPv6 CIDR block: the cluster supports IPv4 only.');
  return found.result('V2', `VPC ${snapshot.vpcId} uses ${vpc.CidrBlock}, IPv4 only`);
}

const SUBNETS_FIX =
  'The VPC needs one public subnet (its 0.0.0.0/0 route goes to the internet gateway; the guide: a /24) and three private subnets in three different availability zones (their 0.0.0.0/0 goes to the NAT gateway; the guide: /18 each).';

function checkV3(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck {
  const found = new Findings();
  const vpcBlocks = [
    ...new Set([snapshot.vpc!.CidrBlock!, ...(snapshot.vpc!.CidrBlockAssociationSet ?? []).filter((a) => a.CidrBlockState?.State === 'associated').map((a) => a.CidrBlock!)]),
  ];
  const config = expect.own?.config;
  const rebuild = 'Tear the provisioning down and provision again: the subnets were not built as planned.';
  if (config) {
    const { publicSubnet, privateSubnets } = config.network;
    // By zone ID where the config has one (the physical zone ValidateInput chose), else by this account's name.
    const inPlannedZone = (subnet: Subnet, plan: { availabilityZone: string; availabilityZoneId?: string }) =>
      plan.availabilityZoneId ? subnet.AvailabilityZoneId === plan.availabilityZoneId : subnet.AvailabilityZone === plan.availabilityZone;
    const zoneText = (zone: { name?: string; id?: string }) => (zone.id ? `${zone.name} (${zone.id})` : `${zone.name}`);
    const misplaced = (kind: string, subnet: Subnet, plan: { availabilityZone: string; availabilityZoneId?: string }) =>
      `${kind} subnet ${subnet.SubnetId} is in ${zoneText({ name: subnet.AvailabilityZone, id: plan.availabilityZoneId && subnet.AvailabilityZoneId })}, not ${zoneText({ name: plan.availabilityZone, id: plan.availabilityZoneId })}`;
    const pub = roles.publicSubnets[0];
    if (!pub) found.fail(`no public subnet ${publicSubnet.cidr}`, rebuild);
    else if (!inPlannedZone(pub, publicSubnet)) found.fail(misplaced('public', pub, publicSubnet), rebuild);
    privateSubnets.forEach((plan, i) => {
      const subnet = roles.privateSubnets[i];
      if (!subnet) found.fail(`no private subnet ${plan.cidr}`, rebuild);
      else if (!inPlannedZone(subnet, plan)) found.fail(misplaced('private', subnet, plan), rebuild);
    });
  }
  // Ours must be exactly the guide's sizes; an existing VPC's sizes are the guide's recommendation (a VPC that is
  // not a /16 cannot even hold three /18s): a warning. What must be there either way: the subnets and their zones.
  const sizeProblem = (problem: string, fix: string) => (config ? found.fail(problem, fix) : found.warn(problem, fix));
  const publics = roles.publicSubnets.filter((s) => prefixOf(s.CidrBlock) === 24);
  if (roles.publicSubnets.length === 0) found.fail('no public subnet (a subnet whose 0.0.0.0/0 route goes to an internet gateway)', SUBNETS_FIX);
  else if (publics.length === 0) sizeProblem(`no public /24 subnet (public: ${roles.publicSubnets.map((s) => `${s.SubnetId} ${s.CidrBlock}`).join(', ')})`, 'The guide\'s public subnet is a /24 (it only hosts the NAT gateway).');
  const privates = config ? roles.privateSubnets.filter((s) => prefixOf(s.CidrBlock) === 18) : roles.privateSubnets;
  const zones = new Set(privates.map((s) => s.AvailabilityZone));
  if (privates.length < 3 || zones.size < 3) {
    const others = roles.privateSubnets.filter((s) => !privates.includes(s));
    found.fail(
      `needs 3 private ${config ? '/18 ' : ''}subnets in 3 different zones; found ${privates.length} in ${zones.size} zone(s)` +
        (others.length > 0 ? ` (other private subnets: ${others.map((s) => `${s.SubnetId} ${s.CidrBlock}`).join(', ')})` : ''),
      SUBNETS_FIX,
    );
  }
  if (!config) {
    const small = roles.privateSubnets.filter((s) => (prefixOf(s.CidrBlock) ?? 0) > 18);
    if (small.length > 0) {
      sizeProblem(
        `private subnet(s) ${small.map((s) => `${s.SubnetId} ${s.CidrBlock}`).join(', ')} smaller than the guide's /18`,
        'The guide\'s private subnets are /18 (16,384 addresses each, for the cluster\'s nodes and pods): use /18 subnets, or make sure these have addresses enough for the cluster.',
      );
    }
  }
  const planned = [...roles.publicSubnets, ...roles.privateSubnets];
  for (const s of planned) {
    if (!vpcBlocks.some((block) => cidrContains(block, s.CidrBlock ?? ''))) found.fail(`subnet ${s.SubnetId} ${s.CidrBlock} is outside ${vpcBlocks.join(', ')}`, SUBNETS_FIX);
  }
  planned.forEach((a, i) =>
    planned.slice(i + 1).forEach((b) => {
      if (a.SubnetId !== b.SubnetId && cidrsOverlap(a.CidrBlock ?? '', b.CidrBlock ?? '')) found.fail(`subnets ${a.SubnetId} and ${b.SubnetId} overlap`, SUBNETS_FIX);
    }),
  );
  const listed = (list: Subnet[], zone: boolean) => list.map((s) => `${s.SubnetId} ${s.CidrBlock}${zone ? ` ${s.AvailabilityZone}` : ''}`).join(', ');
  return found.result('V3', `public ${listed(publics.length > 0 ? publics : roles.publicSubnets, false)}; private ${listed(privates, true)}`);
}

function checkV4(roles: Roles): RequirementCheck {
  const found = new Findings();
  const fix = `Tag each private subnet ${INTERNAL_ELB_TAG.Key}=${INTERNAL_ELB_TAG.Value} (the AWS Load Balancer Controller places internal load balancers by it).`;
  for (const s of roles.privateSubnets.filter((s) => tagValue(s.Tags, INTERNAL_ELB_TAG.Key) !== INTERNAL_ELB_TAG.Value)) found.fail(`${s.SubnetId} has no ${INTERNAL_ELB_TAG.Key}=${INTERNAL_ELB_TAG.Value} tag`, fix);
  if (roles.privateSubnets.length === 0) found.fail('no private subnet to check', SUBNETS_FIX);
  return found.result('V4', `all ${roles.privateSubnets.length} private subnets carry ${INTERNAL_ELB_TAG.Key}=${INTERNAL_ELB_TAG.Value}`);
}

function checkV5(snapshot: NetworkSnapshot): RequirementCheck {
  const found = new Findings();
  const fix = 'Turn on DNS resolution and DNS hostnames in the VPC\'s settings (console: Actions > Edit VPC settings).';
  if (!snapshot.dnsSupport) found.fail('DNS resolution (enableDnsSupport) is off', fix);
  if (!snapshot.dnsHostnames) found.fail('DNS hostnames (enableDnsHostnames) are off', fix);
  return found.result('V5', 'DNS resolution and DNS hostnames are on');
}

function checkV6(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck {
  const found = new Findings();
  const own = Boolean(expect.own);
  const igws = snapshot.internetGateways.filter((g) => (g.Attachments ?? []).some((a) => a.VpcId === snapshot.vpcId && ['available', 'attached'].includes(String(a.State))));
  if (igws.length === 0) found.fail('no internet gateway is attached', 'Attach an internet gateway to the VPC (the NAT gateway reaches the internet through it).');
  const publicIds = new Set(roles.publicSubnets.map((s) => s.SubnetId));
  const nats = snapshot.natGateways;
  const natFix = 'Create one public NAT gateway with an Elastic IP in a public subnet, and route the private subnets\' 0.0.0.0/0 to it.';
  // Ours: exactly one, as the guide says. An existing VPC may have one per zone; that still meets the need.
  if (own ? nats.length !== 1 : nats.length === 0) found.fail(`${nats.length} NAT gateways in the VPC (${own ? 'exactly one' : 'at least one'} wanted)`, natFix);
  for (const nat of nats) {
    if (nat.State !== 'available') found.fail(`NAT gateway ${nat.NatGatewayId} is ${nat.State}`, 'Wait until the NAT gateway is available, or replace a failed one.');
    if (!publicIds.has(nat.SubnetId)) found.fail(`NAT gateway ${nat.NatGatewayId} is in ${nat.SubnetId}, not in a public subnet`, natFix);
    if (nat.ConnectivityType === 'private') found.fail(`NAT gateway ${nat.NatGatewayId} is private`, natFix);
    const allocations = (nat.NatGatewayAddresses ?? []).map((a) => a.AllocationId).filter(Boolean);
    if (!allocations.some((id) => snapshot.addresses.some((a) => a.AllocationId === id))) found.fail(`NAT gateway ${nat.NatGatewayId} has no Elastic IP`, natFix);
  }
  const igwIds = new Set(igws.map((g) => g.InternetGatewayId));
  const natIds = new Set(nats.map((n) => n.NatGatewayId));
  for (const s of roles.publicSubnets) {
    const target = defaultTarget(snapshot, s.SubnetId!);
    if (!igwIds.has(target)) found.fail(`public subnet ${s.SubnetId} sends 0.0.0.0/0 to ${target ?? 'nowhere'}, not to the internet gateway`, 'Route 0.0.0.0/0 of the public subnet\'s route table to the internet gateway.');
  }
  for (const s of roles.privateSubnets) {
    const target = defaultTarget(snapshot, s.SubnetId!);
    if (!natIds.has(target)) found.fail(`private subnet ${s.SubnetId} sends 0.0.0.0/0 to ${target ?? 'nowhere'}, not to the NAT gateway`, 'Route 0.0.0.0/0 of the private subnets\' route table(s) to the NAT gateway.');
    if (s.MapPublicIpOnLaunch) found.fail(`private subnet ${s.SubnetId} gives public IPs on launch`, 'Turn off "auto-assign public IPv4 address" on the private subnets.');
  }
  return found.result('V6', `NAT gateway ${[...natIds].join(', ')} in a public subnet, internet gateway ${[...igwIds].join(', ')}, private subnets route to the NAT gateway`);
}

const V7_FIX =
  'Give the security group you hand to the vendor an inbound rule HTTPS (TCP 443) from 0.0.0.0/0 or your CIDRs, and an outbound rule HTTPS (TCP 443) to 0.0.0.0/0 or your CIDRs.';

function checkV7(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck {
  const group = roles.securityGroup;
  const config = expect.own?.config;
  const found = new Findings();
  if (!group) {
    if (config) {
      found.fail('the provisioning has no security group in the VPC', 'Tear the provisioning down and provision again: CreateSecurityGroup did not run to its end.');
    } else {
      const groups = snapshot.securityGroups.map((g) => `${g.GroupId}: ${rulesOf(snapshot, g.GroupId).map(describeRule).join(', ') || 'no rules'}`);
      found.fail(`no security group allows HTTPS (TCP 443) both in and out (${groups.join('; ') || 'no groups'})`, V7_FIX);
    }
    return found.result('V7', '');
  }
  const groupId = group.GroupId!;
  const rules = rulesOf(snapshot, groupId);
  if (config) {
    const settings = ruleSettingsOf(config, { cidr: snapshot.vpc!.CidrBlock });
    const { missing, extra } = compareRules(rules, settings, groupId);
    const rerun = 'Run CreateSecurityGroup again (it only adds missing rules), or provision again.';
    for (const r of missing) found.fail(`${groupId} lacks ${describeWantedRule(r)}`, rerun);
    if (tagValue(group.Tags, BASELINE_TAG.Key) !== BASELINE_TAG.Value) found.fail(`${groupId} lacks ${BASELINE_TAG.Key}=${BASELINE_TAG.Value}: its first setup did not finish`, rerun);
    for (const r of extra) {
      // Strict was asked for: 443 only, so a rule for other traffic fails (an extra TCP 443 rule, e.g. one someone
      // added for their office, is still 443 only). Otherwise rules added by others (the vendor, the load balancer
      // controller) are theirs.
      const only443 = r.IpProtocol === 'tcp' && r.FromPort === HTTPS_PORT && r.ToPort === HTTPS_PORT;
      if (settings.strict && !only443) found.fail(`${groupId} has an extra rule: ${describeRule(r)} (strict: TCP 443 only)`, `Revoke the rule from ${groupId}, or provision without network.securityGroup.strict.`);
      else found.note(`${groupId} also has ${describeRule(r)}, added by someone else`);
    }
    return found.result('V7', `${groupId} has every rule of the ${settings.strict ? 'strict (TCP 443 only)' : 'default'} plan: ${wantedRules(settings).map(describeWantedRule).join(', ')}`);
  }
  const https = rules.filter(opens443);
  const broader = rules.filter((r) => !isHttpsRule(r));
  if (broader.length > 0) found.note(`${groupId} also allows ${broader.map(describeRule).join(', ')} (broader than V7 needs; allowed)`);
  const others = snapshot.securityGroups.filter((g) => g.GroupId !== groupId && opens443BothWays(snapshot, g)).map((g) => g.GroupId);
  if (others.length > 0) found.note(`other groups that also open 443 both ways: ${others.join(', ')}`);
  const side = (egress: boolean) => [...new Set(https.filter((r) => Boolean(r.IsEgress) === egress).map((r) => r.CidrIpv4))].join(', ');
  return found.result('V7', `${groupId} allows HTTPS (TCP 443) in from ${side(false)} and out to ${side(true)}`);
}

function checkV8(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck {
  const found = new Findings();
  const tagFix = (ids: string[]) => `Tag ${ids.join(', ')} with ${VENDOR_TAG}: the vendor's cross-account permissions launch instances only into subnets and security groups carrying it.`;
  if (!expect.own) {
    // An existing VPC: the Vendor tag is what the vendor's permissions need, on the private subnets and the group.
    const required = [...roles.privateSubnets.map((s) => ({ id: s.SubnetId!, tags: s.Tags, what: 'private subnet' })), ...(roles.securityGroup ? [{ id: roles.securityGroup.GroupId!, tags: roles.securityGroup.Tags, what: 'security group' }] : [])];
    const untagged = required.filter((r) => !hasVendorTag(r.tags));
    for (const r of untagged) found.fail(`${r.what} ${r.id} lacks ${VENDOR_TAG}`, tagFix(untagged.map((u) => u.id)));
    if (!roles.securityGroup) found.note('no V7 security group to check (see V7)');
    const elsewhere = [
      { id: snapshot.vpcId, tags: snapshot.vpc!.Tags },
      ...roles.publicSubnets.map((s) => ({ id: s.SubnetId!, tags: s.Tags })),
      ...snapshot.internetGateways.map((g) => ({ id: g.InternetGatewayId!, tags: g.Tags })),
      ...snapshot.natGateways.map((n) => ({ id: n.NatGatewayId!, tags: n.Tags })),
      ...roles.endpoints.map((e) => ({ id: e.VpcEndpointId!, tags: e.Tags })),
    ];
    const noVendor = elsewhere.filter((r) => !hasVendorTag(r.tags)).map((r) => r.id);
    if (noVendor.length > 0) found.note(`${noVendor.join(', ')} without ${VENDOR_TAG} (the guide tags everything; needed only on the private subnets and the security group)`);
    const noName = [...required, ...elsewhere].filter((r) => !tagValue(r.tags as Tag[], 'Name')).map((r) => r.id);
    if (noName.length > 0) found.note(`${noName.join(', ')} without a Name tag`);
    return found.result('V8', `the ${roles.privateSubnets.length} private subnets${roles.securityGroup ? ` and security group ${roles.securityGroup.GroupId}` : ''} carry ${VENDOR_TAG}`);
  }
  const provisioningId = expect.own.config.provisioningId;
  const tagged: { id: string; tags: { Key?: string; Value?: string }[] | undefined }[] = [
    { id: snapshot.vpcId, tags: snapshot.vpc!.Tags },
    ...[...roles.publicSubnets, ...roles.privateSubnets].map((s) => ({ id: s.SubnetId!, tags: s.Tags })),
    ...snapshot.internetGateways.map((g) => ({ id: g.InternetGatewayId!, tags: g.Tags })),
    ...snapshot.natGateways.map((n) => ({ id: n.NatGatewayId!, tags: n.Tags })),
    ...snapshot.addresses.map((a) => ({ id: a.AllocationId!, tags: a.Tags })),
    ...(roles.securityGroup ? [{ id: roles.securityGroup.GroupId!, tags: roles.securityGroup.Tags }] : []),
    ...[...roles.endpoints, ...roles.s3GatewayEndpoints].map((e) => ({ id: e.VpcEndpointId!, tags: e.Tags })),
  ];
  // Our own route tables (not the VPC's main one) and hosted zone must carry the tags too.
  const subnetTables = [...roles.publicSubnets, ...roles.privateSubnets].map((s) => routeTableOf(snapshot, s.SubnetId!)).filter((t): t is RouteTable => Boolean(t));
  for (const t of new Set(subnetTables)) if (!(t.Associations ?? []).some((a) => a.Main)) tagged.push({ id: t.RouteTableId!, tags: t.Tags });
  for (const z of snapshot.hostedZones) if (sameName(z.zone.Name, expect.privateDns?.zoneName)) tagged.push({ id: bareId(z.zone.Id!), tags: z.tags });
  const fix = 'Tag the resources as listed (every resource the provisioner makes carries them from its creation), or provision again.';
  for (const { id, tags } of tagged) {
    const missing: string[] = [];
    if (!hasVendorTag(tags)) missing.push(VENDOR_TAG);
    if (!tagValue(tags as Tag[], 'Name')) missing.push('Name');
    if (tagValue(tags as Tag[], TAG_PROVISIONING_ID) !== provisioningId) missing.push(`${TAG_PROVISIONING_ID}=${provisioningId}`);
    if (missing.length > 0) found.fail(`${id} lacks ${missing.join(', ')}`, fix);
  }
  return found.result('V8', `${tagged.length} resources carry ${VENDOR_TAG} and a Name`);
}

function checkV9(roles: Roles, expect: Expectations): RequirementCheck {
  const wanted = expect.endpoint;
  if (!wanted) return passed('V9', 'no VPC endpoint requested (optional)');
  const endpoints = roles.endpoints;
  const createFix = `Create an interface endpoint to ${wanted.serviceName} in the private subnets, with private DNS names on and the V7 security group.`;
  if (endpoints.length === 0) {
    return wanted.required ? failed('V9', `no interface endpoint to ${wanted.serviceName} in the VPC`, createFix) : passed('V9', `no endpoint to ${wanted.serviceName} (optional)`);
  }
  const found = new Findings();
  if (expect.own && endpoints.length > 1) found.fail(`${endpoints.length} endpoints to ${wanted.serviceName} (one wanted)`, 'Delete the extra endpoints (keep the one the outputs name).');
  const privateIds = roles.privateSubnets.map((s) => s.SubnetId!).sort();
  for (const e of endpoints) {
    const id = e.VpcEndpointId;
    if (e.VpcEndpointType !== 'Interface') found.fail(`${id} is a ${e.VpcEndpointType} endpoint, not Interface`, createFix);
    if ((e.State ?? '').toLowerCase() !== 'available') found.fail(`${id} is ${e.State}`, `Wait until ${id} is available; if it is rejected or failed, ask the vendor to allow this account on the service and create it again.`);
    if (!e.PrivateDnsEnabled) found.fail(`${id} has private DNS names off`, `Turn on private DNS names on ${id}.`);
    const subnets = [...(e.SubnetIds ?? [])].sort();
    if (subnets.join() !== privateIds.join()) found.fail(`${id} is in subnets ${subnets.join(', ') || 'none'}, not the private subnets ${privateIds.join(', ')}`, `Put ${id} in exactly the private subnets.`);
    if (!roles.securityGroup || !(e.Groups ?? []).some((g) => g.GroupId === roles.securityGroup?.GroupId)) {
      found.fail(`${id} does not use the V7 security group${roles.securityGroup ? ` ${roles.securityGroup.GroupId}` : ''}`, `Attach the V7 security group to ${id}.`);
    }
  }
  return found.result('V9', `${endpoints.map((e) => e.VpcEndpointId).join(', ')} to ${wanted.serviceName}, private DNS on, in the private subnets`);
}

function checkV10(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck {
  const wanted = expect.privateDns;
  if (!wanted) return passed('V10', 'no private DNS record requested (optional)');
  const recordName = `${wanted.recordName}.${wanted.zoneName}`;
  const fix = `Create a private hosted zone ${wanted.zoneName} associated with the VPC, with an A alias record ${recordName} to the VPC endpoint's first DNS name.`;
  const zones = snapshot.hostedZones.filter((z) => sameName(z.zone.Name, wanted.zoneName) && z.zone.Config?.PrivateZone);
  if (zones.length === 0) {
    return wanted.required ? failed('V10', `no private hosted zone ${wanted.zoneName} is associated with the VPC`, fix) : passed('V10', `no private hosted zone ${wanted.zoneName} (optional)`);
  }
  const targets = roles.endpoints.map(firstDnsEntry).filter((t): t is NonNullable<typeof t> => Boolean(t));
  const found = new Findings();
  for (const { zone, records } of zones) {
    const zoneId = bareId(zone.Id!);
    const record = records.find((r) => sameName(r.Name, recordName) && r.Type === 'A');
    if (!record) found.fail(`zone ${zoneId} has no A record ${recordName}`, fix);
    else if (!record.AliasTarget) found.fail(`${recordName} in ${zoneId} is not an alias record`, fix);
    else if (!targets.some((t) => sameName(t.dnsName, record.AliasTarget!.DNSName) && t.hostedZoneId === record.AliasTarget!.HostedZoneId)) {
      found.fail(`${recordName} points at ${record.AliasTarget.DNSName}, not at the VPC endpoint's DNS name ${targets.map((t) => t.dnsName).join(', ') || '(no endpoint)'}`, fix);
    }
  }
  return found.result('V10', `${recordName} in private zone ${zones.map((z) => bareId(z.zone.Id!)).join(', ')} aliases the VPC endpoint`);
}

/** Endpoint states that will never become `available`. */
const DEAD_ENDPOINT_STATES = ['failed', 'rejected', 'expired'];

/** S1 (the network part, our own build): one S3 gateway endpoint, on the route table(s) of the private subnets. */
function checkS1(snapshot: NetworkSnapshot, roles: Roles, serviceName: string): RequirementCheck {
  const found = new Findings();
  const rerun = 'Run CreateS3GatewayEndpoint again, or provision again.';
  const endpoints = roles.s3GatewayEndpoints;
  if (endpoints.length === 0) return failed('S1', `no gateway endpoint to ${serviceName} in the VPC`, rerun);
  if (endpoints.length > 1) found.fail(`${endpoints.length} gateway endpoints to ${serviceName} (one wanted): ${endpoints.map((e) => e.VpcEndpointId).join(', ')}`, 'Delete the endpoints the outputs do not name.');
  const privateTables = [...new Set(roles.privateSubnets.map((s) => routeTableOf(snapshot, s.SubnetId!)?.RouteTableId).filter((id): id is string => Boolean(id)))];
  for (const e of endpoints) {
    const state = (e.State ?? '').toLowerCase();
    if (DEAD_ENDPOINT_STATES.includes(state)) found.fail(`${e.VpcEndpointId} is ${e.State}`, rerun);
    // A gateway endpoint is available at once on AWS; an emulator may show it pending for a moment.
    else if (state !== 'available') found.note(`${e.VpcEndpointId} is ${e.State}`);
    const missing = privateTables.filter((t) => !(e.RouteTableIds ?? []).includes(t));
    if (missing.length > 0) found.fail(`${e.VpcEndpointId} is not on the private route table ${missing.join(', ')} (it is on ${(e.RouteTableIds ?? []).join(', ') || 'none'})`, `Add ${missing.join(', ')} to ${e.VpcEndpointId}'s route tables.`);
  }
  if (privateTables.length === 0) found.fail('no private route table to check the endpoint against', SUBNETS_FIX);
  return found.result('S1', `S3 gateway endpoint ${endpoints.map((e) => e.VpcEndpointId).join(', ')} to ${serviceName} on the private route table ${privateTables.join(', ')}`);
}

function runChecks(snapshot: NetworkSnapshot, roles: Roles, expect: Expectations): RequirementCheck[] {
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
 * Verify (V2-V10, and S1's gateway endpoint when configured): read the provisioning's network back from AWS and
 * check each requirement against the plan in the config. The state only says which VPC and security group to look
 * at (or they are found by tag); every fact checked comes from EC2 and Route 53. One check per requirement, in
 * order, each naming its number. V7 is checked against the plan (the default or the strict rules): every planned
 * rule present, our first setup finished; rules others added are a note, or a failure when strict was asked for.
 *
 * @example const failed = (await verifyNetwork(config, state, { ec2, route53 })).filter((c) => !c.ok);
 */
export async function verifyNetwork(config: ProvisioningConfig, state: NetworkState, deps: { ec2: EC2Client; route53: Route53Client }): Promise<RequirementCheck[]> {
  const vpcId = state.vpc?.vpcId ?? (await findVpcs(deps.ec2, config.provisioningId))[0]?.VpcId;
  const s1 = config.network.s3GatewayEndpoint;
  const missing = (id: string) => (s1 ? [...noVpc(id, config.region), failed('S1', `VPC ${id} was not found`, 'Provision again.')] : noVpc(id, config.region));
  if (!vpcId) return missing(`of provisioning ${config.provisioningId}`);
  const snapshot = await readNetwork(vpcId, { ...deps, region: config.region });
  if (!snapshot.vpc) return missing(vpcId);
  const byCidr = (cidr: string) => snapshot.subnets.find((s) => s.CidrBlock === cidr);
  const groupId = state.securityGroup?.securityGroupId ?? (await findSecurityGroups(deps.ec2, config.provisioningId)).find((g) => g.VpcId === vpcId)?.GroupId;
  const wantedEndpoint = config.network.vpcEndpoint;
  const roles: Roles = {
    publicSubnets: [byCidr(config.network.publicSubnet.cidr)].filter((s): s is Subnet => Boolean(s)),
    privateSubnets: config.network.privateSubnets.map((s) => byCidr(s.cidr)).filter((s): s is Subnet => Boolean(s)),
    securityGroup: snapshot.securityGroups.find((g) => g.GroupId === groupId),
    endpoints: wantedEndpoint ? snapshot.vpcEndpoints.filter((e) => e.ServiceName === wantedEndpoint.serviceName) : [],
    s3GatewayEndpoints: s1 ? snapshot.vpcEndpoints.filter((e) => e.ServiceName === s1.serviceName && (e.VpcEndpointType ?? '').toLowerCase() === 'gateway') : [],
  };
  const checks = runChecks(snapshot, roles, {
    own: { config },
    ...(wantedEndpoint ? { endpoint: { serviceName: wantedEndpoint.serviceName, required: true } } : {}),
    ...(config.network.privateDns ? { privateDns: { ...config.network.privateDns, required: true } } : {}),
  });
  return s1 ? [...checks, checkS1(snapshot, roles, s1.serviceName)] : checks;
}

/**
 * V12: check a VPC the customer already has against V2-V8, and V9-V10 when it has the region's Zilliz endpoint or
 * the private zone (both optional). Public subnets are those whose 0.0.0.0/0 goes to an internet gateway, private
 * ones those whose 0.0.0.0/0 goes to a NAT gateway. A VPC built exactly as the guide says passes:
 * - V2: a VPC that is not a /16 is a warning (the guide recommends /16), and so are subnets smaller than the
 *   guide's sizes (such a VPC cannot hold three /18s); the subnets, their zones and their routes are required;
 * - V7: the group is one that allows at least TCP 443 in and out over IPv4 (preferring one the Zilliz endpoint
 *   uses, then one tagged Vendor=zilliz-byoc); broader rules, such as the console's default allow-all egress, are
 *   a note; it fails only when no group opens 443 both ways;
 * - V8: `Vendor=zilliz-byoc` is required on the private subnets and that group (the vendor's permissions launch
 *   instances only there); missing elsewhere, and missing Name tags, are notes.
 * Every check says why it came out as it did, and what to do when it did not pass.
 *
 * @example describeFailures(await checkExistingVpc('vpc-1', { ec2, route53, region: 'us-west-2' })) // "V4: subnet-2 has no ..."
 */
export async function checkExistingVpc(vpcId: string, deps: { ec2: EC2Client; route53: Route53Client; region: string }): Promise<RequirementCheck[]> {
  const snapshot = await readNetwork(vpcId, deps);
  if (!snapshot.vpc) return noVpc(vpcId, deps.region);
  const info = regionInfo(deps.region);
  const target = (s: Subnet) => defaultTarget(snapshot, s.SubnetId!) ?? '';
  const endpoints = info ? snapshot.vpcEndpoints.filter((e) => e.ServiceName === info.endpointServiceName) : [];
  const endpointGroups = new Set(endpoints.flatMap((e) => (e.Groups ?? []).map((g) => g.GroupId)));
  const rank = (g: SecurityGroup) => (endpointGroups.has(g.GroupId) ? 2 : 0) + (hasVendorTag(g.Tags) ? 1 : 0);
  const candidates = snapshot.securityGroups.filter((g) => opens443BothWays(snapshot, g)).sort((a, b) => rank(b) - rank(a) || (a.GroupId ?? '').localeCompare(b.GroupId ?? ''));
  const roles: Roles = {
    publicSubnets: snapshot.subnets.filter((s) => target(s).startsWith('igw-')),
    privateSubnets: snapshot.subnets.filter((s) => target(s).startsWith('nat-')),
    securityGroup: candidates[0],
    endpoints,
    s3GatewayEndpoints: [],
  };
  return runChecks(snapshot, roles, {
    ...(info ? { endpoint: { serviceName: info.endpointServiceName, required: false } } : {}),
    ...(info?.privateDnsRecordName ? { privateDns: { zoneName: PRIVATE_ZONE_NAME, recordName: info.privateDnsRecordName, required: false } } : {}),
  });
}
