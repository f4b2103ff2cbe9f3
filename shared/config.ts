import { TAG_PROJECT, TAG_PROVISIONING_ID, TAG_VENDOR_KEY, TAG_VENDOR_VALUE } from './constants';
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
  /** The account the resources are built in (the assumed role's account, or our own). */
  accountId: string;
  targetAccount?: { roleArn: string; externalId: string };
  /** Tags every resource carries (V8 + provisioning ID + the caller's own). */
  tags: Record<string, string>;
  network: {
    vpcCidr: string;
    publicSubnet: { cidr: string; availabilityZone: string };
    privateSubnets: { cidr: string; availabilityZone: string }[];
    securityGroup: { ingressCidrs: string[]; egressCidrs: string[] };
    /** V9, present when enabled. */
    vpcEndpoint?: { serviceName: string };
    /** V10, present when enabled. */
    privateDns?: { zoneName: string; recordName: string };
  };
  iamRole: {
    name: string;
    path: string;
    permissionsBoundaryArn?: string;
    /** R1: issuer host and path without `https://`, or undefined to keep the guide's placeholder. */
    oidcIssuer?: string;
  };
}

/** The part of the config that undo steps and teardown need: who and where. */
export type TargetConfig = Pick<ProvisioningConfig, 'provisioningId' | 'region' | 'targetAccount'>;

/** Where to act for a config: region plus the customer role, if any. */
export function targetOf(config: TargetConfig): AwsTarget {
  return { region: config.region, roleArn: config.targetAccount?.roleArn, externalId: config.targetAccount?.externalId };
}

/** Default EKS role name for a project (R4 hands its ARN back). */
export const defaultRoleName = (projectName: string): string => `${projectName}-eks-role`.slice(0, 64);

/**
 * Build the config from a validated request and the facts looked up in the account.
 * @example buildConfig(parseRequest(body), { provisioningId: 'p-1', accountId: '123456789012', availabilityZones: ['us-west-2a','us-west-2b','us-west-2c'] })
 */
export function buildConfig(
  request: ProvisioningRequest & { network: NonNullable<ProvisioningRequest['network']> },
  facts: { provisioningId: string; accountId: string; availabilityZones: string[] },
): ProvisioningConfig {
  const plan = planSubnets(request.network.vpcCidr ?? '');
  const info = regionInfo(request.region);
  if (!info) throw new Error(`region ${request.region} is not supported`); // parseRequest rejects this first
  const [zoneA] = facts.availabilityZones;
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
      publicSubnet: { cidr: plan.publicSubnetCidr, availabilityZone: zoneA },
      privateSubnets: plan.privateSubnetCidrs.map((cidr, i) => ({ cidr, availabilityZone: facts.availabilityZones[i] })),
      securityGroup: {
        ingressCidrs: request.network.securityGroup?.ingressCidrs ?? anywhere,
        egressCidrs: request.network.securityGroup?.egressCidrs ?? anywhere,
      },
      ...(request.network.vpcEndpoint?.enabled ? { vpcEndpoint: { serviceName: info.endpointServiceName } } : {}),
      ...(request.network.privateDns?.enabled && info.privateDnsRecordName
        ? { privateDns: { zoneName: PRIVATE_ZONE_NAME, recordName: info.privateDnsRecordName } }
        : {}),
    },
    iamRole: {
      name: request.iamRole?.name ?? defaultRoleName(request.projectName),
      path: request.iamRole?.path ?? '/',
      ...(request.iamRole?.permissionsBoundaryArn ? { permissionsBoundaryArn: request.iamRole.permissionsBoundaryArn } : {}),
      ...(request.iamRole?.oidcIssuerUrl ? { oidcIssuer: oidcIssuerFromUrl(request.iamRole.oidcIssuerUrl, 'iamRole.oidcIssuerUrl') } : {}),
    },
  };
}
