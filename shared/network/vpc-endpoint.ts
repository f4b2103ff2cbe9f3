import {
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  type EC2Client,
  type Filter,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import type { ProvisioningConfig, TargetConfig } from '../config';
import { TAG_RESOURCE } from '../constants';
import { AwsOperationError, EventualConsistencyError, ResourceFailedError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { clientToken, ownershipFilters, tagSpecification, tagValue } from '../tags';
import { keepOwned, ownedResources } from './ownership';
import type { NetworkState, SecurityGroupState, SubnetsState, UndoResult, VpcEndpointState, VpcEndpointStatus, VpcState } from './types';

export const VPC_ENDPOINT_RESOURCE = 'vpc-endpoint';

/** Endpoint states that will never become `available` (EC2 spells them in camel case, e.g. `pendingAcceptance`). */
const DEAD_STATES = ['failed', 'rejected', 'expired', 'deleting', 'deleted'];
const stateOf = (endpoint: VpcEndpoint): string => (endpoint.State ?? 'pending').toLowerCase();
const isGone = (endpoint: VpcEndpoint): boolean => ['deleting', 'deleted'].includes(stateOf(endpoint));

/**
 * The provisioning's V9 interface endpoints, found by the ownership tags (any state); optionally only those of one
 * VPC. Filtered by `byoc:resource` = `vpc-endpoint` too, so the S3 gateway endpoint (s3-gateway-endpoint.ts) is
 * never among them.
 */
export async function findVpcEndpoints(ec2: EC2Client, provisioningId: string, vpcId?: string): Promise<VpcEndpoint[]> {
  const filters: Filter[] = ownershipFilters(provisioningId, VPC_ENDPOINT_RESOURCE);
  if (vpcId) filters.push({ Name: 'vpc-id', Values: [vpcId] });
  try {
    const out = await ec2.send(new DescribeVpcEndpointsCommand({ Filters: filters }));
    return keepOwned(out.VpcEndpoints ?? [], (e) => e.Tags, provisioningId, [VPC_ENDPOINT_RESOURCE]).sort((a, b) => (a.VpcEndpointId ?? '').localeCompare(b.VpcEndpointId ?? ''));
  } catch (error) {
    throw translateAwsError(error, `look up the VPC endpoint of provisioning ${provisioningId}`);
  }
}

async function describeVpcEndpoint(ec2: EC2Client, id: string): Promise<VpcEndpoint | undefined> {
  try {
    return (await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))).VpcEndpoints?.[0];
  } catch (error) {
    if (isNotFound(error, 'InvalidVpcEndpointId.NotFound', 'InvalidVpcEndpoint.NotFound')) return undefined;
    throw translateAwsError(error, `look up VPC endpoint ${id}`);
  }
}

/** The endpoint's first DNS entry: the name V10's alias record points at, with its hosted zone. */
export function firstDnsEntry(endpoint: VpcEndpoint): { dnsName: string; hostedZoneId: string } | undefined {
  const entry = endpoint.DnsEntries?.find((e) => e.DnsName && e.HostedZoneId);
  return entry ? { dnsName: entry.DnsName!, hostedZoneId: entry.HostedZoneId! } : undefined;
}

function toState(endpoint: VpcEndpoint): VpcEndpointState {
  const dns = firstDnsEntry(endpoint);
  return { vpcEndpointId: endpoint.VpcEndpointId!, state: endpoint.State ?? 'pending', ...(dns ? { dnsName: dns.dnsName, hostedZoneId: dns.hostedZoneId } : {}) };
}

/**
 * V9: an interface endpoint to the region's Zilliz endpoint service, private DNS names on, in the three private
 * subnets, with the V7 security group. Returns at once with the endpoint's current state (normally `pending`):
 * CheckVpcEndpoint reports readiness. Find-or-create by tag, plus a ClientToken for AWS's own idempotency.
 *
 * @example const { vpcEndpointId, state } = await createVpcEndpoint(config, state, { ec2 }); // state: 'pending'
 */
