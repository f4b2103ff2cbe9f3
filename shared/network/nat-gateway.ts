import {
  AllocateAddressCommand,
  CreateNatGatewayCommand,
  DeleteNatGatewayCommand,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  ReleaseAddressCommand,
  type Address,
  type EC2Client,
  type Filter,
  type NatGateway,
} from '@aws-sdk/client-ec2';
import type { ProvisioningConfig, TargetConfig } from '../config';
import { DependencyViolationError, EventualConsistencyError, ResourceFailedError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { clientToken, ownershipFilters, tagSpecification } from '../tags';
import { UndoTally, chooseKeeper, keepOwned, ownedResources } from './ownership';
import type { NatGatewayState, NatGatewayStatus, NetworkState, SubnetsState, UndoResult } from './types';

export const NAT_GATEWAY_RESOURCE = 'nat-gateway';
export const NAT_EIP_RESOURCE = 'nat-eip';

/** NAT gateway states that are (or may still become) a working gateway; `failed` is kept so the check reports it. */
const LIVE_STATES = ['pending', 'available', 'failed'];

/** The provisioning's NAT gateways, found by the ownership tags; `states` narrows the search. */
export async function findNatGateways(ec2: EC2Client, provisioningId: string, states?: string[]): Promise<NatGateway[]> {
  const filters: Filter[] = ownershipFilters(provisioningId, NAT_GATEWAY_RESOURCE);
  if (states) filters.push({ Name: 'state', Values: states });
  try {
    const out = await ec2.send(new DescribeNatGatewaysCommand({ Filter: filters }));
    // moto ignores the tag filters of DescribeNatGateways (it returns every gateway): keepOwned checks again.
    return keepOwned(out.NatGateways ?? [], (n) => n.Tags, provisioningId, [NAT_GATEWAY_RESOURCE]).sort((a, b) => (a.NatGatewayId ?? '').localeCompare(b.NatGatewayId ?? ''));
  } catch (error) {
    throw translateAwsError(error, `look up the NAT gateway of provisioning ${provisioningId}`);
  }
}

/** One NAT gateway by ID, or undefined when it does not exist (AWS: NatGatewayNotFound; moto: an empty list). */
async function describeNatGateway(ec2: EC2Client, id: string): Promise<NatGateway | undefined> {
  try {
    return (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways?.[0];
  } catch (error) {
    if (isNotFound(error, 'NatGatewayNotFound', 'InvalidNatGatewayID.NotFound')) return undefined;
    throw translateAwsError(error, `look up NAT gateway ${id}`);
  }
}

/** The provisioning's Elastic IPs for the NAT gateway, found by the ownership tags. */
export async function findNatAddresses(ec2: EC2Client, provisioningId: string): Promise<Address[]> {
  try {
    const out = await ec2.send(new DescribeAddressesCommand({ Filters: ownershipFilters(provisioningId, NAT_EIP_RESOURCE) }));
    return keepOwned(out.Addresses ?? [], (a) => a.Tags, provisioningId, [NAT_EIP_RESOURCE]).sort((a, b) => (a.AllocationId ?? '').localeCompare(b.AllocationId ?? ''));
  } catch (error) {
    throw translateAwsError(error, `look up the Elastic IP of provisioning ${provisioningId}`);
  }
}

async function describeAddress(ec2: EC2Client, allocationId: string): Promise<Address | undefined> {
  try {
    return (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }))).Addresses?.[0];
  } catch (error) {
    if (isNotFound(error, 'InvalidAllocationID.NotFound')) return undefined;
    throw translateAwsError(error, `look up Elastic IP ${allocationId}`);
  }
}

/**
 * The Elastic IP for the NAT gateway. AllocateAddress takes no ClientToken, so the provisioning-ID tag (set in the
 * call, `TagSpecifications`) is the idempotency key: find by tag first; after an allocation, look again, keep one and
 * release the others, so a second address allocated by a retry after a lost answer is released by this step (an
 * Elastic IP is billed while allocated). The one kept is the lowest allocation ID among those free; an address a NAT
 * gateway of ours still holds (one being deleted) or that is associated with anything is never released here. If the
 * new address is not listed by tag yet, EC2's listing lags and an earlier one may be hidden too:
 * `EventualConsistencyError`, and the retry sees them all.
 */
