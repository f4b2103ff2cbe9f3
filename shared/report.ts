import type { ProvisioningOutputs, ProvisioningState } from './state';

/** V11, R4: the outputs of a finished provisioning, from the state the steps built. */
export function buildOutputs(state: ProvisioningState): ProvisioningOutputs {
  if (!state.vpc) throw new Error('Report reached without a VPC in the state');
  return {
    provisioningId: state.config.provisioningId,
    region: state.config.region,
    accountId: state.config.accountId,
    vpcId: state.vpc.vpcId,
  };
}
