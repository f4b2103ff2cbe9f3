/**
 * V1: the regions the BYOC product supports, with the Zilliz endpoint service (V9) and the private DNS record
 * name (V10) of each. Sources: docs/requirements.md (V1, V9, V10) and docs/decisions.md.
 *
 * This is data: add a region by adding a row. `BYOC_EXTRA_REGIONS` (JSON, same shape, keyed by region) can add
 * or override rows at run time without a code change, e.g. for a region the vendor opens before we ship.
 */
export interface RegionInfo {
  /** Human name of the location. */
  location: string;
  /** V9: the Zilliz BYOC VPC endpoint service name in this region. */
  endpointServiceName: string;
  /** V10: the alias record name in the private hosted zone; undefined where the guide gives none. */
  privateDnsRecordName?: string;
}

const BUILT_IN: Record<string, RegionInfo> = {
  'us-west-2': {
    location: 'Oregon',
    endpointServiceName: 'com.amazonaws.vpce.us-west-2.vpce-svc-0654fb016640c364a',
    privateDnsRecordName: 'zilliz-byoc-us',
  },
  'eu-central-1': {
    location: 'Frankfurt',
    endpointServiceName: 'com.amazonaws.vpce.eu-central-1.vpce-svc-0d5ce1ec4decbc7df',
    privateDnsRecordName: 'zilliz-byoc-eu',
  },
  'us-east-1': {
    location: 'N. Virginia',
    endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0fba0381a771dbf58',
  },
  'eu-west-1': {
    location: 'Ireland',
    endpointServiceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0a1c8f7a8830b16b9',
  },
  'ap-east-1': {
    location: 'Hong Kong',
    endpointServiceName: 'com.amazonaws.vpce.ap-east-1.vpce-svc-097cd6a5dcf5edcce',
  },
};

/**
 * V3: zone IDs where Amazon EKS cannot place a cluster, so no subnet of ours goes there. By zone ID, not name: AWS
 * shuffles zone names per account (one account's `us-east-1a` is another's `us-east-1c`), zone IDs name the physical
 * zone everywhere.
 *
 * Source: Amazon EKS User Guide, "View Amazon EKS networking requirements for VPC and subnets", section "Subnet
 * requirements for clusters" (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#network-requirements-subnets):
 * "subnets can't reside in" use1-az3 (us-east-1), usw1-az2 (us-west-1), cac1-az3 (ca-central-1). Kept for every
 * region the guide names, not only ours, so a row added through `BYOC_EXTRA_REGIONS` is covered too.
 */
const EKS_UNSUPPORTED_ZONE_IDS: Record<string, readonly string[]> = {
  'us-east-1': ['use1-az3'],
  'us-west-1': ['usw1-az2'],
  'ca-central-1': ['cac1-az3'],
};

/**
 * V3: the zone IDs of a region where Amazon EKS cannot place a cluster (see the table above for the source).
 * @example eksUnsupportedZoneIds('us-east-1') // ['use1-az3']
 */
export const eksUnsupportedZoneIds = (region: string): readonly string[] => EKS_UNSUPPORTED_ZONE_IDS[region] ?? [];

/** V10: the private hosted zone the guide's optional step 4 creates. */
export const PRIVATE_ZONE_NAME = 'byoc.zillizcloud.com';

/** The region table in force: built-in rows plus `BYOC_EXTRA_REGIONS`. */
export function regionTable(env: NodeJS.ProcessEnv = process.env): Record<string, RegionInfo> {
  const extra = env.BYOC_EXTRA_REGIONS ? (JSON.parse(env.BYOC_EXTRA_REGIONS) as Record<string, RegionInfo>) : {};
  return { ...BUILT_IN, ...extra };
}

/** The supported region names, sorted (for error messages and the schema). */
export function supportedRegions(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(regionTable(env)).sort();
}

/**
 * Look up a supported region.
 * @returns undefined when the region is not supported.
 * @example regionInfo('us-west-2')?.privateDnsRecordName // 'zilliz-byoc-us'
 */
export function regionInfo(region: string, env: NodeJS.ProcessEnv = process.env): RegionInfo | undefined {
  const table = regionTable(env);
  // Own rows only: `constructor` or `__proto__` is no region, whatever an object inherits.
  return Object.hasOwn(table, region) ? table[region] : undefined;
}

/** The AWS partition a region belongs to (ARNs of managed policies and OIDC providers depend on it). */
export function partitionOf(region: string): 'aws' | 'aws-cn' | 'aws-us-gov' {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