async function natAddress(ec2: EC2Client, config: ProvisioningConfig): Promise<string> {
  let addresses = await findNatAddresses(ec2, config.provisioningId);
  if (addresses.length > 0) {
    logger.info('found existing Elastic IP', { allocationIds: addresses.map((a) => a.AllocationId) });
  } else {
    let created: string | undefined;
    try {
      const out = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagSpecification(config, 'elastic-ip', NAT_EIP_RESOURCE) }));
      created = out.AllocationId;
      logger.info('allocated Elastic IP', { allocationId: out.AllocationId, publicIp: out.PublicIp });
    } catch (error) {
      throw translateAwsError(error, 'allocate an Elastic IP for the NAT gateway');
    }
    if (!created) throw new EventualConsistencyError('EC2 returned no allocation ID for the Elastic IP');
    addresses = await findNatAddresses(ec2, config.provisioningId);
    if (!addresses.some((a) => a.AllocationId === created)) {
      throw new EventualConsistencyError(`Elastic IP ${created} is not listed by its tags yet; the retry checks that no earlier attempt left a second one`);
    }
  }
  if (addresses.length === 1) return addresses[0].AllocationId!;

  const held = new Set((await findNatGateways(ec2, config.provisioningId)).filter((n) => n.State !== 'deleted').flatMap((n) => (n.NatGatewayAddresses ?? []).map((a) => a.AllocationId)));
  const inUse = (a: Address) => held.has(a.AllocationId) || Boolean(a.AssociationId);
  const free = addresses.filter((a) => !inUse(a));
  const { keep } = chooseKeeper(free.length > 0 ? free : addresses, (a) => a.AllocationId!, () => false);
  for (const extra of addresses.filter((a) => a !== keep && !inUse(a))) {
    const id = extra.AllocationId!;
    try {
      await ec2.send(new ReleaseAddressCommand({ AllocationId: id }));
      logger.warn('released a duplicate Elastic IP (an earlier attempt allocated it, its answer was lost)', { allocationId: id, kept: keep.AllocationId });
    } catch (error) {
      if (isNotFound(error, 'InvalidAllocationID.NotFound')) continue; // a concurrent attempt released it first
      logger.warn('could not release a duplicate Elastic IP; the rollback or teardown releases it by tag', { allocationId: id, error: awsErrorCode(error) });
    }
  }
  return keep.AllocationId!;
}

/**
 * V6: one Elastic IP and one public NAT gateway in the public subnet. Returns at once with the gateway's current
 * state (normally `pending`): waiting is the state machine's job (CheckNatGateway). Find-or-create by tag, plus a
 * ClientToken for AWS's own idempotency, so a re-run never makes a second gateway or a second address.
 *
 * @example const { natGatewayId, state } = await createNatGateway(config, state.subnets, { ec2 }); // state: 'pending'
 */
