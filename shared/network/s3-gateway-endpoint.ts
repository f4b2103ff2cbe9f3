import { CreateVpcEndpointCommand, DeleteVpcEndpointsCommand, DescribeVpcEndpointsCommand, type EC2Client, type VpcEndpoint } from '@aws-sdk/client-ec2';
import type { ProvisioningConfig, TargetConfig } from '../config';
import { TAG_RESOURCE } from '../constants';
import { AwsOperationError, EventualConsistencyError, ForeignResourceError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { clientToken, tagSpecification, tagValue } from '../tags';
import { isOwnedBy, requireKey } from './ownership';
import type { NetworkState, RouteTablesState, S3GatewayEndpointState, UndoResult, VpcState } from './types';
import { findOwnedEndpoints } from './vpc-endpoint';

/**
 * The `byoc:resource` tag value of the S3 gateway endpoint. The interface endpoint of V9 (vpc-endpoint.ts) is a
 * VPC endpoint too, tagged `vpc-endpoint`: each module finds, and so deletes, only its own kind.
 */
export const S3_GATEWAY_ENDPOINT_RESOURCE = 's3-gateway-endpoint';

const STEP = 'CreateS3GatewayEndpoint';
const NOT_FOUND = ['InvalidVpcEndpointId.NotFound', 'InvalidVpcEndpoint.NotFound'];

const stateOf = (endpoint: VpcEndpoint): string => (endpoint.State ?? 'available').toLowerCase();
const isGone = (endpoint: VpcEndpoint): boolean => ['deleting', 'deleted'].includes(stateOf(endpoint));

/** What DeleteS3GatewayEndpoint returns: what it deleted (or found being deleted), and what was not there (as every network undo). */
export type S3GatewayEndpointUndoResult = UndoResult;

/**
 * The provisioning's S3 gateway endpoints, found by the ownership tags (any state, never the V9 interface
 * endpoint); optionally only those of one VPC. FindLeftovers should list these beside the interface endpoints.
 *
 * @example const [endpoint] = await findS3GatewayEndpoints(ec2, 'p-1', 'vpc-1');
 */
export async function findS3GatewayEndpoints(ec2: EC2Client, provisioningId: string, vpcId?: string): Promise<VpcEndpoint[]> {
  return findOwnedEndpoints(ec2, provisioningId, S3_GATEWAY_ENDPOINT_RESOURCE, 'S3 gateway endpoint', vpcId);
}

async function describeEndpoint(ec2: EC2Client, id: string): Promise<VpcEndpoint | undefined> {
  try {
    return (await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))).VpcEndpoints?.[0];
  } catch (error) {
    if (isNotFound(error, ...NOT_FOUND)) return undefined;
    throw translateAwsError(error, `look up VPC endpoint ${id}`);
  }
}

/**
 * S1: a gateway endpoint for S3 (`config.network.s3GatewayEndpoint.serviceName`, `com.amazonaws.<region>.s3`) in
 * the VPC, on the private route table, so the cluster's object traffic to the bucket skips the NAT gateway.
 * `{ skipped: true }` when the config has no gateway endpoint. Find-or-create by tag, plus a ClientToken for AWS's
 * own idempotency. No wait loop follows: a gateway endpoint is only routes in route tables, and EC2 reports it
 * `available` at once (unlike an interface endpoint, whose network interfaces take minutes).
 *
 * @example const { vpcEndpointId } = await createS3GatewayEndpoint(config, { vpc: state.vpc, routeTables: state.routeTables }, { ec2 });
 */
