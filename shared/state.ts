import type { ProvisioningConfig } from './config';
import type { IamState } from './iam/types';
import type { NetworkState } from './network/types';
import type { RequirementCheck } from './requirements';

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
    verification?: { checks: RequirementCheck[] };
    error?: CaughtError;
    leftovers?: Leftovers;
  };

/** What the execution returns on success (V11, R4), flat so the CLI, the API and CloudFormation attributes read it alike. */
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
  /** R4 */
  eksRoleArn: string;
}