export async function createNatGateway(config: ProvisioningConfig, subnets: SubnetsState, deps: { ec2: EC2Client }): Promise<NatGatewayState> {
  const { ec2 } = deps;
  const [existing] = await findNatGateways(ec2, config.provisioningId, LIVE_STATES);
  if (existing?.NatGatewayId) {
    logger.info('found existing NAT gateway', { natGatewayId: existing.NatGatewayId, state: existing.State });
    return {
      natGatewayId: existing.NatGatewayId,
      allocationId: existing.NatGatewayAddresses?.[0]?.AllocationId ?? '',
      state: existing.State ?? 'pending',
    };
  }
  const allocationId = await natAddress(ec2, config);
  let nat: NatGateway | undefined;
  try {
    const out = await ec2.send(
      new CreateNatGatewayCommand({
        SubnetId: subnets.publicSubnetId,
        AllocationId: allocationId,
        ConnectivityType: 'public',
        ClientToken: clientToken(config.provisioningId, 'CreateNatGateway'),
        TagSpecifications: tagSpecification(config, 'natgateway', NAT_GATEWAY_RESOURCE),
      }),
    );
    nat = out.NatGateway;
  } catch (error) {
    if (isNotFound(error, 'InvalidSubnetID.NotFound', 'InvalidAllocationID.NotFound')) {
      throw new EventualConsistencyError(`subnet ${subnets.publicSubnetId} or Elastic IP ${allocationId} is not visible yet`, { cause: error });
    }
    // The address is already in use: most likely by the gateway an earlier attempt created, not yet visible by tag.
    if (awsErrorCode(error) === 'Resource.AlreadyAssociated') {
      throw new EventualConsistencyError(`Elastic IP ${allocationId} is already associated (probably with this provisioning's NAT gateway)`, { cause: error });
    }
    throw translateAwsError(error, `create the NAT gateway in ${subnets.publicSubnetId}`);
  }
  if (!nat?.NatGatewayId) throw new EventualConsistencyError('EC2 returned no NAT gateway ID');
  logger.info('created NAT gateway', { natGatewayId: nat.NatGatewayId, state: nat.State });
  return { natGatewayId: nat.NatGatewayId, allocationId, state: nat.State ?? 'pending' };
}

/**
 * CheckNatGateway: the gateway's state now, and whether it is usable. The state machine waits and calls this again
 * until `ready`. `failed` (and `deleting`/`deleted`: it will never become available) is terminal.
 *
 * @throws ResourceFailedError when the gateway failed, naming AWS's failure code and message.
 * @example await checkNatGateway(config, state, { ec2 }) // { state: 'pending', ready: false }
 */
export async function checkNatGateway(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<NatGatewayStatus> {
  const { ec2 } = deps;
  const id = state.natGateway?.natGatewayId;
  const nat = id ? await describeNatGateway(ec2, id) : (await findNatGateways(ec2, config.provisioningId, LIVE_STATES))[0];
  // Just created and not visible yet: retry (bounded by the state machine) rather than guess.
  if (!nat) throw new EventualConsistencyError(`NAT gateway ${id ?? `of provisioning ${config.provisioningId}`} is not visible yet`);
  const current = nat.State ?? 'pending';
  if (current === 'failed' || current === 'deleting' || current === 'deleted') {
    const reason = nat.FailureCode ? `${nat.FailureCode}: ${nat.FailureMessage ?? ''}` : 'no failure reason given';
    throw new ResourceFailedError(`NAT gateway ${nat.NatGatewayId} is ${current} and will not become available (${reason})`);
  }
  return { state: current, ready: current === 'available' };
}

/**
 * Undo of {@link createNatGateway} (the gateway part): ask EC2 to delete every NAT gateway of the provisioning
 * (named in the state, or found by tag) that is not already going. Returns at once: the gateway goes `deleting`,
 * and ReleaseElasticIp waits for it by raising `DependencyViolationError` until it is `deleted`.
 *
 * What was already gone (or `deleted`) is reported in `notFound`; one already `deleting` counts as deleted.
 *
 * @example await deleteNatGateway(config, state, { ec2 }) // { deleted: ['nat-1'], notFound: [] }
 */
export async function deleteNatGateway(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<UndoResult> {
  const { ec2 } = deps;
  const { owned, notFound } = await ownedResources({
    provisioningId: config.provisioningId,
    kind: 'NAT gateway',
    found: await findNatGateways(ec2, config.provisioningId),
    named: [state.natGateway?.natGatewayId],
    idOf: (n) => n.NatGatewayId,
    tagsOf: (n) => n.Tags,
    describe: (id) => describeNatGateway(ec2, id),
  });
  const tally = new UndoTally(notFound);
  for (const nat of owned) {
    const id = nat.NatGatewayId!;
    // `deleted`: gone already (EC2 lists it for a while). `deleting`: an earlier attempt of this step deleted it.
    if (nat.State === 'deleted') tally.notFound.push(id);
    else if (nat.State === 'deleting') tally.deleted.push(id);
    else {
      // Only delete what EC2 listed: moto answers a DeleteNatGateway of an unknown ID with an HTTP 500.
      try {
        await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id }));
        logger.info('deleting NAT gateway', { natGatewayId: id });
        tally.deleted.push(id);
      } catch (error) {
        if (!isNotFound(error, 'NatGatewayNotFound', 'InvalidNatGatewayID.NotFound')) throw translateAwsError(error, `delete NAT gateway ${id}`);
        tally.notFound.push(id);
      }
    }
  }
  return tally.result();
}

