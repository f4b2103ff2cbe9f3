import type { ProvisioningConfig } from './config';

/** The error a `Catch` stores at `$.error`: Step Functions' `{Error, Cause}` (Cause is Lambda's JSON for Lambda errors). */
export interface CaughtError {
  Error: string;
  Cause: string;
}

/**
 * The state of a provisioning execution as it moves through the state machine. Each step writes its own key
 * (`ResultPath`), so the state carries every created resource ID as soon as it exists: rollback reads them here,
 * and falls back to the provisioning-ID tag when a key is missing (a step that created and then crashed).
 */
export interface ProvisioningState {
  config: ProvisioningConfig;
  vpc?: { vpcId: string };
  error?: CaughtError;
}

/** What the execution returns on success (V11, R4), in a shape the API and the CLI print as is. */
export interface ProvisioningOutputs {
  provisioningId: string;
  region: string;
  accountId: string;
  vpcId: string;
}
