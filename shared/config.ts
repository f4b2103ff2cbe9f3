import { createHash } from 'node:crypto';
import { ENV, ROLE_NAME_PREFIX, TAG_PROJECT, TAG_PROVISIONING_ID, TAG_VENDOR_KEY, TAG_VENDOR_VALUE, VENDOR_CONTROL_PLANE_ROLE_ARN } from './constants';
import type { AwsTarget } from './aws/clients';
import { oidcIssuerFromUrl } from './iam/trust-policy';
import { planSubnets } from './network/cidr';
import { PRIVATE_ZONE_NAME, partitionOf, regionInfo } from './regions';
import type { ProvisioningRequest } from './request';

/**
 * The normalised provisioning, as `ValidateInput` hands it to every step (`$.config` in the state machine).
 * Everything a step needs is decided here, once: CIDRs, zones, names, tags. Steps never re-derive it.
 */
export interface ProvisioningConfig {
  provisioningId: string;
  projectName: string;
  region: string;
  partition: 'aws' | 'aws-cn' | 'aws-us-gov';
  /**
   * `update`: an in-place update of a live environment (execution `<id>--update-<n>`): a failure is recorded as
   * `UPDATE_FAILED` and never rolled back. Absent (or `create`): a provisioning attempt, rolled back on failure.
   */
  mode?: 'create' | 'update';
  /**
   * The `tags` of the request the resources were made or last updated with, when the registry keeps one that the
   * new request replaces (an update, or a new attempt with a changed request). ApplyTags runs only then: it sets
   * `tags` on every resource and removes these keys where the new request dropped them (never a system key).
   */
  previousTags?: Record<string, string>;
  /** The account the resources are built in (the assumed role's account, or our own). */
  accountId: string;
  targetAccount?: { roleArn: string; externalId: string };
  /** Tags every resource carries (V8 + provisioning ID + the caller's own). */
  tags: Record<string, string>;
  network: {
    vpcCidr: string;
    /**
     * V3: each subnet's zone by name (this account's) and by ID (the physical zone, the same in every account; zone
     * names are shuffled per account). The ID is absent only in configs made before zones were chosen by ID.
     */
    publicSubnet: { cidr: string; availabilityZone: string; availabilityZoneId?: string };
    privateSubnets: { cidr: string; availabilityZone: string; availabilityZoneId?: string }[];
    /** V7: 443 in from `ingressCidrs`, 443 out to `egressCidrs`; unless `strict`, all traffic within the VPC both ways. */
    securityGroup: { ingressCidrs: string[]; egressCidrs: string[]; strict: boolean };
    /** S1: the S3 gateway endpoint on the private route table, present when enabled (the default). */
    s3GatewayEndpoint?: { serviceName: string };
    /** V9, present when enabled. */
    vpcEndpoint?: { serviceName: string };
    /** V10, present when enabled. */
    privateDns?: { zoneName: string; recordName: string };
    /** Ranges the VPC CIDR must not overlap (`network.avoidCidrs`), present when given: the preflight checks them. */
    avoidCidrs?: string[];
  };
  iamRole: {
    name: string;
    path: string;
    permissionsBoundaryArn?: string;
    /** R1, S2: issuer host and path without `https://`, or undefined to keep the guide's placeholder. */
    oidcIssuer?: string;
  };
  /** S1: the bucket. `existing`: the customer's own bucket, checked and never modified or deleted. */
  bucket: { name: string; existing: boolean; kmsKeyArn?: string };
  /** S2: the storage role (path `/`). Its OIDC issuer is `iamRole.oidcIssuer`: the same cluster. */
  storageRole: { name: string; permissionsBoundaryArn?: string };
  /** X1: the cross-account role (path `/`), trusted by `vendorPrincipalArn` only with `externalId`. */
  crossAccountRole: { name: string; externalId: string; vendorPrincipalArn: string; permissionsBoundaryArn?: string };
}

/** The part of the config that undo steps and teardown need: who and where. */
export type TargetConfig = Pick<ProvisioningConfig, 'provisioningId' | 'region' | 'targetAccount'>;

/** Where to act for a config: region plus the customer role, if any. */
export function targetOf(config: TargetConfig): AwsTarget {
  return {
    region: config.region,
    roleArn: config.targetAccount?.roleArn,
    externalId: config.targetAccount?.externalId,
    ...(config.targetAccount ? { provisioningId: config.provisioningId } : {}),
  };
}

/** The roles a provisioning makes, by kind: each defaults to `zilliz-byoc-<projectName>-<kind>-role`. */
export type RoleKind = 'eks' | 'storage' | 'cross-account';

/**
 * Default name of one of our roles (R4, S2, X1): within the vendor's `role/zilliz-byoc*` reach, and at most 63
 * characters for the longest kind with a 32-character project name.
 * @example defaultRoleName('demo') // 'zilliz-byoc-demo-eks-role'
 */
export const defaultRoleName = (projectName: string, kind: RoleKind = 'eks'): string => `${ROLE_NAME_PREFIX}-${projectName}-${kind}-role`;