export async function createS3GatewayEndpoint(
  config: ProvisioningConfig,
  inputs: { vpc?: VpcState; routeTables?: RouteTablesState },
  deps: { ec2: EC2Client },
): Promise<S3GatewayEndpointState> {
  const wanted = config.network.s3GatewayEndpoint;
  if (!wanted) {
    logger.info('no S3 gateway endpoint requested');
    return { skipped: true };
  }
  const { ec2 } = deps;
  const vpc = requireKey(inputs.vpc, 'vpc', STEP);
  const { privateRouteTableId } = requireKey(inputs.routeTables, 'routeTables', STEP);
  const [existing] = (await findS3GatewayEndpoints(ec2, config.provisioningId, vpc.vpcId)).filter((e) => !isGone(e));
  if (existing) {
    const routeTableIds = existing.RouteTableIds ?? [];
    // Not repaired here (ModifyVpcEndpoint would be one more permission for a case no run of ours produces);
    // Verify's S1 check reports it.
    if (!routeTableIds.includes(privateRouteTableId)) logger.warn('existing S3 gateway endpoint is not on the private route table', { vpcEndpointId: existing.VpcEndpointId, routeTableIds, privateRouteTableId });
    logger.info('found existing S3 gateway endpoint', { vpcEndpointId: existing.VpcEndpointId, state: existing.State });
    return { vpcEndpointId: existing.VpcEndpointId! };
  }
  let endpoint: VpcEndpoint | undefined;
  try {
    const out = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Gateway',
        VpcId: vpc.vpcId,
        ServiceName: wanted.serviceName,
        RouteTableIds: [privateRouteTableId],
        ClientToken: clientToken(config.provisioningId, STEP),
        TagSpecifications: tagSpecification(config, 'vpc-endpoint', S3_GATEWAY_ENDPOINT_RESOURCE),
      }),
    );
    endpoint = out.VpcEndpoint;
  } catch (error) {
    if (isNotFound(error, 'InvalidVpcID.NotFound', 'InvalidRouteTableID.NotFound', 'InvalidRouteTableId.NotFound')) {
      throw new EventualConsistencyError(`the VPC or the private route table is not visible yet: ${awsErrorCode(error)}`, { cause: error });
    }
    if (awsErrorCode(error) === 'InvalidServiceName') {
      throw new AwsOperationError(`EC2 does not offer ${wanted.serviceName} in ${config.region} (S1)`, { cause: error });
    }
    throw translateAwsError(error, `create the S3 gateway endpoint to ${wanted.serviceName}`);
  }
  if (!endpoint?.VpcEndpointId) throw new EventualConsistencyError('EC2 returned no VPC endpoint ID');
  logger.info('created S3 gateway endpoint', { vpcEndpointId: endpoint.VpcEndpointId, state: endpoint.State, routeTableId: privateRouteTableId });
  return { vpcEndpointId: endpoint.VpcEndpointId };
}

/**
 * Undo of {@link createS3GatewayEndpoint}: delete the endpoint named in the state and every one found by tag.
 * Only S3 gateway endpoints of this provisioning are touched: a named endpoint without our provisioning tag is
 * refused (`ForeignResourceError`), one of ours of another kind (the V9 interface endpoint) is left to its own undo.
 * What is not there (or already `deleted`) is reported under `notFound`, not as deleted, so a second run says
 * `{ deleted: [], notFound: [...] }`. Deleting takes the endpoint's routes out of the route table with it, so this
 * runs before DeleteRouteTables.
 *
 * @example await deleteS3GatewayEndpoint(config, state, { ec2 }) // { deleted: ['vpce-1'], notFound: [] }
 */
export async function deleteS3GatewayEndpoint(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<S3GatewayEndpointUndoResult> {
  const { ec2 } = deps;
  const byId = new Map((await findS3GatewayEndpoints(ec2, config.provisioningId)).map((e) => [e.VpcEndpointId!, e]));
  const notFound: string[] = [];
  const named = state.s3GatewayEndpoint?.vpcEndpointId;
  if (named && !byId.has(named)) {
    const endpoint = await describeEndpoint(ec2, named);
    if (!endpoint) notFound.push(named);
    else if (!isOwnedBy(endpoint.Tags, config.provisioningId)) throw new ForeignResourceError(`VPC endpoint ${named} does not carry the tags of provisioning ${config.provisioningId}; not deleting it`);
    else if (tagValue(endpoint.Tags, TAG_RESOURCE) !== S3_GATEWAY_ENDPOINT_RESOURCE) logger.warn('the state names a VPC endpoint of another kind as the S3 gateway endpoint; leaving it to its own undo', { vpcEndpointId: named });
    else byId.set(named, endpoint);
  }
  const deleted: string[] = [];
  const toDelete: string[] = [];
  for (const [id, endpoint] of byId) {
    if (stateOf(endpoint) === 'deleted') notFound.push(id);
    else if (stateOf(endpoint) === 'deleting') deleted.push(id);
    else toDelete.push(id);
  }
  if (toDelete.length > 0) {
    let out;
    try {
      out = await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: toDelete }));
    } catch (error) {
      if (!isNotFound(error, ...NOT_FOUND)) throw translateAwsError(error, `delete S3 gateway endpoints ${toDelete.join(', ')}`);
    }
    // DeleteVpcEndpoints reports failures per endpoint instead of throwing; a NotFound thrown for the call means
    // none of them was there any more.
    const failures = new Map((out?.Unsuccessful ?? []).map((f) => [f.ResourceId ?? '', f.Error]));
    for (const id of toDelete) {
      const failure = failures.get(id);
      if (!out || (failure && /NotFound/.test(failure.Code ?? ''))) notFound.push(id);
      else if (!failure) deleted.push(id);
      else throw translateAwsError({ name: failure.Code ?? 'UnknownError', message: failure.Message }, `delete S3 gateway endpoint ${id}`);
    }
    logger.info('deleted S3 gateway endpoints', { vpcEndpointIds: deleted, notFound });
  }
  return { deleted: deleted.sort(), notFound: notFound.sort() };
}
