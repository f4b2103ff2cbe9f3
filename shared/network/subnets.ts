import {
  CreateSubnetCommand,
  CreateTagsCommand,
  DeleteSubnetCommand,
  DescribeSubnetsCommand,
  ModifySubnetAttributeCommand,
  type EC2Client,
  type Filter,
  type Subnet,
} from '@aws-sdk/client-ec2';
import type { ProvisioningConfig, TargetConfig } from '../config';
import { TAG_RESOURCE } from '../constants';
import { EventualConsistencyError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { ownershipFilters, resourceTags, tagValue } from '../tags';
import { UndoTally, keepOwned, ownedResources } from './ownership';
import type { NetworkState, SubnetsState, UndoResult, VpcState } from './types';

export const PUBLIC_SUBNET_RESOURCE = 'public-subnet';
export const PRIVATE_SUBNET_RESOURCE = 'private-subnet';

/** V4: the tag the AWS Load Balancer Controller looks for to place internal load balancers. */
export const INTERNAL_ELB_TAG = { Key: 'kubernetes.io/role/internal-elb', Value: '1' } as const;

const kindFilter = (): Filter => ({ Name: `tag:${TAG_RESOURCE}`, Values: [PUBLIC_SUBNET_RESOURCE, PRIVATE_SUBNET_RESOURCE] });

/** The provisioning's subnets (both kinds), found by the ownership tags; optionally only those of one VPC. */
export async function findSubnets(ec2: EC2Client, provisioningId: string, vpcId?: string): Promise<Subnet[]> {
  const filters: Filter[] = [...ownershipFilters(provisioningId), kindFilter()];
  if (vpcId) filters.push({ Name: 'vpc-id', Values: [vpcId] });
  try {
    const out = await ec2.send(new DescribeSubnetsCommand({ Filters: filters }));
    return keepOwned(out.Subnets ?? [], (s) => s.Tags, provisioningId, [PUBLIC_SUBNET_RESOURCE, PRIVATE_SUBNET_RESOURCE]);
  } catch (error) {
    throw translateAwsError(error, `look up the subnets of provisioning ${provisioningId}`);
  }
}

async function describeSubnet(ec2: EC2Client, subnetId: string): Promise<Subnet | undefined> {
  try {
    return (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))).Subnets?.[0];
  } catch (error) {
    if (isNotFound(error, 'InvalidSubnetID.NotFound')) return undefined;
    throw translateAwsError(error, `look up subnet ${subnetId}`);
  }
}

interface PlannedSubnet {
  kind: typeof PUBLIC_SUBNET_RESOURCE | typeof PRIVATE_SUBNET_RESOURCE;
  cidr: string;
  availabilityZone: string;
  /** V3: the physical zone; the subnet is created by it when the config has it. */
  availabilityZoneId?: string;
  name: string;
}

function planned(config: ProvisioningConfig): PlannedSubnet[] {
  const { publicSubnet, privateSubnets } = config.network;
  return [
    { kind: PUBLIC_SUBNET_RESOURCE, ...publicSubnet, name: `${config.projectName}-public-${publicSubnet.availabilityZone}` },
    ...privateSubnets.map((s) => ({ kind: PRIVATE_SUBNET_RESOURCE, ...s, name: `${config.projectName}-private-${s.availabilityZone}` }) as const),
  ];
}

/** The tags one planned subnet carries (V8, plus V4 on the private ones). */
function subnetTags(config: ProvisioningConfig, subnet: PlannedSubnet) {
  const tags = resourceTags(config, subnet.kind, subnet.name);
  return subnet.kind === PRIVATE_SUBNET_RESOURCE ? [...tags, { ...INTERNAL_ELB_TAG }] : tags;
}

async function createSubnet(ec2: EC2Client, config: ProvisioningConfig, vpcId: string, subnet: PlannedSubnet): Promise<Subnet> {
  try {
    const out = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpcId,
        CidrBlock: subnet.cidr,
        // By zone ID when the config has one: the physical zone ValidateInput chose (EC2 takes one or the other).
        ...(subnet.availabilityZoneId ? { AvailabilityZoneId: subnet.availabilityZoneId } : { AvailabilityZone: subnet.availabilityZone }),
        TagSpecifications: [{ ResourceType: 'subnet', Tags: subnetTags(config, subnet) }],
      }),
    );
    if (!out.Subnet?.SubnetId) throw new EventualConsistencyError(`EC2 returned no subnet ID for ${subnet.cidr}`);
    logger.info('created subnet', { subnetId: out.Subnet.SubnetId, cidr: subnet.cidr, kind: subnet.kind });
    return out.Subnet;
  } catch (error) {
    // Right after CreateVpc the new VPC may not be visible yet: retrying the step is safe (find-by-tag first).
    if (isNotFound(error, 'InvalidVpcID.NotFound')) throw new EventualConsistencyError(`VPC ${vpcId} is not visible yet`, { cause: error });
    // The CIDR is taken: by our own subnet that the tag lookup does not show yet (a create whose answer was lost),
    // or by a subnet someone else added to our VPC. A retry tells the two apart; it finds ours by tag.
    if (awsErrorCode(error) === 'InvalidSubnet.Conflict') {
      throw new EventualConsistencyError(`${subnet.cidr} is already used in ${vpcId} by a subnet not (yet) found by tag`, { cause: error });
    }
    throw translateAwsError(error, `create subnet ${subnet.cidr} in ${vpcId}`);
  }
}

