import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  type EC2Client,
  type Filter,
  type Instance,
  type NetworkInterface,
  type RouteTable,
  type SecurityGroup,
  type Subnet,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, ListClustersCommand, type Cluster, type EKSClient } from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, type ElasticLoadBalancingV2Client, type LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { IAMClient } from '@aws-sdk/client-iam';
import { isNotFound, translateAwsError } from './aws/translate-error';
import type { RoleKind, TargetConfig } from './config';
import { TAG_RESOURCE } from './constants';
import { AccessDeniedError, ResourceInUseError } from './errors';
import { ROLE_KINDS, findRolesByTag, getRole, instanceProfilesOf, isOurRole } from './iam/role';
import { logger } from './lambda';
import { findNatGateways } from './network/nat-gateway';
import { isOwnedBy } from './network/ownership';
import { findSubnets } from './network/subnets';
import { findVpcs } from './network/vpc';
import { tagValue } from './tags';

/** One resource we did not make that depends on one we made: what it is, its ID, and what we could tell about it. */
export interface InUseResource {
  type: InUseType;
  id: string;
  detail: string;
}

/** A check that could not run (the caller may not make the read call): the teardown cannot know, so it does not guess. */
export interface NotChecked {
  check: string;
  reason: string;
}

/** What CheckInUse returns (`$.inUse` in the teardown): the dependents found, whether the caller forced the teardown, and what could not be checked. */
export interface InUseResult {
  inUse: InUseResource[];
  forced: boolean;
  notChecked: NotChecked[];
  /** How many dependents were left out of `inUse` to keep the state small (only with very many; the log lists all). */
  omitted?: number;
}

/** What CheckInUse reads: the teardown config (who and where, the role names when known, and `force`). */
export type InUseConfig = TargetConfig & {
  iamRole?: { name?: string };
  storageRole?: { name?: string };
  crossAccountRole?: { name?: string };
  force?: boolean;
};

export interface InUseDeps {
  ec2: EC2Client;
  iam: IAMClient;
  eks: EKSClient;
  elbv2: ElasticLoadBalancingV2Client;
}

/** The kinds of dependents, in the order the message lists them. */
export const IN_USE_TYPES = [
  'EC2 instance',
  'load balancer',
  'EKS cluster',
  'VPC endpoint',
  'network interface',
  'IAM instance profile',
  'subnet',
  'security group',
  'route table',
] as const;
export type InUseType = (typeof IN_USE_TYPES)[number];

/** How a caller asks for a forced teardown, for the refusal's message (the teardown input, the API and the CLI). */
export const FORCE_HINT = (provisioningId: string): string =>
  `"force": true in the teardown input; API: DELETE /provisionings/${provisioningId}?force=true; CLI: byoc teardown ${provisioningId} --force`;

/** Step Functions keeps at most 32,768 characters of an error's cause: the listing stays well below. */
const MAX_LISTING_CHARS = 20_000;
/** A forced teardown carries the list in its state (256 KiB at most, shared with every later step): at most this many. */
export const MAX_RETURNED = 200;

const ROLE_LABEL: Record<RoleKind, string> = { eks: 'EKS role', storage: 'storage role', 'cross-account': 'cross-account role' };
const GONE_ENDPOINT_STATES = ['deleting', 'deleted'];
/** Instances that are going away by themselves are not dependents: the undo steps' retries outlast them. */
const LIVE_INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** Page through an EC2 Describe call (`NextToken`). */
async function allPages<T>(page: (token: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const out = await page(token);
    all.push(...out.items);
    token = out.next;
  } while (token);
  return all;
}

const nameOf = (tags: { Key?: string; Value?: string }[] | undefined): string | undefined => tagValue(tags, 'Name');
const withName = (text: string, tags: { Key?: string; Value?: string }[] | undefined): string => {
  const name = nameOf(tags);
  return name ? `${text}, Name=${name}` : text;
};