export async function createVpcEndpoint(
  config: ProvisioningConfig,
  inputs: { vpc: VpcState; subnets: SubnetsState; securityGroup: SecurityGroupState },
  deps: { ec2: EC2Client },
): Promise<VpcEndpointState> {
  const { ec2 } = deps;
  const wanted = config.network.vpcEndpoint;
  if (!wanted) throw new Error('CreateVpcEndpoint ran although network.vpcEndpoint is not enabled in the config');
  const [existing] = (await findVpcEndpoints(ec2, config.provisioningId, inputs.vpc.vpcId)).filter((e) => !isGone(e));
  if (existing) {
    logger.info('found existing VPC endpoint', { vpcEndpointId: existing.VpcEndpointId, state: existing.State });
    return toState(existing);
  }
  let endpoint: VpcEndpoint | undefined;
  try {
    const out = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: inputs.vpc.vpcId,
        ServiceName: wanted.serviceName,
        SubnetIds: inputs.subnets.privateSubnets.map((s) => s.subnetId),
        SecurityGroupIds: [inputs.securityGroup.securityGroupId],
        PrivateDnsEnabled: true,
        ClientToken: clientToken(config.provisioningId, 'CreateVpcEndpoint'),
        TagSpecifications: tagSpecification(config, 'vpc-endpoint', VPC_ENDPOINT_RESOURCE),
      }),
    );
    endpoint = out.VpcEndpoint;
  } catch (error) {
    if (isNotFound(error, 'InvalidVpcID.NotFound', 'InvalidSubnetID.NotFound', 'InvalidGroup.NotFound', 'InvalidGroupId.NotFound')) {
      throw new EventualConsistencyError(`the VPC, a private subnet or the security group is not visible yet: ${awsErrorCode(error)}`, { cause: error });
    }
    if (awsErrorCode(error) === 'InvalidServiceName') {
      // Usually the vendor has not yet allowed this account's principal on its endpoint service.
      throw new AwsOperationError(
        `endpoint service ${wanted.serviceName} is not available to account ${config.accountId}: ask the vendor to allow this account on the service (V9)`,
        { cause: error },
      );
    }
    throw translateAwsError(error, `create the VPC endpoint to ${wanted.serviceName}`);
  }
  if (!endpoint?.VpcEndpointId) throw new EventualConsistencyError('EC2 returned no VPC endpoint ID');
  logger.info('created VPC endpoint', { vpcEndpointId: endpoint.VpcEndpointId, state: endpoint.State });
  return toState(endpoint);
}

/**
 * CheckVpcEndpoint: the endpoint's state now, whether it is `available`, and its first DNS entry (V10's alias
 * target; null until EC2 reports one). The state machine waits and calls this again until `ready`.
 *
 * @throws ResourceFailedError when the endpoint is `failed` or `rejected` (or expired, or being deleted).
 * @example await checkVpcEndpoint(config, state, { ec2 }) // { state: 'pending', ready: false, dnsName: null, hostedZoneId: null }
 */
export async function checkVpcEndpoint(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<VpcEndpointStatus> {
  const { ec2 } = deps;
  const id = state.vpcEndpoint?.vpcEndpointId;
  const endpoint = id ? await describeVpcEndpoint(ec2, id) : (await findVpcEndpoints(ec2, config.provisioningId)).find((e) => !isGone(e));
  if (!endpoint) throw new EventualConsistencyError(`VPC endpoint ${id ?? `of provisioning ${config.provisioningId}`} is not visible yet`);
  const current = stateOf(endpoint);
  if (DEAD_STATES.includes(current)) {
    throw new ResourceFailedError(`VPC endpoint ${endpoint.VpcEndpointId} to ${endpoint.ServiceName} is ${endpoint.State} and will not become available`);
  }
  const dns = firstDnsEntry(endpoint);
  return { state: endpoint.State ?? 'pending', ready: current === 'available', dnsName: dns?.dnsName ?? null, hostedZoneId: dns?.hostedZoneId ?? null };
}

/**
 * Undo of {@link createVpcEndpoint}: delete the endpoint named in the state and every one found by tag that is not
 * already going. Returns at once (the endpoint goes `deleting`); DeleteSecurityGroup and DeleteSubnets raise
 * `DependencyViolationError` until its network interfaces are gone.
 *
 * @example await deleteVpcEndpoint(config, state, { ec2 }) // { deleted: ['vpce-1'] }
 */
export async function deleteVpcEndpoint(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<UndoResult> {
  const { ec2 } = deps;
  const endpoints = await ownedResources({
    provisioningId: config.provisioningId,
    kind: 'VPC endpoint',
    found: await findVpcEndpoints(ec2, config.provisioningId),
    named: [state.vpcEndpoint?.vpcEndpointId],
    idOf: (e) => e.VpcEndpointId,
    tagsOf: (e) => e.Tags,
    describe: (id) => describeVpcEndpoint(ec2, id),
  });
  // Only the V9 interface endpoint: the S3 gateway endpoint (byoc:resource s3-gateway-endpoint) has its own undo.
  // The tag lookup already keeps to our kind; this guards an ID named in the state.
  const live = endpoints.filter((e) => stateOf(e) !== 'deleted' && (tagValue(e.Tags, TAG_RESOURCE) ?? VPC_ENDPOINT_RESOURCE) === VPC_ENDPOINT_RESOURCE);
  const toDelete = live.filter((e) => !isGone(e)).map((e) => e.VpcEndpointId!);
  if (toDelete.length > 0) {
    let out;
    try {
      out = await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: toDelete }));
    } catch (error) {
      if (!isNotFound(error, 'InvalidVpcEndpointId.NotFound', 'InvalidVpcEndpoint.NotFound')) throw translateAwsError(error, `delete VPC endpoints ${toDelete.join(', ')}`);
    }
    // DeleteVpcEndpoints reports failures per endpoint instead of throwing.
    for (const failure of out?.Unsuccessful ?? []) {
      const code = failure.Error?.Code ?? 'UnknownError';
      if (/NotFound/.test(code)) continue;
      throw translateAwsError({ name: code, message: failure.Error?.Message }, `delete VPC endpoint ${failure.ResourceId}`);
    }
    logger.info('deleting VPC endpoints', { vpcEndpointIds: toDelete });
  }
  return { deleted: live.map((e) => e.VpcEndpointId!) };
}
