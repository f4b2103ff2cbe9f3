import {
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Tag,
} from '@aws-sdk/client-ec2';
import { GetRoleCommand, IAMClient, ListInstanceProfilesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetHostedZoneCommand, ListHostedZonesCommand, ListTagsForResourcesCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetBucketTaggingCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { TAG_PROVISIONING_ID } from '../../shared/constants';
import { REGION } from '../helpers/workflow';

/**
 * A census of moto: every resource of every type the product makes (and the instance profiles and network
 * interfaces that could hold ours), read with plain SDK clients straight from moto - not through the realism layer
 * (no throttling, no faults, no eventual consistency in the count) and not from any state of ours (not
 * shared/leftovers.ts, which the product's own rollback uses). Each resource is filed by type and by the
 * provisioning ID its tag carries; what carries no such tag and was not there at the start (the baseline: moto's
 * default VPC and its parts) is filed under {@link UNTAGGED}.
 */

/** The types counted, in the order they are printed. */
export const CENSUS_TYPES = [
  'VPC',
  'subnet',
  'internet gateway',
  'Elastic IP',
  'NAT gateway',
  'route table',
  'security group',
  'security group rule',
  'VPC endpoint',
  'network interface',
  'hosted zone',
  'IAM role',
  'instance profile',
  'S3 bucket',
] as const;
export type CensusType = (typeof CENSUS_TYPES)[number];

/** The owner of a resource that carries no provisioning-ID tag. */
export const UNTAGGED = '(untagged)';

export interface CensusEntry {
  type: CensusType;
  id: string;
  /** The provisioning ID of its tag, or {@link UNTAGGED}. */
  owner: string;
  /** The VPC it lives in, when it lives in one. */
  vpcId?: string;
  /** IDs of other resources it refers to (a route's gateway, a NAT gateway's subnet, a zone's VPCs...). */
  refs: string[];
}

export interface Census {
  entries: CensusEntry[];
  /** Entries of one owner (a provisioning ID, or {@link UNTAGGED}). */
  of(owner: string): CensusEntry[];
  /** How many of each type an owner has (types with none left out). */
  countsOf(owner: string): Partial<Record<CensusType, number>>;
  /** The owners found (provisioning IDs, and {@link UNTAGGED} when anything new is untagged). */
  owners(): string[];
}

const endpointUrl = (): string => {
  const url = process.env.AWS_ENDPOINT_URL;
  if (!url) throw new Error('census: AWS_ENDPOINT_URL is not set (start moto first)');
  return url;
};

/** Plain clients on moto, without the realism layer, retrying moto's own hiccups. */
function clients() {
  const config = { region: REGION, endpoint: endpointUrl(), maxAttempts: 5, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  return { ec2: new EC2Client(config), iam: new IAMClient(config), route53: new Route53Client(config), s3: new S3Client({ ...config, forcePathStyle: true }) };
}

const ownerOf = (tags: Tag[] | { Key?: string; Value?: string }[] | undefined): string => tags?.find((t) => t.Key === TAG_PROVISIONING_ID)?.Value ?? UNTAGGED;
const bareZoneId = (id: string): string => id.replace('/hostedzone/', '');
const defined = (values: (string | undefined)[]): string[] => values.filter((v): v is string => Boolean(v));

/** Run `fn` over items, at most `width` at a time. */
async function pool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

/** Read every resource of every type from moto. Resources in `baseline` (by ID) are left out. */
export async function takeCensus(baseline: ReadonlySet<string> = new Set()): Promise<Census> {
  const { ec2, iam, route53, s3 } = clients();
  try {
    const entries: CensusEntry[] = [];
    const add = (e: CensusEntry) => {
      if (!baseline.has(e.id)) entries.push(e);
    };
    const [vpcs, subnets, igws, eips, nats, tables, groups, rules, endpoints, enis] = await Promise.all([
      ec2.send(new DescribeVpcsCommand({})),
      ec2.send(new DescribeSubnetsCommand({})),
      ec2.send(new DescribeInternetGatewaysCommand({})),
      ec2.send(new DescribeAddressesCommand({})),
      ec2.send(new DescribeNatGatewaysCommand({})),
      ec2.send(new DescribeRouteTablesCommand({})),
      ec2.send(new DescribeSecurityGroupsCommand({})),
      ec2.send(new DescribeSecurityGroupRulesCommand({})),
      ec2.send(new DescribeVpcEndpointsCommand({})),
      ec2.send(new DescribeNetworkInterfacesCommand({})),
    ]);
    for (const v of vpcs.Vpcs ?? []) add({ type: 'VPC', id: v.VpcId!, owner: ownerOf(v.Tags), vpcId: v.VpcId, refs: [] });
    for (const s of subnets.Subnets ?? []) add({ type: 'subnet', id: s.SubnetId!, owner: ownerOf(s.Tags), vpcId: s.VpcId, refs: [] });
    for (const g of igws.InternetGateways ?? []) {
      add({ type: 'internet gateway', id: g.InternetGatewayId!, owner: ownerOf(g.Tags), vpcId: g.Attachments?.[0]?.VpcId, refs: defined((g.Attachments ?? []).map((a) => a.VpcId)) });
    }
    for (const a of eips.Addresses ?? []) add({ type: 'Elastic IP', id: a.AllocationId!, owner: ownerOf(a.Tags), refs: defined([a.NetworkInterfaceId]) });
    // A NAT gateway that is `deleted` is gone (AWS lists it for an hour); `deleting` still counts.
    for (const n of (nats.NatGateways ?? []).filter((n) => n.State !== 'deleted')) {
      add({ type: 'NAT gateway', id: n.NatGatewayId!, owner: ownerOf(n.Tags), vpcId: n.VpcId, refs: defined([n.SubnetId, ...(n.NatGatewayAddresses ?? []).map((a) => a.AllocationId)]) });
    }
    for (const t of tables.RouteTables ?? []) {
      const refs = defined([...(t.Routes ?? []).flatMap((r) => [r.GatewayId === 'local' ? undefined : r.GatewayId, r.NatGatewayId]), ...(t.Associations ?? []).map((a) => a.SubnetId)]);
      add({ type: 'route table', id: t.RouteTableId!, owner: ownerOf(t.Tags), vpcId: t.VpcId, refs });
    }
    for (const g of groups.SecurityGroups ?? []) add({ type: 'security group', id: g.GroupId!, owner: ownerOf(g.Tags), vpcId: g.VpcId, refs: [] });
    for (const r of rules.SecurityGroupRules ?? []) {
      add({ type: 'security group rule', id: r.SecurityGroupRuleId!, owner: ownerOf(r.Tags), refs: defined([r.GroupId, r.ReferencedGroupInfo?.GroupId === r.GroupId ? undefined : r.ReferencedGroupInfo?.GroupId]) });
    }
    for (const e of (endpoints.VpcEndpoints ?? []).filter((e) => (e.State ?? '').toLowerCase() !== 'deleted')) {
      add({ type: 'VPC endpoint', id: e.VpcEndpointId!, owner: ownerOf(e.Tags), vpcId: e.VpcId, refs: defined([...(e.RouteTableIds ?? []), ...(e.SubnetIds ?? []), ...(e.Groups ?? []).map((g) => g.GroupId)]) });
    }
    // Interfaces AWS makes for our NAT gateway and endpoints carry no tag of ours: they go with them. AWS removes a
    // NAT gateway's interface with it; moto keeps it after the gateway is `deleted`: not counted then.
    const goneNatInterfaces = new Set((nats.NatGateways ?? []).filter((n) => n.State === 'deleted').flatMap((n) => (n.NatGatewayAddresses ?? []).map((a) => a.NetworkInterfaceId)));
    for (const n of (enis.NetworkInterfaces ?? []).filter((n) => !goneNatInterfaces.has(n.NetworkInterfaceId))) {
      add({ type: 'network interface', id: n.NetworkInterfaceId!, owner: ownerOf(n.TagSet), vpcId: n.VpcId, refs: defined([n.SubnetId, ...(n.Groups ?? []).map((g) => g.GroupId)]) });
    }

    const zones = (await route53.send(new ListHostedZonesCommand({}))).HostedZones ?? [];
    const zoneIds = zones.map((z) => bareZoneId(z.Id!)).filter((id) => !baseline.has(id));
    const zoneOwner = new Map<string, string>();
    for (let i = 0; i < zoneIds.length; i += 10) {
      const out = await route53.send(new ListTagsForResourcesCommand({ ResourceType: 'hostedzone', ResourceIds: zoneIds.slice(i, i + 10) }));
      for (const set of out.ResourceTagSets ?? []) zoneOwner.set(set.ResourceId!, ownerOf(set.Tags));
    }
    const zoneVpcs = await pool(zoneIds, 8, async (id) => ((await route53.send(new GetHostedZoneCommand({ Id: id }))).VPCs ?? []).map((v) => v.VPCId!));
    zoneIds.forEach((id, i) => add({ type: 'hosted zone', id, owner: zoneOwner.get(id) ?? UNTAGGED, vpcId: zoneVpcs[i][0], refs: zoneVpcs[i] }));

    const roles: { RoleName?: string }[] = [];
    let marker: string | undefined;
    do {
      const page = await iam.send(new ListRolesCommand({ Marker: marker }));
      roles.push(...(page.Roles ?? []));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    const newRoles = roles.map((r) => r.RoleName!).filter((n) => !baseline.has(n));
    const roleTags = await pool(newRoles, 8, async (name) => (await iam.send(new GetRoleCommand({ RoleName: name }))).Role?.Tags);
    newRoles.forEach((name, i) => add({ type: 'IAM role', id: name, owner: ownerOf(roleTags[i]), refs: [] }));
    for (const p of (await iam.send(new ListInstanceProfilesCommand({}))).InstanceProfiles ?? []) {
      add({ type: 'instance profile', id: p.InstanceProfileName!, owner: ownerOf(p.Tags), refs: defined((p.Roles ?? []).map((r) => r.RoleName)) });
    }

    const buckets = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!).filter((n) => !baseline.has(n));
    const bucketTags = await pool(buckets, 8, async (name) => (await s3.send(new GetBucketTaggingCommand({ Bucket: name })).catch(() => undefined))?.TagSet);
    buckets.forEach((name, i) => add({ type: 'S3 bucket', id: name, owner: ownerOf(bucketTags[i]), refs: [] }));

    return censusOf(entries);
  } finally {
    for (const c of Object.values({ ec2, iam, route53, s3 })) c.destroy();
  }
}

function censusOf(entries: CensusEntry[]): Census {
  return {
    entries,
    of: (owner) => entries.filter((e) => e.owner === owner),
    countsOf(owner) {
      const out: Partial<Record<CensusType, number>> = {};
      for (const e of entries) if (e.owner === owner) out[e.type] = (out[e.type] ?? 0) + 1;
      return out;
    },
    owners: () => [...new Set(entries.map((e) => e.owner))].sort(),
  };
}

/** The IDs of everything in moto now: what a census later leaves out (moto's default VPC, subnets, groups...). */
export async function baselineIds(): Promise<Set<string>> {
  return new Set((await takeCensus()).entries.map((e) => e.id));
}

/**
 * What a provisioning left that AWS made for us inside our VPC and that goes with it (the main route table, the
 * default security group and its rules, the interfaces of our NAT gateway and endpoints): untagged, but in one of
 * the given VPCs, or referring to one of the given resources.
 */
export function belongsToAny(entry: CensusEntry, ids: ReadonlySet<string>): boolean {
  return (entry.vpcId !== undefined && ids.has(entry.vpcId)) || entry.refs.some((r) => ids.has(r));
}

/**
 * Resources of `owner` beyond what one clean provisioning makes (`reference`, counts by type): duplicates.
 * Returns a line per type with more than the reference, empty when there are none.
 */
export function duplicatesOf(census: Census, owner: string, reference: Partial<Record<CensusType, number>>): string[] {
  const counts = census.countsOf(owner);
  return CENSUS_TYPES.filter((t) => (counts[t] ?? 0) > (reference[t] ?? 0)).map(
    (t) => `${owner}: ${counts[t]} ${t}(s) where one provisioning makes ${reference[t] ?? 0} (${census.of(owner).filter((e) => e.type === t).map((e) => e.id).join(', ')})`,
  );
}

/**
 * Everything of `owner` that refers to a resource tagged with another provisioning's ID (a subnet in another's
 * VPC, a route to another's NAT gateway, a zone on another's VPC...): must be empty when provisionings run side by
 * side. Returns a line per crossing.
 */
export function crossingsOf(census: Census, owner: string): string[] {
  const ownerById = new Map(census.entries.map((e) => [e.id, e.owner]));
  const out: string[] = [];
  for (const e of census.of(owner)) {
    for (const ref of [e.vpcId, ...e.refs].filter((r): r is string => Boolean(r))) {
      const other = ownerById.get(ref);
      if (other && other !== owner && other !== UNTAGGED) out.push(`${e.type} ${e.id} of ${owner} refers to ${ref} of ${other}`);
    }
  }
  return out;
}

/** A one-line summary of an owner's counts, by type, for messages. */
export const describeCounts = (counts: Partial<Record<CensusType, number>>): string =>
  CENSUS_TYPES.filter((t) => counts[t]).map((t) => `${t}=${counts[t]}`).join(' ') || 'nothing';