/**
 * What a network interface is for, from its type, description and requester (AWS names most managed interfaces in
 * their description: "ELB app/<name>/<id>", "Amazon EKS <cluster>", "AWS Lambda VPC ENI-...", "Interface for NAT
 * Gateway nat-...", "VPC Endpoint Interface vpce-...").
 *
 * @example describeInterface({ InterfaceType: 'interface', Description: 'Amazon EKS prod' }) // 'EKS control plane of cluster prod'
 */
export function describeInterface(eni: NetworkInterface): string {
  const type: string = eni.InterfaceType ?? 'interface';
  const d = (eni.Description ?? '').trim();
  let m: RegExpExecArray | null;
  const what = ((): string => {
    if (eni.Attachment?.InstanceId) return `attached to EC2 instance ${eni.Attachment.InstanceId}`;
    if ((m = /^ELB (app|net|gwy)\/([^/]+)\//.exec(d))) return `${{ app: 'Application', net: 'Network', gwy: 'Gateway' }[m[1] as 'app' | 'net' | 'gwy']} Load Balancer ${m[2]}`;
    if ((m = /^ELB (\S+)$/.exec(d))) return `Classic Load Balancer ${m[1]}`;
    if ((m = /^Amazon EKS (.+)$/.exec(d))) return `EKS control plane of cluster ${m[1]}`;
    if ((m = /^Interface for NAT Gateway (nat-[0-9a-z]+)/.exec(d))) return `NAT gateway ${m[1]} (not ours)`;
    if ((m = /^VPC Endpoint Interface (vpce-[0-9a-z]+)/.exec(d))) return `VPC endpoint ${m[1]}`;
    if (/^AWS Lambda VPC ENI/.test(d) || type === 'lambda') return `Lambda function${d ? ` (${d})` : ''}`;
    if (/^aws-K8S-/.test(d)) return `EKS node's secondary interface (VPC CNI, ${d})`;
    if (/^RDSNetworkInterface/.test(d)) return 'RDS database';
    if (/^ElastiCache/.test(d)) return `ElastiCache (${d})`;
    if (/^EFS mount target/.test(d) || type === 'efs') return `EFS mount target${d ? ` (${d})` : ''}`;
    const byType: Record<string, string> = {
      natGateway: 'NAT gateway (not ours)', // EC2's spelling for NAT gateway interfaces
      nat_gateway: 'NAT gateway (not ours)',
      vpc_endpoint: 'VPC endpoint',
      network_load_balancer: 'Network Load Balancer',
      gateway_load_balancer: 'Gateway Load Balancer',
      gateway_load_balancer_endpoint: 'Gateway Load Balancer endpoint',
      load_balancer: 'load balancer',
      transit_gateway: 'transit gateway attachment',
      branch: 'EKS pod (VPC CNI branch interface)',
      trunk: 'EKS node (VPC CNI trunk interface)',
      api_gateway_managed: 'API Gateway VPC link',
      ec2_instance_connect_endpoint: 'EC2 Instance Connect endpoint',
      global_accelerator_managed: 'Global Accelerator',
      quicksight: 'QuickSight',
    };
    const known = byType[type] ?? (type === 'interface' ? 'network interface' : `${type} interface`);
    return d ? `${known} "${d}"` : known;
  })();
  const requester = eni.RequesterManaged ? `, managed by ${eni.RequesterId ?? 'an AWS service'}` : eni.RequesterId ? `, requested by ${eni.RequesterId}` : '';
  return `${what}${requester}; ${eni.SubnetId ?? 'no subnet'}; ${eni.Status ?? 'unknown status'}`;
}

/** Our network: the VPC(s) and subnets carrying the provisioning-ID tag, and the network interfaces of our NAT gateway. */
interface OurNetwork {
  vpcIds: string[];
  subnetIds: Set<string>;
  natInterfaceIds: Set<string>;
  natGatewayIds: Set<string>;
}

async function ourNetwork(ec2: EC2Client, provisioningId: string): Promise<OurNetwork> {
  const [vpcs, subnets, nats] = await Promise.all([findVpcs(ec2, provisioningId), findSubnets(ec2, provisioningId), findNatGateways(ec2, provisioningId)]);
  const vpcIds = [...new Set([...vpcs.map((v) => v.VpcId), ...subnets.map((s) => s.VpcId)].filter((id): id is string => Boolean(id)))].sort();
  return {
    vpcIds,
    subnetIds: new Set(subnets.map((s) => s.SubnetId).filter((id): id is string => Boolean(id))),
    natInterfaceIds: new Set(nats.flatMap((n) => (n.NatGatewayAddresses ?? []).map((a) => a.NetworkInterfaceId)).filter((id): id is string => Boolean(id))),
    natGatewayIds: new Set(nats.map((n) => n.NatGatewayId).filter((id): id is string => Boolean(id))),
  };
}

/** Our roles that exist and carry our tag, with their kind and ARN: named in the config, else found by tag. */
async function ourRoles(iam: IAMClient, config: InUseConfig): Promise<{ name: string; kind: RoleKind; arn: string }[]> {
  const named: [RoleKind, string | undefined][] = [
    ['eks', config.iamRole?.name],
    ['storage', config.storageRole?.name],
    ['cross-account', config.crossAccountRole?.name],
  ];
  const known = named.filter((n): n is [RoleKind, string] => Boolean(n[1]));
  const candidates = known.length > 0 ? known : (await findRolesByTag(iam, config.provisioningId)).map((name) => [undefined, name] as const);
  const roles: { name: string; kind: RoleKind; arn: string }[] = [];
  for (const [configuredKind, name] of candidates) {
    const role = await getRole(iam, name);
    if (!role?.Arn || !isOurRole(role, config.provisioningId)) continue; // gone, or not ours: the undo steps leave it too
    const tagged = tagValue(role.Tags, TAG_RESOURCE);
    const kind = configuredKind ?? (Object.entries(ROLE_KINDS).find(([, k]) => k.resource === tagged)?.[0] as RoleKind | undefined) ?? 'eks';
    roles.push({ name, kind, arn: role.Arn });
  }
  return roles;
}

const vpcFilter = (vpcIds: string[]): Filter => ({ Name: 'vpc-id', Values: vpcIds });

async function instancesIn(ec2: EC2Client, vpcIds: string[]): Promise<Instance[]> {
  return allPages(async (NextToken) => {
    const out = await ec2.send(new DescribeInstancesCommand({ Filters: [vpcFilter(vpcIds), { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES }], NextToken }));
    return { items: (out.Reservations ?? []).flatMap((r) => r.Instances ?? []), next: out.NextToken };
  });
}

async function interfacesIn(ec2: EC2Client, vpcIds: string[]): Promise<NetworkInterface[]> {
  return allPages(async (NextToken) => {
    const out = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [vpcFilter(vpcIds)], NextToken }));
    return { items: out.NetworkInterfaces ?? [], next: out.NextToken };
  });
}

