import {
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { ListHostedZonesCommand, ListTagsForResourcesCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { ec2Client, route53Client } from '../../../shared/aws/clients';
import type { ProvisioningConfig } from '../../../shared/config';
import { TAG_PROVISIONING_ID } from '../../../shared/constants';
import { callerReferencePrefix, bareId } from '../../../shared/network/private-dns';
import { S3_GATEWAY_ENDPOINT_RESOURCE } from '../../../shared/network/s3-gateway-endpoint';
import { VPC_ENDPOINT_RESOURCE } from '../../../shared/network/vpc-endpoint';
import { TAG_RESOURCE } from '../../../shared/constants';
import type { NetworkState } from '../../../shared/network/types';
import { invokeLocal } from '../../../local/lambda-runtime';
import type { LocalHandler } from '../../../local/functions';
import { handler as CreateVpc } from '../../../functions/steps/create-vpc';
import { handler as DeleteVpc } from '../../../functions/steps/delete-vpc';
import { handler as CreateSubnets } from '../../../functions/steps/create-subnets';
import { handler as CreateInternetGateway } from '../../../functions/steps/create-internet-gateway';
import { handler as CreateNatGateway } from '../../../functions/steps/create-nat-gateway';
import { handler as CheckNatGateway } from '../../../functions/steps/check-nat-gateway';
import { handler as CreateRouteTables } from '../../../functions/steps/create-route-tables';
import { handler as CreateSecurityGroup } from '../../../functions/steps/create-security-group';
import { handler as CreateS3GatewayEndpoint } from '../../../functions/steps/create-s3-gateway-endpoint';
import { handler as DeleteS3GatewayEndpoint } from '../../../functions/steps/delete-s3-gateway-endpoint';
import { handler as CreateVpcEndpoint } from '../../../functions/steps/create-vpc-endpoint';
import { handler as CheckVpcEndpoint } from '../../../functions/steps/check-vpc-endpoint';
import { handler as CreatePrivateDns } from '../../../functions/steps/create-private-dns';
import { handler as CheckPrivateDnsChange } from '../../../functions/steps/check-private-dns-change';
import { handler as DeleteRouteTables } from '../../../functions/steps/delete-route-tables';
import { handler as DeleteNatGateway } from '../../../functions/steps/delete-nat-gateway';
import { handler as ReleaseElasticIp } from '../../../functions/steps/release-elastic-ip';
import { handler as DeleteInternetGateway } from '../../../functions/steps/delete-internet-gateway';
import { handler as DeleteVpcEndpoint } from '../../../functions/steps/delete-vpc-endpoint';
import { handler as DeletePrivateDns } from '../../../functions/steps/delete-private-dns';
import { handler as DeleteSecurityGroup } from '../../../functions/steps/delete-security-group';
import { handler as DeleteSubnets } from '../../../functions/steps/delete-subnets';

/** The network steps by their state-machine name, as the local engine would call them. */
export const steps = {
  CreateVpc,
  CreateSubnets,
  CreateInternetGateway,
  CreateNatGateway,
  CheckNatGateway,
  CreateRouteTables,
  CreateS3GatewayEndpoint,
  CreateSecurityGroup,
  CreateVpcEndpoint,
  CheckVpcEndpoint,
  CreatePrivateDns,
  CheckPrivateDnsChange,
  DeleteS3GatewayEndpoint,
  DeleteRouteTables,
  DeleteNatGateway,
  ReleaseElasticIp,
  DeleteInternetGateway,
  DeleteVpcEndpoint,
  DeletePrivateDns,
  DeleteSecurityGroup,
  DeleteSubnets,
  DeleteVpc,
} as unknown as Record<StepName, LocalHandler>;

export type StepName =
  | 'CreateVpc'
  | 'CreateSubnets'
  | 'CreateInternetGateway'
  | 'CreateNatGateway'
  | 'CheckNatGateway'
  | 'CreateRouteTables'
  | 'CreateS3GatewayEndpoint'
  | 'CreateSecurityGroup'
  | 'CreateVpcEndpoint'
  | 'CheckVpcEndpoint'
  | 'CreatePrivateDns'
  | 'CheckPrivateDnsChange'
  | 'DeleteS3GatewayEndpoint'
  | 'DeleteRouteTables'
  | 'DeleteNatGateway'
  | 'ReleaseElasticIp'
  | 'DeleteInternetGateway'
  | 'DeleteVpcEndpoint'
  | 'DeletePrivateDns'
  | 'DeleteSecurityGroup'
  | 'DeleteSubnets'
  | 'DeleteVpc';

export type State = NetworkState & { config: ProvisioningConfig | Pick<ProvisioningConfig, 'provisioningId' | 'region'> };

/** Invoke one step as Lambda would (JSON in, JSON out, errors named as Step Functions sees them). */
export async function run<T = unknown>(step: StepName, state: State): Promise<T> {
  return (await invokeLocal(step, steps[step], state)) as T;
}

/** Where each create step writes its result (the ASL's `ResultPath`). */
export const RESULT_PATH: Partial<Record<StepName, keyof NetworkState>> = {
  CreateVpc: 'vpc',
  CreateSubnets: 'subnets',
  CreateInternetGateway: 'internetGateway',
  CreateNatGateway: 'natGateway',
  CheckNatGateway: 'natGatewayStatus',
  CreateRouteTables: 'routeTables',
  CreateS3GatewayEndpoint: 's3GatewayEndpoint',
  CreateSecurityGroup: 'securityGroup',
  CreateVpcEndpoint: 'vpcEndpoint',
  CheckVpcEndpoint: 'vpcEndpointStatus',
  CreatePrivateDns: 'privateDns',
  CheckPrivateDnsChange: 'privateDnsStatus',
};

/** The create and check steps in dependency order, as the provision state machine runs them (without waits). */
export const BUILD_ORDER: StepName[] = [
  'CreateVpc',
  'CreateSubnets',
  'CreateInternetGateway',
  'CreateNatGateway',
  'CheckNatGateway',
  'CreateRouteTables',
  'CreateS3GatewayEndpoint',
  'CreateSecurityGroup',
  'CreateVpcEndpoint',
  'CheckVpcEndpoint',
  'CreatePrivateDns',
  'CheckPrivateDnsChange',
];

/** The undo steps in an order AWS accepts (reverse of creation). */
export const UNDO_ORDER: StepName[] = [
  'DeletePrivateDns',
  'DeleteVpcEndpoint',
  'DeleteSecurityGroup',
  'DeleteS3GatewayEndpoint',
  'DeleteRouteTables',
  'DeleteNatGateway',
  'ReleaseElasticIp',
  'DeleteInternetGateway',
  'DeleteSubnets',
  'DeleteVpc',
];

/** Run the create steps in order, each writing its own key, and return the whole state. */
export async function buildNetwork(config: ProvisioningConfig, upTo: StepName = 'CheckPrivateDnsChange'): Promise<State> {
  const state: State = { config };
  for (const step of BUILD_ORDER) {
    if (step === 'CreateVpcEndpoint' && !config.network.vpcEndpoint) break;
    if (step === 'CreatePrivateDns' && !config.network.privateDns) break;
    const key = RESULT_PATH[step]!;
    Object.assign(state, { [key]: await run(step, state) });
    if (step === upTo) break;
  }
  return state;
}

export const ec2 = (): EC2Client => ec2Client({ region: 'us-west-2' });
export const route53 = (): Route53Client => route53Client({ region: 'us-west-2' });

/** Every resource (by kind) that carries the provisioning-ID tag, read from moto. NAT gateways: not yet `deleted`. */
export async function resourcesOf(provisioningId: string): Promise<Record<string, string[]>> {
  const Filters = [{ Name: `tag:${TAG_PROVISIONING_ID}`, Values: [provisioningId] }];
  const client = ec2();
  const ours = (tags: { Key?: string; Value?: string }[] | undefined) => (tags ?? []).some((t) => t.Key === TAG_PROVISIONING_ID && t.Value === provisioningId);
  const [vpcs, subnets, igws, nats, eips, tables, groups, endpoints] = await Promise.all([
    client.send(new DescribeVpcsCommand({ Filters })),
    client.send(new DescribeSubnetsCommand({ Filters })),
    client.send(new DescribeInternetGatewaysCommand({ Filters })),
    client.send(new DescribeNatGatewaysCommand({ Filter: Filters })),
    client.send(new DescribeAddressesCommand({ Filters })),
    client.send(new DescribeRouteTablesCommand({ Filters })),
    client.send(new DescribeSecurityGroupsCommand({ Filters })),
    client.send(new DescribeVpcEndpointsCommand({ Filters })),
  ]);
  const zones = (await route53().send(new ListHostedZonesCommand({}))).HostedZones ?? [];
  const zoneIds = zones.map((z) => bareId(z.Id!));
  const tagSets = [];
  for (let i = 0; i < zoneIds.length; i += 10) {
    const out = await route53().send(new ListTagsForResourcesCommand({ ResourceType: 'hostedzone', ResourceIds: zoneIds.slice(i, i + 10) }));
    tagSets.push(...(out.ResourceTagSets ?? []));
  }
  const liveEndpoints = (kind: string) =>
    (endpoints.VpcEndpoints ?? [])
      .filter((e) => !['deleted', 'deleting'].includes((e.State ?? '').toLowerCase()) && e.Tags?.some((t) => t.Key === TAG_RESOURCE && t.Value === kind))
      .map((e) => e.VpcEndpointId!);
  const taggedZones = tagSets.filter((s) => (s.Tags ?? []).some((t) => t.Key === TAG_PROVISIONING_ID && t.Value === provisioningId)).map((s) => s.ResourceId!);
  const referencedZones = zones.filter((z) => z.CallerReference?.startsWith(callerReferencePrefix(provisioningId))).map((z) => bareId(z.Id!));
  return {
    vpcs: (vpcs.Vpcs ?? []).map((v) => v.VpcId!),
    subnets: (subnets.Subnets ?? []).map((s) => s.SubnetId!),
    internetGateways: (igws.InternetGateways ?? []).map((g) => g.InternetGatewayId!),
    // moto ignores tag filters on DescribeNatGateways: check the tags here.
    natGateways: (nats.NatGateways ?? []).filter((n) => n.State !== 'deleted' && ours(n.Tags)).map((n) => n.NatGatewayId!),
    elasticIps: (eips.Addresses ?? []).map((a) => a.AllocationId!),
    routeTables: (tables.RouteTables ?? []).map((t) => t.RouteTableId!),
    securityGroups: (groups.SecurityGroups ?? []).map((g) => g.GroupId!),
    vpcEndpoints: liveEndpoints(VPC_ENDPOINT_RESOURCE),
    s3GatewayEndpoints: liveEndpoints(S3_GATEWAY_ENDPOINT_RESOURCE),
    hostedZones: [...new Set([...taggedZones, ...referencedZones])],
  };
}

/** The number of resources of each kind carrying the provisioning ID. */
export async function countsOf(provisioningId: string): Promise<Record<string, number>> {
  return Object.fromEntries(Object.entries(await resourcesOf(provisioningId)).map(([k, v]) => [k, v.length]));
}

/** What a full build with the endpoint, the private DNS and the S3 gateway endpoint (on by default) makes: one of each, except subnets and route tables. */
export const FULL_BUILD_COUNTS = {
  vpcs: 1,
  subnets: 4,
  internetGateways: 1,
  natGateways: 1,
  elasticIps: 1,
  routeTables: 2,
  securityGroups: 1,
  vpcEndpoints: 1,
  s3GatewayEndpoints: 1,
  hostedZones: 1,
};

export const NOTHING_LEFT = Object.fromEntries(Object.keys(FULL_BUILD_COUNTS).map((k) => [k, 0]));
