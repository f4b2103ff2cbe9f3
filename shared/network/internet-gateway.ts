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
import { keepOwned, ownedResources } from './ownership';
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
 * V6: the internet gateway, attached to the VPC. Find-or-create by tag (CreateInternetGateway takes no
 * ClientToken), then attach unless it already is: a re-run converges on one gateway, attached once.
 *
 * @example const { internetGatewayId } = await createInternetGateway(config, state.vpc, { ec2 });
 */
export async function createInternetGateway(config: ProvisioningConfig, vpc: VpcState, deps: { ec2: EC2Client }): Promise<InternetGatewayState> {
  const { ec2 } = deps;
  let [igw] = await findInternetGateways(ec2, config.provisioningId);
  if (igw) {
    logger.info('found existing internet gateway', { internetGatewayId: igw.InternetGatewayId });
  } else {
    try {
      const out = await ec2.send(
        new CreateInternetGatewayCommand({ TagSpecifications: tagSpecification(config, 'internet-gateway', INTERNET_GATEWAY_RESOURCE) }),
      );
      igw = out.InternetGateway ?? {};
    } catch (error) {
      throw translateAwsError(error, 'create the internet gateway');
    }
    logger.info('created internet gateway', { internetGatewayId: igw.InternetGatewayId });
  }
  const internetGatewayId = igw.InternetGatewayId;
  if (!internetGatewayId) throw new EventualConsistencyError('EC2 returned no internet gateway ID');
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
 * and every one found by tag. "Not found" and "not attached" are success. AWS refuses the detach while the VPC
 * still has public addresses mapped (the NAT gateway's EIP): `DependencyViolationError`, retried by the state machine.
 *
 * @example await deleteInternetGateway(config, state, { ec2 }) // { deleted: ['igw-1'] }
 */
export async function deleteInternetGateway(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<UndoResult> {
  const { ec2 } = deps;
  const gateways = await ownedResources({
    provisioningId: config.provisioningId,
    kind: 'internet gateway',
    found: await findInternetGateways(ec2, config.provisioningId),
    named: [state.internetGateway?.internetGatewayId],
    idOf: (g) => g.InternetGatewayId,
    tagsOf: (g) => g.Tags,
    describe: (id) => describeInternetGateway(ec2, id),
  });
  const deleted: string[] = [];
  for (const igw of gateways) {
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
    } catch (error) {
      if (!isNotFound(error, 'InvalidInternetGatewayID.NotFound')) throw translateAwsError(error, `detach and delete internet gateway ${id}`);
    }
    deleted.push(id);
  }
  return { deleted };
}
