import { networkOutputs } from './network/outputs';
import { requireKey } from './network/ownership';
import type { ProvisioningOutputs, ProvisioningState } from './state';

/**
 * V11, R4: the outputs of a finished provisioning, from the state the steps built (Verify read every one of
 * them back from AWS first).
 * @example buildOutputs(state).privateSubnetIds // ['subnet-1', 'subnet-2', 'subnet-3']
 */
export function buildOutputs(state: ProvisioningState): ProvisioningOutputs {
  const network = networkOutputs(state);
  return {
    provisioningId: state.config.provisioningId,
    region: state.config.region,
    accountId: state.config.accountId,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnets.map((s) => s.subnetId),
    privateSubnets: network.privateSubnets,
    publicSubnetId: network.publicSubnetId,
    securityGroupId: network.securityGroupId,
    natGatewayId: network.natGatewayId,
    internetGatewayId: network.internetGatewayId,
    vpcEndpointId: network.vpcEndpoint?.id ?? null,
    vpcEndpointDnsName: network.vpcEndpoint?.dnsName ?? null,
    hostedZoneId: network.hostedZoneId,
    eksRoleArn: requireKey(state.eksRole, 'eksRole', 'Report').roleArn,
  };
}
