import type { ProvisioningOutputs } from '../state';

/**
 * The attributes of a `Custom::ByocProvisioning` resource (`!GetAtt Byoc.VpcId`): every flat output field, in
 * PascalCase, as strings. The nested `console` and `vendorApi` groups repeat the flat fields in other shapes, and
 * `privateSubnets` repeats `privateSubnetIds` with zones and CIDRs: they stay out, so the response stays far below
 * CloudFormation's 4,096-byte limit (see {@link MAX_RESPONSE_BYTES} and the size test).
 *
 * The key list is the contract: every attribute is present in every SUCCESS answer (Create, replacement, in-place
 * Update, unchanged Update), so a stack's `!GetAtt` never breaks on a missing key. A value the provisioning does
 * not have (no VPC endpoint asked for) is the empty string.
 */
export const ATTRIBUTES = {
  ProvisioningId: 'provisioningId',
  Region: 'region',
  AccountId: 'accountId',
  VpcId: 'vpcId',
  /** Comma-separated (`!Split [',', !GetAtt Byoc.PrivateSubnetIds]` gives the list back). */
  PrivateSubnetIds: 'privateSubnetIds',
  PublicSubnetId: 'publicSubnetId',
  SecurityGroupId: 'securityGroupId',
  NatGatewayId: 'natGatewayId',
  InternetGatewayId: 'internetGatewayId',
  VpcEndpointId: 'vpcEndpointId',
  VpcEndpointDnsName: 'vpcEndpointDnsName',
  HostedZoneId: 'hostedZoneId',
  S3GatewayEndpointId: 's3GatewayEndpointId',
  EksRoleArn: 'eksRoleArn',
  BucketName: 'bucketName',
  /** `true` / `false` (false: the customer's existing bucket). */
  BucketManaged: 'bucketManaged',
  StorageRoleArn: 'storageRoleArn',
  CrossAccountRoleArn: 'crossAccountRoleArn',
  ExternalId: 'externalId',
} as const satisfies Record<string, keyof ProvisioningOutputs>;

export type AttributeName = keyof typeof ATTRIBUTES;
export const ATTRIBUTE_NAMES = Object.keys(ATTRIBUTES) as AttributeName[];

/** CloudFormation refuses a custom-resource response body larger than this (bytes). */
export const MAX_RESPONSE_BYTES = 4096;

function asString(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(asString).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A provisioning's outputs as the resource's attributes: every key of {@link ATTRIBUTES}, strings only, lists
 * comma-joined, absent values empty.
 * @example outputsAsAttributes(outputs).PrivateSubnetIds // 'subnet-1,subnet-2,subnet-3'
 */
export function outputsAsAttributes(outputs: Partial<ProvisioningOutputs> | Record<string, unknown> | null | undefined): Record<AttributeName, string> {
  const source = (outputs ?? {}) as Record<string, unknown>;
  return Object.fromEntries(ATTRIBUTE_NAMES.map((name) => [name, asString(source[ATTRIBUTES[name]])])) as Record<AttributeName, string>;
}
