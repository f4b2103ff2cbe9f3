import { requireKey } from './ownership';
import type { NetworkState } from './types';

/** V11: what the customer pastes back into the vendor console, plus the other IDs of the network. */
export interface NetworkOutputs {
  vpcId: string;
  publicSubnetId: string;
  privateSubnets: { subnetId: string; availabilityZone: string; cidr: string }[];
  securityGroupId: string;
  natGatewayId: string;
  internetGatewayId: string;
  /** V9: null when no endpoint was requested. */
  vpcEndpoint: { id: string; dnsName: string | null } | null;
  /** V10: null when no private DNS was requested. */
  hostedZoneId: string | null;
}

/**
 * V11: the network's outputs, from the state the steps built (Verify has read them back from AWS before Report).
 * The endpoint's DNS name comes from CheckVpcEndpoint when it ran, else from CreateVpcEndpoint.
 *
 * @throws Error when a key every provisioning has (VPC, subnets, ...) is missing: a wiring bug.
 * @example networkOutputs(state).privateSubnets.map((s) => s.subnetId) // ['subnet-1', 'subnet-2', 'subnet-3']
 */
export function networkOutputs(state: NetworkState): NetworkOutputs {
  const step = 'Report';
  const subnets = requireKey(state.subnets, 'subnets', step);
  const endpoint = state.vpcEndpoint;
  return {
    vpcId: requireKey(state.vpc, 'vpc', step).vpcId,
    publicSubnetId: subnets.publicSubnetId,
    privateSubnets: subnets.privateSubnets.map((s) => ({ subnetId: s.subnetId, availabilityZone: s.availabilityZone, cidr: s.cidr })),
    securityGroupId: requireKey(state.securityGroup, 'securityGroup', step).securityGroupId,
    natGatewayId: requireKey(state.natGateway, 'natGateway', step).natGatewayId,
    internetGatewayId: requireKey(state.internetGateway, 'internetGateway', step).internetGatewayId,
    vpcEndpoint: endpoint ? { id: endpoint.vpcEndpointId, dnsName: state.vpcEndpointStatus?.dnsName ?? endpoint.dnsName ?? null } : null,
    hostedZoneId: state.privateDns?.hostedZoneId ?? null,
  };
}