/** Bring a subnet we own (maybe created by an older run) to the plan: V4 tag on private subnets, no public IPs. */
async function reconcileSubnet(ec2: EC2Client, subnet: Subnet, plan: PlannedSubnet): Promise<void> {
  const id = subnet.SubnetId!;
  try {
    if (plan.kind === PRIVATE_SUBNET_RESOURCE && tagValue(subnet.Tags, INTERNAL_ELB_TAG.Key) !== INTERNAL_ELB_TAG.Value) {
      await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ ...INTERNAL_ELB_TAG }] }));
    }
    // V6: nothing in these subnets gets a public address by default (the NAT gateway has its own EIP).
    if (subnet.MapPublicIpOnLaunch) {
      await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: id, MapPublicIpOnLaunch: { Value: false } }));
    }
  } catch (error) {
    if (isNotFound(error, 'InvalidSubnetID.NotFound')) throw new EventualConsistencyError(`subnet ${id} is not visible yet`, { cause: error });
    throw translateAwsError(error, `configure subnet ${id}`);
  }
}

/**
 * V3, V4, V8: the public /24 (in the first zone) and the three private /18s (one per zone, tagged
 * `kubernetes.io/role/internal-elb=1`), with public IPs on launch off. Each is created in its zone by zone ID (the
 * physical zone ValidateInput chose; names differ per account), and the answer names the zone each subnet is really
 * in, by name and ID, as EC2 reports it. Find-or-create per CIDR: subnets this
 * provisioning already made (found by tag in its VPC) are kept, so a re-run or a retry after a lost answer never
 * makes a second subnet. CreateSubnet takes no ClientToken; the tag is the only idempotency key.
 *
 * @example const { publicSubnetId, privateSubnets } = await createSubnets(config, state.vpc, { ec2 });
 */
export async function createSubnets(config: ProvisioningConfig, vpc: VpcState, deps: { ec2: EC2Client }): Promise<SubnetsState> {
  const { ec2 } = deps;
  const existing = await findSubnets(ec2, config.provisioningId, vpc.vpcId);
  const made: Subnet[] = [];
  for (const plan of planned(config)) {
    const found = existing.find((s) => s.CidrBlock === plan.cidr && tagValue(s.Tags, TAG_RESOURCE) === plan.kind);
    const subnet = found ?? (await createSubnet(ec2, config, vpc.vpcId, plan));
    if (found) logger.info('found existing subnet', { subnetId: found.SubnetId, cidr: plan.cidr, availabilityZone: found.AvailabilityZone });
    // An older run may have put it elsewhere; it is kept (it may hold nodes), and Verify's V3 check reports it.
    if (found && (plan.availabilityZoneId ? found.AvailabilityZoneId !== plan.availabilityZoneId : found.AvailabilityZone !== plan.availabilityZone)) {
      logger.warn('existing subnet is not in the planned zone', { subnetId: found.SubnetId, zone: found.AvailabilityZoneId ?? found.AvailabilityZone, planned: plan.availabilityZoneId ?? plan.availabilityZone });
    }
    await reconcileSubnet(ec2, subnet, plan);
    made.push(subnet);
  }
  const [publicSubnet, ...privates] = made;
  return {
    publicSubnetId: publicSubnet.SubnetId!,
    privateSubnets: config.network.privateSubnets.map((s, i) => {
      const zoneId = privates[i].AvailabilityZoneId ?? s.availabilityZoneId;
      return { subnetId: privates[i].SubnetId!, cidr: s.cidr, availabilityZone: privates[i].AvailabilityZone ?? s.availabilityZone, ...(zoneId ? { availabilityZoneId: zoneId } : {}) };
    }),
  };
}

/**
 * Undo of {@link createSubnets}: delete the subnets named in `$.subnets` and every subnet found by tag. "Not
 * found" is success, reported in `notFound`; a subnet still holding network interfaces (NAT gateway or endpoint being deleted) raises
 * `DependencyViolationError`, which the state machine retries.
 *
 * @example await deleteSubnets(config, state, { ec2 }) // { deleted: ['subnet-1', ...], notFound: [] }
 */
export async function deleteSubnets(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<UndoResult> {
  const { ec2 } = deps;
  const { owned: subnets, notFound } = await ownedResources({
    provisioningId: config.provisioningId,
    kind: 'subnet',
    found: await findSubnets(ec2, config.provisioningId),
    named: [state.subnets?.publicSubnetId, ...(state.subnets?.privateSubnets ?? []).map((s) => s.subnetId)],
    idOf: (s) => s.SubnetId,
    tagsOf: (s) => s.Tags,
    describe: (id) => describeSubnet(ec2, id),
  });
  const tally = new UndoTally(notFound);
  for (const subnet of subnets) {
    const id = subnet.SubnetId!;
    try {
      await ec2.send(new DeleteSubnetCommand({ SubnetId: id }));
      logger.info('deleted subnet', { subnetId: id });
      tally.deleted.push(id);
    } catch (error) {
      if (!isNotFound(error, 'InvalidSubnetID.NotFound')) throw translateAwsError(error, `delete subnet ${id}`);
      tally.notFound.push(id);
    }
  }
  return tally.result();
}