async function endpointsIn(ec2: EC2Client, vpcIds: string[]): Promise<VpcEndpoint[]> {
  return allPages(async (NextToken) => {
    const out = await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [vpcFilter(vpcIds)], NextToken }));
    return { items: out.VpcEndpoints ?? [], next: out.NextToken };
  });
}

async function subnetsIn(ec2: EC2Client, vpcIds: string[]): Promise<Subnet[]> {
  return allPages(async (NextToken) => {
    const out = await ec2.send(new DescribeSubnetsCommand({ Filters: [vpcFilter(vpcIds)], NextToken }));
    return { items: out.Subnets ?? [], next: out.NextToken };
  });
}

async function securityGroupsIn(ec2: EC2Client, vpcIds: string[]): Promise<SecurityGroup[]> {
  return allPages(async (NextToken) => {
    const out = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [vpcFilter(vpcIds)], NextToken }));
    return { items: out.SecurityGroups ?? [], next: out.NextToken };
  });
}

async function routeTablesIn(ec2: EC2Client, vpcIds: string[]): Promise<RouteTable[]> {
  return allPages(async (NextToken) => {
    const out = await ec2.send(new DescribeRouteTablesCommand({ Filters: [vpcFilter(vpcIds)], NextToken }));
    return { items: out.RouteTables ?? [], next: out.NextToken };
  });
}

