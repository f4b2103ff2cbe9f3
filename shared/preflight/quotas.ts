import {
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  type Filter,
  type Tag,
} from '@aws-sdk/client-ec2';
import { ListRolesCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import type { ProvisioningConfig } from '../config';
import { TAG_PROVISIONING_ID } from '../constants';
import { RetryableAwsError } from '../errors';
import { awsErrorCode, translateAwsError } from '../aws/translate-error';
import type { Finding, PreflightDeps, QuotaSource, QuotaUse } from './types';

/**
 * The quotas a provisioning uses, by Service Quotas' service and quota codes, with AWS's documented default for
 * when Service Quotas cannot be read. Sources (AWS documentation, as of 2025):
 * - `vpc` codes and defaults: Amazon VPC User Guide, "Amazon VPC quotas" (VPCs per Region 5; internet gateways per
 *   Region 5; NAT gateways per Availability Zone 5; gateway VPC endpoints per Region 20; interface VPC endpoints per
 *   VPC 50). moto 5.2's Service Quotas table carries the same codes and values.
 * - `ec2` L-0263D0A3: Amazon EC2 User Guide, "Elastic IP address quota" (5 per Region).
 * - `iam` L-FE177D64: IAM User Guide, "IAM and AWS STS quotas" (roles per account, 1000); read in us-east-1.
 * - `s3` L-DC2B2D3D: Amazon S3 User Guide, "General purpose bucket quotas" (10,000 per account since November 2024;
 *   viewed and raised only in US East (N. Virginia) for the commercial Regions).
 * `alias` is the short name the local stack's fault spec takes (`quota:vpc=0`).
 */
export const QUOTAS = {
  vpcs: { alias: 'vpc', serviceCode: 'vpc', quotaCode: 'L-F678F1CE', name: 'VPCs per Region', documentedDefault: 5, global: false },
  internetGateways: { alias: 'igw', serviceCode: 'vpc', quotaCode: 'L-A4707A72', name: 'Internet gateways per Region', documentedDefault: 5, global: false },
  elasticIps: { alias: 'eip', serviceCode: 'ec2', quotaCode: 'L-0263D0A3', name: 'EC2-VPC Elastic IPs', documentedDefault: 5, global: false },
  natGatewaysPerZone: { alias: 'nat', serviceCode: 'vpc', quotaCode: 'L-FE5A380F', name: 'NAT gateways per Availability Zone', documentedDefault: 5, global: false },
  gatewayEndpoints: { alias: 'gateway-endpoint', serviceCode: 'vpc', quotaCode: 'L-1B52E74A', name: 'Gateway VPC endpoints per Region', documentedDefault: 20, global: false },
  interfaceEndpointsPerVpc: { alias: 'interface-endpoint', serviceCode: 'vpc', quotaCode: 'L-29B6F2EB', name: 'Interface VPC endpoints per VPC', documentedDefault: 50, global: false },
  roles: { alias: 'role', serviceCode: 'iam', quotaCode: 'L-FE177D64', name: 'Roles per account', documentedDefault: 1000, global: true },
  buckets: { alias: 'bucket', serviceCode: 's3', quotaCode: 'L-DC2B2D3D', name: 'General purpose buckets', documentedDefault: 10_000, global: true },
} as const;

export type QuotaKey = keyof typeof QUOTAS;
export type QuotaSpec = (typeof QUOTAS)[QuotaKey];

/** The quota a fault-spec name or code means (`vpc`, `L-F678F1CE`), or undefined. @example quotaByName('eip')?.quotaCode // 'L-0263D0A3' */
export const quotaByName = (name: string): QuotaSpec | undefined => Object.values(QUOTAS).find((q) => q.alias === name || q.quotaCode === name);

/** Where an account-wide quota (IAM, S3) is read: the partition's main region. */
const globalQuotaRegion = (partition: ProvisioningConfig['partition']): string => ({ aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' })[partition];

const isThrottling = (error: unknown): boolean => translateAwsError(error, 'read a quota') instanceof RetryableAwsError && /Throttl|TooManyRequests|RequestLimitExceeded/.test(awsErrorCode(error));

/**
 * The quota's limit: the account's applied value (GetServiceQuota), else AWS's default for it
 * (GetAWSDefaultServiceQuota: Service Quotas knows the quota but the account has no applied value), else the
 * documented default of {@link QUOTAS}. `denied` when Service Quotas refused us (servicequotas:GetServiceQuota).
 */
async function limitOf(spec: QuotaSpec, region: string, deps: PreflightDeps): Promise<{ limit: number; source: QuotaSource; denied?: boolean }> {
  const client = deps.serviceQuotas(region);
  const ask = { ServiceCode: spec.serviceCode, QuotaCode: spec.quotaCode };
  let denied = false;
  try {
    const value = (await client.send(new GetServiceQuotaCommand(ask))).Quota?.Value;
    if (typeof value === 'number') return { limit: value, source: 'service-quotas' };
  } catch (error) {
    if (isThrottling(error)) throw translateAwsError(error, `read the quota ${spec.name} (${spec.quotaCode})`);
    denied = /AccessDenied/.test(awsErrorCode(error));
  }
  try {
    const value = (await client.send(new GetAWSDefaultServiceQuotaCommand(ask))).Quota?.Value;
    if (typeof value === 'number') return { limit: value, source: 'aws-default', ...(denied ? { denied } : {}) };
  } catch (error) {
    if (isThrottling(error)) throw translateAwsError(error, `read the default of quota ${spec.name} (${spec.quotaCode})`);
    denied ||= /AccessDenied/.test(awsErrorCode(error));
  }
  return { limit: spec.documentedDefault, source: 'documented-default', ...(denied ? { denied } : {}) };
}

const ours = (tags: Tag[] | undefined, provisioningId: string): boolean => tags?.some((t) => t.Key === TAG_PROVISIONING_ID && t.Value === provisioningId) ?? false;

/** Every page of an EC2 Describe call. */
async function pages<T>(fetch: (token: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    all.push(...page.items);
    token = page.next;
  } while (token);
  return all;
}

const LIVE_NAT: Filter = { Name: 'state', Values: ['pending', 'available'] };
const LIVE_ENDPOINT_STATES = new Set(['pendingacceptance', 'pending', 'available', 'modifying']);

/** One count: what is in use in the scope, and how much of it this provisioning made already. */
interface Count {
  scope: string;
  used: number;
  ours: number;
}

/** How many this provisioning makes of each quota's resource (only the quotas it touches). */
function plannedOf(config: ProvisioningConfig, existingRoleNames: number): Partial<Record<QuotaKey, number>> {
  return {
    vpcs: 1,
    internetGateways: 1,
    elasticIps: 1,
    natGatewaysPerZone: 1,
    ...(config.network.s3GatewayEndpoint ? { gatewayEndpoints: 1 } : {}),
    ...(config.network.vpcEndpoint ? { interfaceEndpointsPerVpc: 1 } : {}),
    roles: 3 - existingRoleNames,
    ...(config.bucket.existing ? {} : { buckets: 1 }),
  };
}

/** Count what is in use for each quota the provisioning touches (EC2 Describe calls, IAM ListRoles, S3 ListBuckets). */
async function countUse(key: QuotaKey, config: ProvisioningConfig, deps: PreflightDeps, ourRoleNames: Set<string>): Promise<Count> {
  const { ec2 } = deps;
  const id = config.provisioningId;
  switch (key) {
    case 'vpcs': {
      const vpcs = await pages((NextToken) => ec2.send(new DescribeVpcsCommand({ NextToken, MaxResults: 1000 })).then((o) => ({ items: o.Vpcs ?? [], next: o.NextToken })));
      return { scope: config.region, used: vpcs.length, ours: vpcs.filter((v) => ours(v.Tags, id)).length };
    }
    case 'internetGateways': {
      const igws = await pages((NextToken) => ec2.send(new DescribeInternetGatewaysCommand({ NextToken, MaxResults: 1000 })).then((o) => ({ items: o.InternetGateways ?? [], next: o.NextToken })));
      return { scope: config.region, used: igws.length, ours: igws.filter((g) => ours(g.Tags, id)).length };
    }
    case 'elasticIps': {
      const addresses = (await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'domain', Values: ['vpc'] }] }))).Addresses ?? [];
      return { scope: config.region, used: addresses.length, ours: addresses.filter((a) => ours(a.Tags, id)).length };
    }
    case 'natGatewaysPerZone': {
      const zone = config.network.publicSubnet;
      const nats = await pages((NextToken) => ec2.send(new DescribeNatGatewaysCommand({ NextToken, MaxResults: 1000, Filter: [LIVE_NAT] })).then((o) => ({ items: o.NatGateways ?? [], next: o.NextToken })));
      const subnetIds = [...new Set(nats.map((n) => n.SubnetId).filter((s): s is string => Boolean(s)))];
      const subnets = subnetIds.length === 0 ? [] : ((await ec2.send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }))).Subnets ?? []);
      const inZone = new Set(subnets.filter((s) => (zone.availabilityZoneId ? s.AvailabilityZoneId === zone.availabilityZoneId : s.AvailabilityZone === zone.availabilityZone)).map((s) => s.SubnetId));
      const here = nats.filter((n) => n.SubnetId && inZone.has(n.SubnetId));
      return { scope: `${zone.availabilityZone}${zone.availabilityZoneId ? ` (${zone.availabilityZoneId})` : ''}`, used: here.length, ours: here.filter((n) => ours(n.Tags, id)).length };
    }
    case 'gatewayEndpoints':
    case 'interfaceEndpointsPerVpc': {
      const type = key === 'gatewayEndpoints' ? 'Gateway' : 'Interface';
      const endpoints = (
        await pages((NextToken) =>
          ec2.send(new DescribeVpcEndpointsCommand({ NextToken, MaxResults: 1000, Filters: [{ Name: 'vpc-endpoint-type', Values: [type] }] })).then((o) => ({ items: o.VpcEndpoints ?? [], next: o.NextToken })),
        )
      ).filter((e) => LIVE_ENDPOINT_STATES.has((e.State ?? 'available').toLowerCase()));
      if (key === 'gatewayEndpoints') return { scope: config.region, used: endpoints.length, ours: endpoints.filter((e) => ours(e.Tags, id)).length };
      // Per VPC: ours is new (nothing in it yet) unless an earlier attempt made it.
      const ourVpcs = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: `tag:${TAG_PROVISIONING_ID}`, Values: [id] }] }))).Vpcs ?? [];
      const vpcIds = new Set(ourVpcs.map((v) => v.VpcId));
      const inOurVpc = endpoints.filter((e) => e.VpcId && vpcIds.has(e.VpcId));
      return { scope: ourVpcs[0]?.VpcId ? `VPC ${ourVpcs[0].VpcId}` : 'the new VPC', used: inOurVpc.length, ours: inOurVpc.filter((e) => ours(e.Tags, id)).length };
    }
    case 'roles': {
      let used = 0;
      let Marker: string | undefined;
      do {
        const out = await deps.iam.send(new ListRolesCommand({ Marker, MaxItems: 1000 }));
        used += out.Roles?.length ?? 0;
        Marker = out.IsTruncated ? out.Marker : undefined;
      } while (Marker);
      return { scope: `account ${config.accountId}`, used, ours: ourRoleNames.size };
    }
    case 'buckets': {
      let used = 0;
      let ContinuationToken: string | undefined;
      do {
        const out = await deps.s3.send(new ListBucketsCommand({ MaxBuckets: 1000, ContinuationToken }));
        used += out.Buckets?.length ?? 0;
        ContinuationToken = out.ContinuationToken;
      } while (ContinuationToken);
      return { scope: `account ${config.accountId}`, used, ours: 0 };
    }
  }
}

