import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  DeleteInternetGatewayCommand,
  DescribeInternetGatewaysCommand,
  DetachInternetGatewayCommand,
  type EC2Client,
  type InternetGateway,
} from '@aws-sdk/client-ec2';
import type { ProvisioningConfig, TargetConfig } from '../config';
import { EventualConsistencyError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { ownershipFilters, tagSpecification } from '../tags';
import { UndoTally, chooseKeeper, keepOwned, ownedResources } from './ownership';
import type { InternetGatewayState, NetworkState, UndoResult, VpcState } from './types';

export const INTERNET_GATEWAY_RESOURCE = 'internet-gateway';

/** The provisioning's internet gateways, found by the ownership tags. */
export async function findInternetGateways(ec2: EC2Client, provisioningId: string): Promise<InternetGateway[]> {
  try {
    const out = await ec2.send(new DescribeInternetGatewaysCommand({ Filters: ownershipFilters(provisioningId, INTERNET_GATEWAY_RESOURCE) }));
    return keepOwned(out.InternetGateways ?? [], (g) => g.Tags, provisioningId, [INTERNET_GATEWAY_RESOURCE]).sort((a, b) => (a.InternetGatewayId ?? '').localeCompare(b.InternetGatewayId ?? ''));
  } catch (error) {
    throw translateAwsError(error, `look up the internet gateway of provisioning ${provisioningId}`);
  }
}

async function describeInternetGateway(ec2: EC2Client, id: string): Promise<InternetGateway | undefined> {
  try {
    return (await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] }))).InternetGateways?.[0];
  } catch (error) {
    if (isNotFound(error, 'InvalidInternetGatewayID.NotFound')) return undefined;
    throw translateAwsError(error, `look up internet gateway ${id}`);
  }
}

/** AWS reports an attached internet gateway as `available` (a value the SDK's enum lacks), sometimes `attached`. */
const attachedTo = (igw: InternetGateway | undefined, vpcId: string): boolean =>
  (igw?.Attachments ?? []).some((a) => a.VpcId === vpcId && ['available', 'attached', 'attaching'].includes(String(a.State)));

/**
 * Keep one of the provisioning's internet gateways and delete the others (see `chooseKeeper`: one attached to our
 * VPC, else the lowest ID). Only gateways carrying our provisioning-ID tag are considered, and an attached one is
 * never deleted here: a duplicate a retry made a moment ago is not attached yet. Best effort on purpose: one EC2
 * will not delete yet is left for the rollback or teardown (found by tag) with a warning.
 */
async function removeDuplicateGateways(ec2: EC2Client, gateways: InternetGateway[], vpcId: string): Promise<InternetGateway> {
  if (gateways.length === 1) return gateways[0];
  const attached = (g: InternetGateway) => (g.Attachments ?? []).some((a) => a.VpcId && a.State !== 'detached');
  const { keep, extras } = chooseKeeper(gateways, (g) => g.InternetGatewayId!, (g) => attachedTo(g, vpcId));
  for (const extra of extras) {
    const id = extra.InternetGatewayId!;
    if (attached(extra)) {
      logger.warn('provisioning has a second internet gateway that is attached; keeping it for the teardown', { internetGatewayId: id, kept: keep.InternetGatewayId });
      continue;
    }
    try {
      await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id }));
      logger.warn('deleted a duplicate internet gateway (an earlier attempt made it, its answer was lost)', { internetGatewayId: id, kept: keep.InternetGatewayId });
    } catch (error) {
      if (isNotFound(error, 'InvalidInternetGatewayID.NotFound')) continue; // a concurrent attempt removed it first
      logger.warn('could not delete a duplicate internet gateway; the rollback or teardown removes it by tag', { internetGatewayId: id, error: awsErrorCode(error) });
    }
  }
  return keep;
}

/**
 * V6: the internet gateway, attached to the VPC. CreateInternetGateway takes no ClientToken, so the provisioning-ID
 * tag (set in the create call, `TagSpecifications`) is the idempotency key: find by tag first; after a create, look
 * again, keep one (the attached one, else the lowest ID) and delete the others, so a second gateway made by a retry
 * after a lost answer is removed by this step. If the new gateway is not listed by tag yet, EC2's listing lags and
 * an earlier one may be hidden too: `EventualConsistencyError`, and the retry sees them all. Then attach unless it
 * already is: a re-run converges on one gateway, attached once.
 *
 * @example const { internetGatewayId } = await createInternetGateway(config, state.vpc, { ec2 });
 */
