import type { ProvisioningConfig } from './config';
import type { IamState } from './iam/types';
import type { NetworkState } from './network/types';
import type { RequirementCheck } from './requirements';
import type { BucketState } from './storage/types';

/** The error a `Catch` stores at `$.error`: Step Functions' `{Error, Cause}` (Cause is Lambda's JSON for Lambda errors). */
export interface CaughtError {
  Error: string;
  Cause: string;
}

/** `$.leftovers`, written by FindLeftovers at the end of a rollback or teardown. */
export interface Leftovers {
  /** How many resources still carry the provisioning ID. */
  count: number;
  /** Which sweep this was (1, 2, ...): the state machine sweeps again a bounded number of times. */
  sweep: number;
  resources: { type: string; id: string; detail?: string }[];
  /** Resources of ours left on purpose and not counted: a bucket that holds objects (teardown never deletes data). */
  kept: { type: string; id: string; detail?: string }[];
  /** One line for a Fail state's cause: each resource left, and the original error when there was one. */
  message: string;
}

/**
 * The state of a provisioning execution as it moves through the state machine. Each step writes its own key
 * (`ResultPath`), so the state carries every created resource ID as soon as it exists: rollback reads them here,
 * and falls back to the provisioning-ID tag when a key is missing (after a Parallel state fails, its branches'
 * keys are gone: the tag is what finds their resources then).
 */
export type ProvisioningState = NetworkState &
  Omit<IamState, 'config'> & {
    config: ProvisioningConfig;
    bucket?: BucketState;
    verification?: { checks: RequirementCheck[] };
    error?: CaughtError;
    leftovers?: Leftovers;
  };

/**
 * C1: the vendor console's fields, grouped as the console groups them (BYOC project form: Storage, EKS,
 * Cross-account and Network settings).
 */
export interface ConsoleFields {
  storage: { bucketName: string; storageRoleArn: string };
  eks: { eksRoleArn: string };
  crossAccount: { crossAccountRoleArn: string; externalId: string };
  network: { vpcId: string; subnetIds: string[]; securityGroupId: string; vpcEndpointId: string | null };
}

/**
 * C1: the same values shaped like the `awsParam` body of the vendor's create-project API, so a control plane can
 * pass it on unchanged. `bootstrapRoleArn` is the cross-account role; `endpointId` is null without V9.
 */
export interface VendorApiParams {
  bucketId: string;
  storageRoleArn: string;
  eksRoleArn: string;
  bootstrapRoleArn: string;
  userVpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  endpointId: string | null;
}

/**
 * What the execution returns on success (C1: V11, R4, S1, S2, X1). The flat fields stay flat so the CLI, the API and
 * CloudFormation attributes (`!GetAtt Resource.vpcId`) read them alike; `console` and `vendorApi` group them as the
 * vendor's console and API ask.
 */
export interface ProvisioningOutputs {
  provisioningId: string;
  region: string;
  accountId: string;
  /** V11 */
  vpcId: string;
  /** V11 */
  privateSubnetIds: string[];
  privateSubnets: { subnetId: string; availabilityZone: string; cidr: string }[];
  publicSubnetId: string;
  /** V11 */
  securityGroupId: string;
  natGatewayId: string;
  internetGatewayId: string;
  /** V11 (V9), null when no endpoint was requested. */
  vpcEndpointId: string | null;
  vpcEndpointDnsName: string | null;
  /** V10, null when no private DNS was requested. */
  hostedZoneId: string | null;
  /** S1, null when `network.s3GatewayEndpoint.enabled` is false. */
  s3GatewayEndpointId: string | null;
  /** R4 */
  eksRoleArn: string;
  /** S1 */
  bucketName: string;
  /** S1: false when the customer's existing bucket is used (then never modified or deleted). */
  bucketManaged: boolean;
  /** S2 */
  storageRoleArn: string;
  /** X1 */
  crossAccountRoleArn: string;
  /** X1: the external ID the cross-account role requires (the one the vendor console showed). */
  externalId: string;
  /** C1 */
  console: ConsoleFields;
  /** C1 */
  vendorApi: VendorApiParams;
}