const SERVICE_TITLES: Record<string, string> = { vpc: 'Amazon Virtual Private Cloud (Amazon VPC)', ec2: 'Amazon Elastic Compute Cloud (Amazon EC2)', iam: 'AWS Identity and Access Management (IAM)', s3: 'Amazon Simple Storage Service (Amazon S3)' };

/** How to raise a quota: the console page and the CLI call, in the region Service Quotas keeps it in. */
export function raiseQuotaFix(spec: QuotaSpec, region: string, desired: number): string {
  return (
    `raise the quota in the Service Quotas console (${region}: AWS services > ${SERVICE_TITLES[spec.serviceCode]} > "${spec.name}", Request increase at account level), ` +
    `or: aws service-quotas request-service-quota-increase --service-code ${spec.serviceCode} --quota-code ${spec.quotaCode} --desired-value ${desired} --region ${region} ` +
    '(RequestServiceQuotaIncrease); or free some of what uses it'
  );
}

/**
 * Quotas: for each quota the provisioning uses, what is in use (counted with Describe/List calls) against the limit
 * (Service Quotas where it answers, else AWS's documented default), and how many more this provisioning makes. No
 * headroom is an error naming the quota (name and code) and how to raise it. A limit we could only take from the
 * documented defaults while the account already uses more than that default (so its quota was raised) is a
 * warning: the real limit is unknown.
 *
 * `ourRoleNames`: the role names of this provisioning that exist already (an earlier attempt made them).
 * `bucketIsOurs`: the bucket exists already and is this provisioning's.
 */