/** ELBv2 (Application, Network, Gateway) load balancers in our VPC(s). Classic ones show up as network interfaces. */
async function loadBalancersIn(elbv2: ElasticLoadBalancingV2Client, vpcIds: string[]): Promise<LoadBalancer[]> {
  const all = await allPages(async (Marker) => {
    const out = await elbv2.send(new DescribeLoadBalancersCommand({ Marker }));
    return { items: out.LoadBalancers ?? [], next: out.NextMarker };
  });
  return all.filter((lb) => lb.VpcId && vpcIds.includes(lb.VpcId));
}

/** Every EKS cluster of the region, described (a cluster deleted while we list is skipped). */
async function clustersOfRegion(eks: EKSClient): Promise<Cluster[]> {
  const names = await allPages(async (nextToken) => {
    const out = await eks.send(new ListClustersCommand({ nextToken }));
    return { items: out.clusters ?? [], next: out.nextToken };
  });
  const clusters: Cluster[] = [];
  for (const name of names) {
    try {
      const cluster = (await eks.send(new DescribeClusterCommand({ name }))).cluster;
      if (cluster) clusters.push(cluster);
    } catch (error) {
      if (!isNotFound(error, 'ResourceNotFoundException', 'ResourceNotFound')) throw error;
    }
  }
  return clusters;
}

/**
 * Find what we did NOT make but that depends on what we made (issue 10, "teardown of something in use"): in our
 * VPC(s), live EC2 instances, network interfaces other than our NAT gateway's and our endpoints' (each said what it
 * is for), VPC endpoints without our provisioning-ID tag, ELBv2 load balancers, and subnets, security groups (not
 * `default`) and route tables (not the main one) without our tag; for our roles, the instance profiles that hold
 * them (global) and the region's EKS clusters whose cluster role is one of them or that run in our VPC.
 *
 * Interfaces that belong to a dependent already listed (an instance's, a load balancer's, a foreign endpoint's, an
 * EKS control plane's) are folded into it. A check the caller may not run (AccessDenied) is reported in
 * `notChecked`, never taken as "nothing there". Read-only: it changes nothing.
 *
 * @example const { inUse, notChecked } = await findInUse(config, { ec2, iam, eks, elbv2 });
 */
