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
import { AwsOperationError, EventualConsistencyError, ResourceFailedError, VpcEndpointNotAcceptedError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { clientToken, ownershipFilters, tagSpecification, tagValue } from '../tags';
import { UndoTally, keepOwned, ownedResources } from './ownership';
import type { NetworkState, SecurityGroupState, SubnetsState, UndoResult, VpcEndpointState, VpcEndpointStatus, VpcState } from './types';

export const VPC_ENDPOINT_RESOURCE = 'vpc-endpoint';

/** Endpoint states that will never become `available` by themselves; compared in lower case (EC2 says `pendingAcceptance`). */
const DEAD_STATES = ['failed', 'deleting', 'deleted'];
/**
 * States in which only the vendor can move the endpoint on: the connection waits for the vendor to accept it
 * (`pendingAcceptance`: it stays there, it does not time out into `available`), was rejected, or expired unaccepted.
 */
const NOT_ACCEPTED_STATES = ['pendingacceptance', 'rejected', 'expired'];
const stateOf = (endpoint: VpcEndpoint): string => (endpoint.State ?? 'pending').toLowerCase();
const isGone = (endpoint: VpcEndpoint): boolean => ['deleting', 'deleted'].includes(stateOf(endpoint));

/**
 * The provisioning's V9 interface endpoints, found by the ownership tags (any state); optionally only those of one
 * VPC. Filtered by `byoc:resource` = `vpc-endpoint` too, so the S3 gateway endpoint (s3-gateway-endpoint.ts) is
 * never among them.
 */
export async function findVpcEndpoints(ec2: EC2Client, provisioningId: string, vpcId?: string): Promise<VpcEndpoint[]> {
  return findOwnedEndpoints(ec2, provisioningId, VPC_ENDPOINT_RESOURCE, 'VPC endpoint', vpcId);
}

/**
 * The provisioning's endpoints of one kind (`byoc:resource` value), in any state, sorted by ID; optionally only
 * those of one VPC. Shared by the V9 interface endpoint and the S1 gateway endpoint.
 */
export async function findOwnedEndpoints(ec2: EC2Client, provisioningId: string, resource: string, what: string, vpcId?: string): Promise<VpcEndpoint[]> {
  const filters: Filter[] = ownershipFilters(provisioningId, resource);
  if (vpcId) filters.push({ Name: 'vpc-id', Values: [vpcId] });
  try {
    const out = await ec2.send(new DescribeVpcEndpointsCommand({ Filters: filters }));
    return keepOwned(out.VpcEndpoints ?? [], (e) => e.Tags, provisioningId, [resource]).sort((a, b) => (a.VpcEndpointId ?? '').localeCompare(b.VpcEndpointId ?? ''));
  } catch (error) {
    throw translateAwsError(error, `look up the ${what} of provisioning ${provisioningId}`);
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

/** What each state the vendor must act on means, for the message. */
const NOT_ACCEPTED_WHY: Record<string, string> = {
  pendingacceptance: 'is pendingAcceptance: the vendor has not accepted its connection, and it does not become available until they do',
  rejected: 'was rejected by the vendor\'s endpoint service',
  expired: 'expired before the vendor accepted its connection',
};

/** V9: why an endpoint the vendor has not accepted will not become available, and what to ask the vendor. */
function notAcceptedMessage(endpoint: VpcEndpoint, state: string): string {
  const service = endpoint.ServiceName ?? 'the Zilliz endpoint service';
  const account = endpoint.OwnerId ? `account ${endpoint.OwnerId}` : 'this account';
  const what = NOT_ACCEPTED_WHY[state] ?? `is ${endpoint.State}`;
  return (
    `VPC endpoint ${endpoint.VpcEndpointId} to ${service} ${what}. Ask Zilliz to allow ${account} on ${service} and to accept its ` +
    'endpoint connections automatically (the rollback deletes this endpoint), then provision again (V9)'
  );
}

/**
 * CheckVpcEndpoint: the endpoint's state now, whether it is `available`, and its first DNS entry (V10's alias
 * target; null until EC2 reports one). The state machine waits and calls this again until `ready`.
 *
 * An endpoint the vendor has to act on is reported at once, not after the wait's deadline: `pendingAcceptance` (the
 * vendor has not accepted the connection), `rejected` and `expired` raise `VpcEndpointNotAcceptedError`, saying what
 * to ask the vendor. The rollback that follows deletes the endpoint.
 *
 * @throws VpcEndpointNotAcceptedError when the endpoint is `pendingAcceptance`, `rejected` or `expired`.
 * @throws ResourceFailedError when the endpoint is `failed` (with EC2's reason) or being deleted.
 * @example await checkVpcEndpoint(config, state, { ec2 }) // { state: 'pending', ready: false, dnsName: null, hostedZoneId: null }
 */
export async function checkVpcEndpoint(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<VpcEndpointStatus> {
  const { ec2 } = deps;
  const id = state.vpcEndpoint?.vpcEndpointId;
  const endpoint = id ? await describeVpcEndpoint(ec2, id) : (await findVpcEndpoints(ec2, config.provisioningId)).find((e) => !isGone(e));
  if (!endpoint) throw new EventualConsistencyError(`VPC endpoint ${id ?? `of provisioning ${config.provisioningId}`} is not visible yet`);
  const current = stateOf(endpoint);
  if (NOT_ACCEPTED_STATES.includes(current)) throw new VpcEndpointNotAcceptedError(notAcceptedMessage(endpoint, current));
  if (DEAD_STATES.includes(current)) {
    const reason = endpoint.LastError?.Code ? ` (${endpoint.LastError.Code}: ${endpoint.LastError.Message ?? ''})` : '';
    throw new ResourceFailedError(`VPC endpoint ${endpoint.VpcEndpointId} to ${endpoint.ServiceName} is ${endpoint.State} and will not become available${reason}`);
  }
  const dns = firstDnsEntry(endpoint);
  return { state: endpoint.State ?? 'pending', ready: current === 'available', dnsName: dns?.dnsName ?? null, hostedZoneId: dns?.hostedZoneId ?? null };
}

/**
 * Undo of {@link createVpcEndpoint}: delete the endpoint named in the state and every one found by tag that is not
 * already going. Returns at once (the endpoint goes `deleting`); DeleteSecurityGroup and DeleteSubnets raise
 * `DependencyViolationError` until its network interfaces are gone. What is not there (or already `deleted`) is
 * reported in `notFound`; one already `deleting` (an earlier attempt of this step) counts as deleted. Only the V9
 * interface endpoint: the S3 gateway endpoint has its own undo.
 *
 * @example await deleteVpcEndpoint(config, state, { ec2 }) // { deleted: ['vpce-1'], notFound: [] }
 */
export async function deleteVpcEndpoint(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<UndoResult> {
  const { ec2 } = deps;
  const { owned, notFound } = await ownedResources({
    provisioningId: config.provisioningId,
    kind: 'VPC endpoint',
    found: await findVpcEndpoints(ec2, config.provisioningId),
    named: [state.vpcEndpoint?.vpcEndpointId],
    idOf: (e) => e.VpcEndpointId,
    tagsOf: (e) => e.Tags,
    describe: (id) => describeVpcEndpoint(ec2, id),
  });
  const tally = new UndoTally(notFound);
  // Only the V9 interface endpoint: the S3 gateway endpoint (byoc:resource s3-gateway-endpoint) has its own undo.
  // The tag lookup already keeps to our kind; this guards an ID named in the state.
  const ours = owned.filter((e) => (tagValue(e.Tags, TAG_RESOURCE) ?? VPC_ENDPOINT_RESOURCE) === VPC_ENDPOINT_RESOURCE);
  const toDelete: string[] = [];
  for (const endpoint of ours) {
    const id = endpoint.VpcEndpointId!;
    if (stateOf(endpoint) === 'deleted') tally.notFound.push(id);
    else if (stateOf(endpoint) === 'deleting') tally.deleted.push(id);
    else toDelete.push(id);
  }
  if (toDelete.length > 0) {
    let out;
    try {
      out = await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: toDelete }));
    } catch (error) {
      if (!isNotFound(error, 'InvalidVpcEndpointId.NotFound', 'InvalidVpcEndpoint.NotFound')) throw translateAwsError(error, `delete VPC endpoints ${toDelete.join(', ')}`);
    }
    // DeleteVpcEndpoints reports failures per endpoint instead of throwing; a NotFound thrown for the call means
    // none of them was there any more.
    const failures = new Map((out?.Unsuccessful ?? []).map((f) => [f.ResourceId ?? '', f.Error]));
    for (const id of toDelete) {
      const failure = failures.get(id);
      if (!out || (failure && /NotFound/.test(failure.Code ?? ''))) tally.notFound.push(id);
      else if (!failure) tally.deleted.push(id);
      else throw translateAwsError({ name: failure.Code ?? 'UnknownError', message: failure.Message }, `delete VPC endpoint ${id}`);
    }
    logger.info('deleting VPC endpoints', { vpcEndpointIds: toDelete });
  }
  return tally.result();
}
