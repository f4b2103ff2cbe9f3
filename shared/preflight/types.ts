import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { STSClient } from '@aws-sdk/client-sts';

/** What a finding is about. */
export type FindingCheck = 'permission' | 'quota' | 'role-name' | 'bucket-name' | 'zones' | 'cidr';

/**
 * One thing the preflight found. `error` blocks the provisioning (it would fail, or do harm); `warning` does not
 * (something could not be checked, or looks odd). Every finding says what to do (`fix`).
 */
export interface Finding {
  check: FindingCheck;
  severity: 'error' | 'warning';
  /** The request field it is about, when one is (`bucket.name`, `network.vpcCidr`, `iamRole.name`...). */
  field?: string;
  message: string;
  fix: string;
  /** `permission`: the IAM action (`ec2:CreateNatGateway`). */
  action?: string;
  /** `quota`: which quota (Service Quotas' service and quota codes, and its name). */
  quota?: { serviceCode: string; quotaCode: string; name: string };
}

/** Where a quota's limit came from: the account's applied value, AWS's default for it, or our table of AWS's documented defaults. */
export type QuotaSource = 'service-quotas' | 'aws-default' | 'documented-default';

/** One quota: how much is in use against its limit, and how much this provisioning adds. */
export interface QuotaUse {
  name: string;
  serviceCode: string;
  quotaCode: string;
  /** Where the count applies: `us-west-2`, the zone `usw2-az1`, a VPC, or the account. */
  scope: string;
  limit: number;
  source: QuotaSource;
  /** In use now (this provisioning's own included). */
  used: number;
  /** Of `used`, what this provisioning made already (an earlier attempt): it needs no more of those. */
  ours: number;
  /** How many more this provisioning makes. */
  needed: number;
}

/** How one permission was checked. */
export interface PermissionProbe {
  action: string;
  via: 'dry-run' | 'simulation';
  result: 'allowed' | 'denied' | 'unchecked';
}

/** The preflight's answer: `ok` when nothing blocks (warnings may remain). */
export interface PreflightResult {
  ok: boolean;
  findings: Finding[];
  quotas: QuotaUse[];
  permissions: PermissionProbe[];
  /** Who was checked: the principal the steps act as (the customer's role with `targetAccount`). */
  principal?: string;
}

/** The clients the preflight reads with, all for the provisioning's target (the customer's role when given). */
export interface PreflightDeps {
  ec2: EC2Client;
  iam: IAMClient;
  s3: S3Client;
  sts: STSClient;
  /** Service Quotas is regional; IAM's and S3's account-wide quotas are read in the partition's main region. */
  serviceQuotas: (region: string) => ServiceQuotasClient;
}