export async function findInUse(config: InUseConfig, deps: InUseDeps): Promise<Pick<InUseResult, 'inUse' | 'notChecked'>> {
  const { ec2, iam, eks, elbv2 } = deps;
  const id = config.provisioningId;
  const notChecked: NotChecked[] = [];
  /** Run one check; AccessDenied becomes a `notChecked` entry (every other error fails the step as usual). */
  const guard = async <T>(check: string, fallback: T, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const named = translateAwsError(error, `check ${check}`);
      if (!(named instanceof AccessDeniedError)) throw named;
      notChecked.push({ check, reason: named.message });
      return fallback;
    }
  };

  const network = await guard<OurNetwork | undefined>('our VPC and subnets (EC2 Describe*)', undefined, () => ourNetwork(ec2, id));
  const roles = await guard('our roles (iam:GetRole)', [], () => ourRoles(iam, config));
  const vpcIds = network?.vpcIds ?? [];
  const inVpc = vpcIds.length > 0;

  const [instances, interfaces, endpoints, subnets, groups, tables, loadBalancers, clusters, profiles] = await Promise.all([
    inVpc ? guard('EC2 instances (ec2:DescribeInstances)', [], () => instancesIn(ec2, vpcIds)) : [],
    inVpc ? guard('network interfaces (ec2:DescribeNetworkInterfaces)', [], () => interfacesIn(ec2, vpcIds)) : [],
    inVpc ? guard('VPC endpoints (ec2:DescribeVpcEndpoints)', [], () => endpointsIn(ec2, vpcIds)) : [],
    inVpc ? guard('subnets (ec2:DescribeSubnets)', [], () => subnetsIn(ec2, vpcIds)) : [],
    inVpc ? guard('security groups (ec2:DescribeSecurityGroups)', [], () => securityGroupsIn(ec2, vpcIds)) : [],
    inVpc ? guard('route tables (ec2:DescribeRouteTables)', [], () => routeTablesIn(ec2, vpcIds)) : [],
    inVpc ? guard('load balancers (elasticloadbalancing:DescribeLoadBalancers)', [], () => loadBalancersIn(elbv2, vpcIds)) : [],
    inVpc || roles.length > 0 ? guard('EKS clusters (eks:ListClusters, eks:DescribeCluster)', [], () => clustersOfRegion(eks)) : [],
    guard('instance profiles (iam:ListInstanceProfilesForRole)', [], async () =>
      (await Promise.all(roles.map(async (role) => (await instanceProfilesOf(iam, role.name)).map((profile) => ({ profile, role }))))).flat(),
    ),
  ]);

  const inUse: InUseResource[] = [];
  /** Interfaces folded into a listed dependent, by the dependent's key (`type|id`). */
  const folded = new Map<string, string[]>();
  const add = (type: InUseType, rid: string | undefined, detail: string) => rid && inUse.push({ type, id: rid, detail });

  const instanceIds = new Set<string>();
  for (const i of instances) {
    if (!i.InstanceId) continue;
    instanceIds.add(i.InstanceId);
    const cluster = tagValue(i.Tags, 'eks:cluster-name') ?? tagValue(i.Tags, 'aws:eks:cluster-name');
    const profile = i.IamInstanceProfile?.Arn ? `, instance profile ${i.IamInstanceProfile.Arn}` : '';
    add('EC2 instance', i.InstanceId, withName(`${i.State?.Name ?? 'unknown'}, ${i.InstanceType ?? 'unknown type'}, ${i.SubnetId ?? 'no subnet'}${cluster ? `, node of EKS cluster ${cluster}` : ''}${profile}`, i.Tags));
  }

  const lbKeys = new Map<string, string>(); // "app/<name>/<id>" -> ARN
  for (const lb of loadBalancers) {
    const arn = lb.LoadBalancerArn;
    const key = arn ? /:loadbalancer\/(.+)$/.exec(arn)?.[1] : undefined;
    if (arn && key) lbKeys.set(key, arn);
    add('load balancer', arn, `${lb.Type ?? 'unknown type'}, ${lb.Scheme ?? 'unknown scheme'}, ${lb.LoadBalancerName ?? ''}, ${lb.State?.Code ?? 'unknown state'}`);
  }

  const roleByArn = new Map(roles.map((r) => [r.arn, r]));
  const clusterNames = new Set<string>();
  for (const c of clusters) {
    const reasons: string[] = [];
    const role = c.roleArn ? roleByArn.get(c.roleArn) : undefined;
    if (role) reasons.push(`its cluster role is our ${ROLE_LABEL[role.kind]} ${role.name}`);
    const vpc = c.resourcesVpcConfig?.vpcId;
    const inOurSubnets = (c.resourcesVpcConfig?.subnetIds ?? []).filter((s) => network?.subnetIds.has(s));
    if ((vpc && vpcIds.includes(vpc)) || inOurSubnets.length > 0) reasons.push(`runs in our VPC${vpc ? ` ${vpc}` : ''}${inOurSubnets.length ? ` (subnets ${inOurSubnets.join(', ')})` : ''}`);
    if (reasons.length === 0 || !c.name) continue;
    clusterNames.add(c.name);
    add('EKS cluster', c.name, `${c.status ?? 'unknown status'}; ${reasons.join('; ')}; ${c.arn ?? ''}`);
  }

  const ourInterfaceIds = new Set(network?.natInterfaceIds ?? []);
  const ourEndpointIds = new Set<string>();
  const foreignEndpointByInterface = new Map<string, string>();
  for (const e of endpoints) {
    if (!e.VpcEndpointId) continue;
    if (isOwnedBy(e.Tags, id)) {
      ourEndpointIds.add(e.VpcEndpointId);
      for (const eni of e.NetworkInterfaceIds ?? []) ourInterfaceIds.add(eni);
      continue;
    }
    if (GONE_ENDPOINT_STATES.includes((e.State ?? '').toLowerCase())) continue;
    for (const eni of e.NetworkInterfaceIds ?? []) foreignEndpointByInterface.set(eni, e.VpcEndpointId);
    const managed = e.RequesterManaged ? ', managed by an AWS service' : '';
    add('VPC endpoint', e.VpcEndpointId, withName(`${e.VpcEndpointType ?? 'unknown'} endpoint to ${e.ServiceName ?? 'unknown service'}, ${e.State ?? 'unknown state'}, owner ${e.OwnerId ?? 'unknown'}${managed}`, e.Tags));
  }

  for (const eni of interfaces) {
    const eniId = eni.NetworkInterfaceId;
    if (!eniId || ourInterfaceIds.has(eniId)) continue;
    const d = eni.Description ?? '';
    // The description names the owner even when the owner's own list of interfaces lags behind.
    const nat = /^Interface for NAT Gateway (nat-[0-9a-z]+)/.exec(d)?.[1];
    const vpce = /^VPC Endpoint Interface (vpce-[0-9a-z]+)/.exec(d)?.[1];
    if ((nat && network?.natGatewayIds.has(nat)) || (vpce && ourEndpointIds.has(vpce))) continue;
    // The interface of an instance that is terminated (not among the live ones above) and that EC2 deletes with it:
    // it goes away on its own within moments, so it holds nothing up.
    if (eni.Attachment?.InstanceId && !instanceIds.has(eni.Attachment.InstanceId) && eni.Attachment.DeleteOnTermination !== false) continue;
    const lbKey = /^ELB ((?:app|net|gwy)\/[^/]+\/[0-9a-z]+)$/.exec(d)?.[1];
    const eksCluster = /^Amazon EKS (.+)$/.exec(d)?.[1];
    const owner =
      eni.Attachment?.InstanceId && instanceIds.has(eni.Attachment.InstanceId)
        ? `EC2 instance|${eni.Attachment.InstanceId}`
        : foreignEndpointByInterface.has(eniId) || (vpce && inUse.some((r) => r.type === 'VPC endpoint' && r.id === vpce))
          ? `VPC endpoint|${foreignEndpointByInterface.get(eniId) ?? vpce}`
          : lbKey && lbKeys.has(lbKey)
            ? `load balancer|${lbKeys.get(lbKey)}`
            : eksCluster && clusterNames.has(eksCluster)
              ? `EKS cluster|${eksCluster}`
              : undefined;
    if (owner) folded.set(owner, [...(folded.get(owner) ?? []), eniId]);
    else add('network interface', eniId, describeInterface(eni));
  }
  for (const r of inUse) {
    const enis = folded.get(`${r.type}|${r.id}`);
    if (enis?.length) r.detail += `; network interface(s) ${enis.sort().join(', ')}`;
  }

  for (const { profile, role } of profiles) {
    const name = profile.InstanceProfileName ?? profile.Arn;
    const maker = /^eks-/.test(profile.InstanceProfileName ?? '') ? 'made by an EKS managed node group; ' : '';
    add('IAM instance profile', name, `holds our ${ROLE_LABEL[role.kind]} ${role.name}; ${maker}${profile.Arn ?? ''}; we never take our role out of a profile we did not create`);
  }

  for (const s of subnets) if (!isOwnedBy(s.Tags, id)) add('subnet', s.SubnetId, withName(`${s.CidrBlock ?? ''} in ${s.AvailabilityZone ?? ''}`, s.Tags));
  for (const g of groups) if (g.GroupName !== 'default' && !isOwnedBy(g.Tags, id)) add('security group', g.GroupId, withName(`${g.GroupName ?? ''}: ${g.Description ?? ''}`, g.Tags));
  for (const t of tables) {
    if ((t.Associations ?? []).some((a) => a.Main) || isOwnedBy(t.Tags, id)) continue;
    add('route table', t.RouteTableId, withName(`${(t.Associations ?? []).filter((a) => a.SubnetId).length} subnet association(s)`, t.Tags));
  }

  const order = (type: InUseType) => IN_USE_TYPES.indexOf(type);
  inUse.sort((a, b) => order(a.type) - order(b.type) || a.id.localeCompare(b.id));
  return { inUse, notChecked };
}