export async function checkQuotas(
  config: ProvisioningConfig,
  deps: PreflightDeps,
  facts: { ourRoleNames: Set<string>; bucketIsOurs: boolean },
): Promise<{ findings: Finding[]; quotas: QuotaUse[] }> {
  const planned = plannedOf(config, facts.ourRoleNames.size);
  const findings: Finding[] = [];
  let deniedOnce = false;
  const quotas = await Promise.all(
    (Object.keys(planned) as QuotaKey[]).map(async (key): Promise<QuotaUse> => {
      const spec = QUOTAS[key];
      const region = spec.global ? globalQuotaRegion(config.partition) : config.region;
      let count: Count;
      try {
        count = await countUse(key, config, deps, facts.ourRoleNames);
      } catch (error) {
        throw translateAwsError(error, `count what uses the quota ${spec.name}`);
      }
      const { limit, source, denied } = await limitOf(spec, region, deps);
      deniedOnce ||= Boolean(denied);
      const alreadyOurs = key === 'buckets' && facts.bucketIsOurs ? 1 : count.ours;
      const needed = Math.max(0, (planned[key] ?? 0) - (key === 'roles' ? 0 : alreadyOurs));
      const use: QuotaUse = { name: spec.name, serviceCode: spec.serviceCode, quotaCode: spec.quotaCode, scope: count.scope, limit, source, used: count.used, ours: alreadyOurs, needed };
      if (needed > 0 && count.used + needed > limit) {
        const quota = { serviceCode: spec.serviceCode, quotaCode: spec.quotaCode, name: spec.name };
        const what = `${spec.name} (${spec.serviceCode} ${spec.quotaCode}): ${count.used} of ${limit} in use in ${count.scope}; this provisioning needs ${needed} more`;
        if (source === 'documented-default' && count.used > limit) {
          findings.push({
            check: 'quota',
            severity: 'warning',
            message: `${what}, but the limit is AWS's documented default (Service Quotas did not answer) and the account already uses more than it, so its quota was raised: the real limit is unknown.`,
            fix: `check the quota in the Service Quotas console (${region}); the preflight reads it with servicequotas:GetServiceQuota`,
            quota,
          });
        } else {
          findings.push({ check: 'quota', severity: 'error', message: `${what} (limit from ${source}).`, fix: raiseQuotaFix(spec, region, count.used + needed), quota });
        }
      }
      return use;
    }),
  );
  if (deniedOnce) {
    findings.push({
      check: 'quota',
      severity: 'warning',
      message: 'Service Quotas refused to show the account\'s quotas (servicequotas:GetServiceQuota / GetAWSDefaultServiceQuota denied): the limits used are AWS\'s defaults, and a raised quota is not seen.',
      fix: 'allow servicequotas:GetServiceQuota and servicequotas:GetAWSDefaultServiceQuota to the role the provisioner uses (deploy/customer-role.yaml grants them)',
    });
  }
  return { findings, quotas };
}
