import { networkOutputs } from './network/outputs';
import { requireKey } from './network/ownership';
import type { ProvisioningOutputs, ProvisioningState } from './state';

/**
 * C1 (V11, R4, S1, S2, X1): the outputs of a finished provisioning, from the state the steps built (Verify read
 * every one of them back from AWS first): flat fields, the vendor console's groups, and the vendor API's `awsParam`.
 * @example buildOutputs(state).vendorApi.subnetIds // ['subnet-1', 'subnet-2', 'subnet-3']
 */
export function buildOutputs(state: ProvisioningState): ProvisioningOutputs {
  const network = networkOutputs(state);
  const privateSubnetIds = network.privateSubnets.map((s) => s.subnetId);
  const eksRoleArn = requireKey(state.eksRole, 'eksRole', 'Report').roleArn;
  const bucket = requireKey(state.bucket, 'bucket', 'Report');
  const storageRoleArn = requireKey(state.storageRole, 'storageRole', 'Report').roleArn;
  const crossAccountRoleArn = requireKey(state.crossAccountRole, 'crossAccountRole', 'Report').roleArn;
  const externalId = state.config.crossAccountRole.externalId;
  const vpcEndpointId = network.vpcEndpoint?.id ?? null;
  return {
    provisioningId: state.config.provisioningId,
    region: state.config.region,
    accountId: state.config.accountId,
    vpcId: network.vpcId,
    privateSubnetIds,
    privateSubnets: network.privateSubnets,
    publicSubnetId: network.publicSubnetId,
    securityGroupId: network.securityGroupId,
    natGatewayId: network.natGatewayId,
    internetGatewayId: network.internetGatewayId,
    vpcEndpointId,
    vpcEndpointDnsName: network.vpcEndpoint?.dnsName ?? null,
    hostedZoneId: network.hostedZoneId,
    s3GatewayEndpointId: state.s3GatewayEndpoint?.vpcEndpointId ?? null,
    eksRoleArn,
    bucketName: bucket.bucketName,
    bucketManaged: bucket.managed,
    storageRoleArn,
    crossAccountRoleArn,
    externalId,
    console: {
      storage: { bucketName: bucket.bucketName, storageRoleArn },
      eks: { eksRoleArn },
      crossAccount: { crossAccountRoleArn, externalId },
      network: { vpcId: network.vpcId, subnetIds: privateSubnetIds, securityGroupId: network.securityGroupId, vpcEndpointId },
    },
    vendorApi: {
      bucketId: bucket.bucketName,
      storageRoleArn,
      eksRoleArn,
      bootstrapRoleArn: crossAccountRoleArn,
      userVpcId: network.vpcId,
      subnetIds: privateSubnetIds,
      securityGroupIds: [network.securityGroupId],
      endpointId: vpcEndpointId,
    },
  };
}