/** The listing of dependents for a message: each by type, ID and detail, cut (with a count) to stay within Step Functions' cause limit. */
export function listInUse(inUse: InUseResource[]): string {
  const parts: string[] = [];
  let length = 0;
  for (const [i, r] of inUse.entries()) {
    const part = `${r.type} ${r.id} (${r.detail})`;
    if (length + part.length > MAX_LISTING_CHARS) {
      parts.push(`and ${inUse.length - i} more (the CheckInUse log lists all)`);
      break;
    }
    parts.push(part);
    length += part.length + 2;
  }
  return parts.join('; ');
}

/**
 * The refusal (or, forced, the warning): every dependent by type and ID, what could not be checked, and how to
 * proceed.
 */
export function inUseMessage(provisioningId: string, found: Pick<InUseResult, 'inUse' | 'notChecked'>, forced: boolean): string {
  const { inUse, notChecked } = found;
  const dependents = inUse.length > 0 ? `${inUse.length} resource(s) that provisioning ${provisioningId} did not make depend on what it made: ${listInUse(inUse)}.` : '';
  const unchecked = notChecked.length > 0 ? ` Could not check: ${notChecked.map((n) => `${n.check} (${n.reason})`).join('; ')}.` : '';
  const consequence =
    'what they still block is left (our roles are never taken out of an instance profile we did not create) and the teardown ends with TeardownIncompleteError naming each resource left';
  if (forced) {
    return `Tearing down provisioning ${provisioningId} with force although it may be in use. ${dependents}${unchecked} Everything else is deleted; ${consequence}.`.replace(/\s+/g, ' ').trim();
  }
  const how =
    inUse.length > 0
      ? `Remove them (or have their owner remove them) and run the teardown again, or tear down with force (${FORCE_HINT(provisioningId)}): it then deletes what it can, ${consequence}.`
      : `Grant the missing read permission(s) to the role the teardown uses and run it again, or tear down with force (${FORCE_HINT(provisioningId)}).`;
  return `Teardown of provisioning ${provisioningId} refused; nothing was deleted. ${dependents}${unchecked} ${how}`.replace(/\s+/g, ' ').trim();
}

