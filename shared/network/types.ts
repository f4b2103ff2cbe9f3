import type { ProvisioningConfig, TargetConfig } from '../config';

/**
 * The network part of the execution state: one key per step, written by that step's `ResultPath`
 * (`$.subnets`, `$.natGateway`, ...). Every key is optional: a step runs before the later keys exist, and a rollback
 * or teardown may run with any of them missing (the undo steps then find resources by the provisioning-ID tag).
 */

/** `$.vpc`, written by CreateVpc. */
export interface VpcState {
  vpcId: string;
  cidr?: string;
}

/** One private subnet (V3, V4): its zone as EC2 reports it, by name (this account's) and by ID (the physical zone). */
export interface PrivateSubnetState {
  subnetId: string;
  cidr: string;
  availabilityZone: string;
  availabilityZoneId?: string;
}

/** `$.subnets`, written by CreateSubnets. */
export interface SubnetsState {
  publicSubnetId: string;
  privateSubnets: PrivateSubnetState[];
}

/** `$.internetGateway`, written by CreateInternetGateway. */
export interface InternetGatewayState {
  internetGatewayId: string;
}

/** `$.natGateway`, written by CreateNatGateway: the state at creation time (usually `pending`). */
export interface NatGatewayState {
  natGatewayId: string;
  allocationId: string;
  state: string;
}

/** `$.natGatewayStatus`, written by CheckNatGateway; the state machine waits and checks again until `ready`. */
export interface NatGatewayStatus {
  state: string;
  ready: boolean;
}

/** `$.routeTables`, written by CreateRouteTables. */
export interface RouteTablesState {
  publicRouteTableId: string;
  privateRouteTableId: string;
}

/** `$.securityGroup`, written by CreateSecurityGroup. */
export interface SecurityGroupState {
  securityGroupId: string;
}

/**
 * `$.s3GatewayEndpoint`, written by CreateS3GatewayEndpoint (S1): the gateway endpoint for S3 on the private route
 * table, or `{ skipped: true }` when `network.s3GatewayEndpoint.enabled` is false.
 */
export type S3GatewayEndpointState = { vpcEndpointId: string; skipped?: false } | { skipped: true; vpcEndpointId?: undefined };

/** `$.vpcEndpoint`, written by CreateVpcEndpoint (V9). The DNS fields are present when EC2 already reported them. */
export interface VpcEndpointState {
  vpcEndpointId: string;
  state: string;
  dnsName?: string;
  hostedZoneId?: string;
}

/**
 * `$.vpcEndpointStatus`, written by CheckVpcEndpoint. `dnsName`/`hostedZoneId` are the endpoint's first DNS entry
 * (the alias target of V10), null while EC2 has none yet; null rather than absent so JSONPath can always read them.
 */
export interface VpcEndpointStatus {
  state: string;
  ready: boolean;
  dnsName: string | null;
  hostedZoneId: string | null;
}

/** `$.privateDns`, written by CreatePrivateDns (V10). `recordName` is the alias record's full name. */
export interface PrivateDnsState {
  hostedZoneId: string;
  changeId: string;
  recordName: string;
}

/** `$.privateDnsStatus`, written by CheckPrivateDnsChange. */
export interface PrivateDnsStatus {
  status: 'PENDING' | 'INSYNC';
  ready: boolean;
}

/** Every network key of the execution state. */
export interface NetworkState {
  vpc?: VpcState;
  subnets?: SubnetsState;
  internetGateway?: InternetGatewayState;
  natGateway?: NatGatewayState;
  natGatewayStatus?: NatGatewayStatus;
  routeTables?: RouteTablesState;
  securityGroup?: SecurityGroupState;
  s3GatewayEndpoint?: S3GatewayEndpointState;
  vpcEndpoint?: VpcEndpointState;
  vpcEndpointStatus?: VpcEndpointStatus;
  privateDns?: PrivateDnsState;
  privateDnsStatus?: PrivateDnsStatus;
}

/** What a network create or check step receives: the whole state, with the full config. */
export interface NetworkStepState extends NetworkState {
  config: ProvisioningConfig;
}

/** What a network undo step receives: the whole state; the config may be only the teardown's who-and-where. */
export interface NetworkUndoState extends NetworkState {
  config: TargetConfig;
}

/**
 * What every network undo step returns. `deleted`: what this step deleted (or found already being deleted, by an
 * earlier attempt of it). `notFound`: what the state named or the tags found that was already gone, or never made.
 * Nothing is ever in both; a second run of a step says `{ deleted: [], notFound: [...] }` or `{ deleted: [], notFound: [] }`.
 */
export interface UndoResult {
  deleted: string[];
  notFound: string[];
}