export async function createInternetGateway(config: ProvisioningConfig, vpc: VpcState, deps: { ec2: EC2Client }): Promise<InternetGatewayState> {
  const { ec2 } = deps;
  let gateways = await findInternetGateways(ec2, config.provisioningId);
  if (gateways.length > 0) {
    logger.info('found existing internet gateway', { internetGatewayIds: gateways.map((g) => g.InternetGatewayId) });
  } else {
    let created: string | undefined;
    try {
      const out = await ec2.send(
        new CreateInternetGatewayCommand({ TagSpecifications: tagSpecification(config, 'internet-gateway', INTERNET_GATEWAY_RESOURCE) }),
      );
      created = out.InternetGateway?.InternetGatewayId;
    } catch (error) {
      throw translateAwsError(error, 'create the internet gateway');
    }
    if (!created) throw new EventualConsistencyError('EC2 returned no internet gateway ID');
    logger.info('created internet gateway', { internetGatewayId: created });
    gateways = await findInternetGateways(ec2, config.provisioningId);
    if (!gateways.some((g) => g.InternetGatewayId === created)) {
      throw new EventualConsistencyError(`internet gateway ${created} is not listed by its tags yet; the retry checks that no earlier attempt left a second one`);
    }
  }
  const igw = await removeDuplicateGateways(ec2, gateways, vpc.vpcId);
  const internetGatewayId = igw.InternetGatewayId!;
  if (!attachedTo(igw, vpc.vpcId)) {
    try {
      await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: internetGatewayId, VpcId: vpc.vpcId }));
      logger.info('attached internet gateway', { internetGatewayId, vpcId: vpc.vpcId });
    } catch (error) {
      if (isNotFound(error, 'InvalidInternetGatewayID.NotFound', 'InvalidVpcID.NotFound')) {
        throw new EventualConsistencyError(`internet gateway ${internetGatewayId} or VPC ${vpc.vpcId} is not visible yet`, { cause: error });
      }
      // A concurrent run attached it between our look-up and our call: fine if it is attached to our VPC.
      if (awsErrorCode(error) !== 'Resource.AlreadyAssociated' || !attachedTo(await describeInternetGateway(ec2, internetGatewayId), vpc.vpcId)) {
        throw translateAwsError(error, `attach internet gateway ${internetGatewayId} to ${vpc.vpcId}`);
      }
    }
  }
  return { internetGatewayId };
}

/**
 * Undo of {@link createInternetGateway}: detach from every VPC, then delete; for the gateway named in the state
 * and every one found by tag. What is already gone is reported in `notFound`; "not attached" is fine. AWS refuses
 * the detach while the VPC still has public addresses mapped (the NAT gateway's EIP): `DependencyViolationError`,
 * retried by the state machine.
 *
 * @example await deleteInternetGateway(config, state, { ec2 }) // { deleted: ['igw-1'], notFound: [] }
 */
export async function deleteInternetGateway(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<UndoResult> {
  const { ec2 } = deps;
  const { owned, notFound } = await ownedResources({
    provisioningId: config.provisioningId,
    kind: 'internet gateway',
    found: await findInternetGateways(ec2, config.provisioningId),
    named: [state.internetGateway?.internetGatewayId],
    idOf: (g) => g.InternetGatewayId,
    tagsOf: (g) => g.Tags,
    describe: (id) => describeInternetGateway(ec2, id),
  });
  const tally = new UndoTally(notFound);
  for (const igw of owned) {
    const id = igw.InternetGatewayId!;
    try {
      for (const attachment of igw.Attachments ?? []) {
        if (!attachment.VpcId || attachment.State === 'detached') continue;
        try {
          await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: id, VpcId: attachment.VpcId }));
          logger.info('detached internet gateway', { internetGatewayId: id, vpcId: attachment.VpcId });
        } catch (error) {
          if (awsErrorCode(error) !== 'Gateway.NotAttached' && !isNotFound(error, 'InvalidVpcID.NotFound')) throw error;
        }
      }
      await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id }));
      logger.info('deleted internet gateway', { internetGatewayId: id });
      tally.deleted.push(id);
    } catch (error) {
      if (!isNotFound(error, 'InvalidInternetGatewayID.NotFound')) throw translateAwsError(error, `detach and delete internet gateway ${id}`);
      tally.notFound.push(id);
    }
  }
  return tally.result();
}