/**
 * Undo of the Elastic IP: release every address of the provisioning (named in `$.natGateway.allocationId`, or
 * found by tag). While a NAT gateway of ours still uses it (any state but `deleted`), or the address is still
 * associated with anything else, raise `DependencyViolationError` so the state machine retries later: releasing
 * an address in use fails on AWS, and must not be allowed to "succeed" on an emulator that lets it.
 *
 * An address already released is reported in `notFound`, not as deleted.
 *
 * @example await releaseElasticIp(config, state, { ec2 }) // { deleted: ['eipalloc-1'], notFound: [] }
 */
export async function releaseElasticIp(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<UndoResult> {
  const { ec2 } = deps;
  const { owned: addresses, notFound } = await ownedResources({
    provisioningId: config.provisioningId,
    kind: 'Elastic IP',
    found: await findNatAddresses(ec2, config.provisioningId),
    named: [state.natGateway?.allocationId],
    idOf: (a) => a.AllocationId,
    tagsOf: (a) => a.Tags,
    describe: (id) => describeAddress(ec2, id),
  });
  const tally = new UndoTally(notFound);
  if (addresses.length === 0) return tally.result();

  const gateways = await findNatGateways(ec2, config.provisioningId);
  const named = state.natGateway?.natGatewayId;
  if (named && !gateways.some((n) => n.NatGatewayId === named)) {
    const nat = await describeNatGateway(ec2, named);
    if (nat) gateways.push(nat);
  }
  for (const address of addresses) {
    const id = address.AllocationId!;
    const users = gateways.filter((n) => n.State !== 'deleted' && (n.NatGatewayAddresses ?? []).some((a) => a.AllocationId === id));
    if (users.length > 0) {
      throw new DependencyViolationError(
        `Elastic IP ${id} is still used by NAT gateway ${users.map((n) => `${n.NatGatewayId} (${n.State})`).join(', ')}; retry once it is deleted`,
      );
    }
    // AWS drops the association when the NAT gateway is deleted; moto keeps it. An association with the interface
    // of one of our deleted gateways is therefore stale; any other association is a real user of the address.
    const deletedEnis = new Set(gateways.filter((n) => n.State === 'deleted').flatMap((n) => (n.NatGatewayAddresses ?? []).map((a) => a.NetworkInterfaceId)));
    if (address.AssociationId && !deletedEnis.has(address.NetworkInterfaceId)) {
      throw new DependencyViolationError(`Elastic IP ${id} is still associated (${address.AssociationId}, ${address.NetworkInterfaceId ?? address.InstanceId}); retry once it is free`);
    }
    try {
      await ec2.send(new ReleaseAddressCommand({ AllocationId: id }));
      logger.info('released Elastic IP', { allocationId: id });
      tally.deleted.push(id);
    } catch (error) {
      if (awsErrorCode(error) === 'InvalidIPAddress.InUse') {
        throw new DependencyViolationError(`Elastic IP ${id} is still in use; retry once its NAT gateway is deleted`, { cause: error });
      }
      if (!isNotFound(error, 'InvalidAllocationID.NotFound')) throw translateAwsError(error, `release Elastic IP ${id}`);
      tally.notFound.push(id);
    }
  }
  return tally.result();
}
