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
  return regionTable(env)[region];
}

/** The AWS partition a region belongs to (ARNs of managed policies and OIDC providers depend on it). */
export function partitionOf(region: string): 'aws' | 'aws-cn' | 'aws-us-gov' {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