/**
 * S1: the default bucket name. Bucket names are global across all AWS accounts, so the project name alone would
 * collide between customers; the suffix is the first 8 hex digits of SHA-256 over account, region and
 * provisioning ID: deterministic (a re-run of the same provisioning finds the same bucket), different for every
 * customer and provisioning, and at most 12 + 32 + 7 + 1 + 8 = 60 characters.
 * @example defaultBucketName({ projectName: 'demo', accountId: '123456789012', region: 'us-west-2', provisioningId: 'p-1' }) // 'zilliz-byoc-demo-milvus-xxxxxxxx'
 */
export function defaultBucketName(facts: { projectName: string; accountId: string; region: string; provisioningId: string }): string {
  const suffix = createHash('sha256').update(`${facts.accountId}:${facts.region}:${facts.provisioningId}`).digest('hex').slice(0, 8);
  return `${ROLE_NAME_PREFIX}-${facts.projectName}-milvus-${suffix}`;
}

/** X1: the vendor principal the cross-account role trusts: the deploy parameter when set, else the vendor's own. */
export const vendorPrincipalArn = (): string => process.env[ENV.vendorPrincipalArn] || VENDOR_CONTROL_PLANE_ROLE_ARN;

/**
 * Build the config from a validated request and the facts looked up in the account.
 * @example buildConfig(parseRequest(body), { provisioningId: 'p-1', accountId: '123456789012', availabilityZones: ['us-west-2a','us-west-2b','us-west-2c'] })
 */
export function buildConfig(
  request: ProvisioningRequest & { network: NonNullable<ProvisioningRequest['network']> },
  facts: { provisioningId: string; accountId: string; availabilityZones: string[]; availabilityZoneIds?: string[] },
): ProvisioningConfig {
  const plan = planSubnets(request.network.vpcCidr ?? '');
  const info = regionInfo(request.region);
  if (!info) throw new Error(`region ${request.region} is not supported`); // parseRequest rejects this first
  /** V3: a subnet's zone, with its zone ID when ValidateInput resolved it. */
  const zone = (i: number) => ({ availabilityZone: facts.availabilityZones[i], ...(facts.availabilityZoneIds?.[i] ? { availabilityZoneId: facts.availabilityZoneIds[i] } : {}) });
  const anywhere = ['0.0.0.0/0'];
  return {
    provisioningId: facts.provisioningId,
    projectName: request.projectName,
    region: request.region,
    partition: partitionOf(request.region),
    accountId: facts.accountId,
    ...(request.targetAccount ? { targetAccount: request.targetAccount } : {}),
    tags: {
      ...(request.tags ?? {}),
      [TAG_VENDOR_KEY]: TAG_VENDOR_VALUE,
      [TAG_PROJECT]: request.projectName,
      [TAG_PROVISIONING_ID]: facts.provisioningId,
    },
    network: {
      vpcCidr: plan.vpcCidr,
      publicSubnet: { cidr: plan.publicSubnetCidr, ...zone(0) },
      privateSubnets: plan.privateSubnetCidrs.map((cidr, i) => ({ cidr, ...zone(i) })),
      securityGroup: {
        ingressCidrs: request.network.securityGroup?.ingressCidrs ?? anywhere,
        egressCidrs: request.network.securityGroup?.egressCidrs ?? anywhere,
        strict: request.network.securityGroup?.strict ?? false,
      },
      ...(request.network.s3GatewayEndpoint?.enabled === false ? {} : { s3GatewayEndpoint: { serviceName: `com.amazonaws.${request.region}.s3` } }),
      ...(request.network.vpcEndpoint?.enabled ? { vpcEndpoint: { serviceName: info.endpointServiceName } } : {}),
      ...(request.network.privateDns?.enabled && info.privateDnsRecordName
        ? { privateDns: { zoneName: PRIVATE_ZONE_NAME, recordName: info.privateDnsRecordName } }
        : {}),
      ...(request.network.avoidCidrs?.length ? { avoidCidrs: request.network.avoidCidrs } : {}),
    },
    iamRole: {
      name: request.iamRole?.name ?? defaultRoleName(request.projectName),
      path: request.iamRole?.path ?? '/',
      ...(request.iamRole?.permissionsBoundaryArn ? { permissionsBoundaryArn: request.iamRole.permissionsBoundaryArn } : {}),
      ...(request.iamRole?.oidcIssuerUrl ? { oidcIssuer: oidcIssuerFromUrl(request.iamRole.oidcIssuerUrl, 'iamRole.oidcIssuerUrl') } : {}),
    },
    bucket: {
      name: request.bucket?.name ?? defaultBucketName({ projectName: request.projectName, accountId: facts.accountId, region: request.region, provisioningId: facts.provisioningId }),
      existing: request.bucket?.existing ?? false,
      ...(request.bucket?.kmsKeyArn ? { kmsKeyArn: request.bucket.kmsKeyArn } : {}),
    },
    storageRole: {
      name: request.storageRole?.name ?? defaultRoleName(request.projectName, 'storage'),
      ...(request.storageRole?.permissionsBoundaryArn ? { permissionsBoundaryArn: request.storageRole.permissionsBoundaryArn } : {}),
    },
    crossAccountRole: {
      name: request.crossAccountRole.name ?? defaultRoleName(request.projectName, 'cross-account'),
      externalId: request.crossAccountRole.externalId,
      vendorPrincipalArn: vendorPrincipalArn(),
      ...(request.crossAccountRole.permissionsBoundaryArn ? { permissionsBoundaryArn: request.crossAccountRole.permissionsBoundaryArn } : {}),
    },
  };
}