/**
 * CheckInUse: the first step of a teardown, before anything is deleted. Finds what depends on the provisioning
 * ({@link findInUse}); without `force`, refuses: `ResourceInUseError` (terminal) naming every dependent by type and
 * ID and saying how to proceed, or `AccessDeniedError` when nothing was found but some check could not run (the
 * teardown does not guess). With `force`, returns the same list as a warning and the teardown proceeds.
 *
 * @example await checkInUse(state.config, { ec2, iam, eks, elbv2 }) // { inUse: [], forced: false, notChecked: [] }
 */
export async function checkInUse(config: InUseConfig, deps: InUseDeps): Promise<InUseResult> {
  const found = await findInUse(config, deps);
  const forced = config.force === true;
  const clean = found.inUse.length === 0 && found.notChecked.length === 0;
  if (clean) {
    logger.info('nothing of others depends on the provisioning', { provisioningId: config.provisioningId, forced });
    return { ...found, forced };
  }
  const message = inUseMessage(config.provisioningId, found, forced);
  logger.warn(forced ? 'tearing down with force although in use' : 'teardown refused: in use', { inUse: found.inUse, notChecked: found.notChecked });
  if (forced) {
    const omitted = found.inUse.length - MAX_RETURNED;
    return { inUse: found.inUse.slice(0, MAX_RETURNED), forced, notChecked: found.notChecked, ...(omitted > 0 ? { omitted } : {}) };
  }
  if (found.inUse.length > 0) throw new ResourceInUseError(message, found.inUse);
  throw new AccessDeniedError(message);
}
