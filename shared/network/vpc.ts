import {
  CreateVpcCommand,
  DeleteVpcCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  ModifyVpcAttributeCommand,
  type EC2Client,
  type Vpc,
} from '@aws-sdk/client-ec2';
import type { ProvisioningConfig, TargetConfig } from '../config';
import { EventualConsistencyError, InvalidInputError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { ownershipFilters, tagSpecification } from '../tags';
import { logger } from '../lambda';
import { UndoTally, chooseKeeper, keepOwned, ownedResources } from './ownership';
import type { UndoResult } from './types';

export const VPC_RESOURCE = 'vpc';

/** The provisioning's VPCs, found by the ownership tags, lowest ID first (normally one; more only after a create whose answer was lost). */
export async function findVpcs(ec2: EC2Client, provisioningId: string): Promise<Vpc[]> {
  try {
    const out = await ec2.send(new DescribeVpcsCommand({ Filters: ownershipFilters(provisioningId, VPC_RESOURCE) }));
    return keepOwned(out.Vpcs ?? [], (v) => v.Tags, provisioningId, [VPC_RESOURCE]).sort((a, b) => (a.VpcId ?? '').localeCompare(b.VpcId ?? ''));
  } catch (error) {
    throw translateAwsError(error, `look up the VPC of provisioning ${provisioningId}`);
  }
}

/** V5: turn on DNS resolution and DNS hostnames (one attribute per call, as EC2 requires); a no-op when already on. */
async function enableDns(ec2: EC2Client, vpcId: string): Promise<void> {
  for (const attribute of ['enableDnsSupport', 'enableDnsHostnames'] as const) {
    try {
      const current = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: attribute }));
      const on = attribute === 'enableDnsSupport' ? current.EnableDnsSupport?.Value : current.EnableDnsHostnames?.Value;
      if (on) continue;
      await ec2.send(
        new ModifyVpcAttributeCommand(
          attribute === 'enableDnsSupport' ? { VpcId: vpcId, EnableDnsSupport: { Value: true } } : { VpcId: vpcId, EnableDnsHostnames: { Value: true } },
        ),
      );
    } catch (error) {
      // Right after CreateVpc, EC2 may not know the new ID yet: retry the step, which finds the VPC by tag.
      if (isNotFound(error, 'InvalidVpcID.NotFound')) throw new EventualConsistencyError(`VPC ${vpcId} is not visible yet`, { cause: error });
      throw translateAwsError(error, `enable ${attribute} on ${vpcId}`);
    }
  }
}

/** The VPCs among `vpcIds` that hold subnets (anyone's): those are in use and are never removed as duplicates. */
async function vpcsWithSubnets(ec2: EC2Client, vpcIds: string[]): Promise<Set<string>> {
  try {
    const out = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] }));
    return new Set((out.Subnets ?? []).map((s) => s.VpcId!).filter(Boolean));
  } catch (error) {
    throw translateAwsError(error, `look up the subnets of VPCs ${vpcIds.join(', ')}`);
  }
}

/**
 * Keep one of the provisioning's VPCs and delete the other ones (see `chooseKeeper`: one that holds subnets, else
 * the lowest ID). Only VPCs carrying our provisioning-ID tag are ever considered (`findVpcs`), and one that holds
 * subnets is never deleted: a duplicate a retry made a moment ago is empty. Best effort on purpose: a duplicate
 * EC2 will not delete yet is left for the rollback or teardown (found by tag) with a warning, not a failed step.
 */
async function removeDuplicateVpcs(ec2: EC2Client, vpcs: Vpc[]): Promise<Vpc> {
  if (vpcs.length === 1) return vpcs[0];
  const inUse = await vpcsWithSubnets(ec2, vpcs.map((v) => v.VpcId!));
  const { keep, extras } = chooseKeeper(vpcs, (v) => v.VpcId!, (v) => inUse.has(v.VpcId!));
  for (const extra of extras) {
    const id = extra.VpcId!;
    if (inUse.has(id)) {
      logger.warn('provisioning has a second VPC that holds subnets; keeping it for the teardown', { vpcId: id, kept: keep.VpcId });
      continue;
    }
    try {
      await ec2.send(new DeleteVpcCommand({ VpcId: id }));
      logger.warn('deleted a duplicate VPC (an earlier attempt made it, its answer was lost)', { vpcId: id, kept: keep.VpcId });
    } catch (error) {
      if (isNotFound(error, 'InvalidVpcID.NotFound')) continue; // a concurrent attempt removed it first
      logger.warn('could not delete a duplicate VPC; the rollback or teardown removes it by tag', { vpcId: id, error: awsErrorCode(error) });
    }
  }
  return keep;
}

/**
 * Create the VPC (V2, V5, V8), or find the one this provisioning already made. CreateVpc takes no ClientToken, so
 * the provisioning-ID tag (set in the create call itself, `TagSpecifications`) is the idempotency key:
 * - find by tag first, so a retried step never makes a second VPC when the first is listed;
 * - after a create, look again: a retry can create a second VPC when an earlier attempt's create acted, its answer
 *   was lost, and EC2 did not list it by tag yet. Then one is kept (deterministically) and the others are deleted,
 *   here, before the step answers. If the new VPC itself is not listed yet, EC2's listing lags and an earlier one
 *   may be hidden too: the step fails with `EventualConsistencyError`, and its retry finds them all.
 *
 * @example const { vpcId } = await createVpc(config, { ec2 });
 */
export async function createVpc(config: ProvisioningConfig, deps: { ec2: EC2Client }): Promise<{ vpcId: string; cidr: string }> {
  const { ec2 } = deps;
  let vpcs = await findVpcs(ec2, config.provisioningId);
  const otherCidr = vpcs.find((v) => v.CidrBlock !== config.network.vpcCidr);
  if (otherCidr) {
    throw new InvalidInputError([
      {
        field: 'network.vpcCidr',
        rule: `provisioning ${config.provisioningId} already has VPC ${otherCidr.VpcId} with CIDR ${otherCidr.CidrBlock}; tear it down before asking for ${config.network.vpcCidr}`,
      },
    ]);
  }
  if (vpcs.length > 0) {
    logger.info('found existing VPC', { vpcIds: vpcs.map((v) => v.VpcId) });
  } else {
    let created: string | undefined;
    try {
      const out = await ec2.send(
        new CreateVpcCommand({ CidrBlock: config.network.vpcCidr, TagSpecifications: tagSpecification(config, 'vpc', VPC_RESOURCE) }),
      );
      created = out.Vpc?.VpcId;
    } catch (error) {
      throw translateAwsError(error, `create a VPC with CIDR ${config.network.vpcCidr}`);
    }
    if (!created) throw new EventualConsistencyError('EC2 returned no VPC ID');
    logger.info('created VPC', { vpcId: created });
    vpcs = (await findVpcs(ec2, config.provisioningId)).filter((v) => v.CidrBlock === config.network.vpcCidr);
    if (!vpcs.some((v) => v.VpcId === created)) {
      throw new EventualConsistencyError(`VPC ${created} is not listed by its tags yet; the retry checks that no earlier attempt left a second one`);
    }
  }
  const vpcId = (await removeDuplicateVpcs(ec2, vpcs)).VpcId!;
  await enableDns(ec2, vpcId);
  return { vpcId, cidr: config.network.vpcCidr };
}

async function describeVpc(ec2: EC2Client, vpcId: string): Promise<Vpc | undefined> {
  try {
    return (await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0];
  } catch (error) {
    if (isNotFound(error, 'InvalidVpcID.NotFound')) return undefined;
    throw translateAwsError(error, `look up VPC ${vpcId}`);
  }
}

/**
 * Delete the provisioning's VPC(s): the one named in the state, and any found by tag (so a VPC created by a step
 * whose answer was lost goes too). Refuses a VPC without our tag. What was already gone is reported in `notFound`,
 * never as deleted. A VPC that still has dependencies raises `DependencyViolationError`, which the state machine
 * retries.
 *
 * @example await deleteVpc(config, 'vpc-1', { ec2 }) // { deleted: ['vpc-1'], notFound: [] }
 */
export async function deleteVpc(config: TargetConfig, vpcId: string | undefined, deps: { ec2: EC2Client }): Promise<UndoResult> {
  const { ec2 } = deps;
  const { owned, notFound } = await ownedResources({
    provisioningId: config.provisioningId,
    kind: 'VPC',
    found: await findVpcs(ec2, config.provisioningId),
    named: [vpcId],
    idOf: (v) => v.VpcId,
    tagsOf: (v) => v.Tags,
    describe: (id) => describeVpc(ec2, id),
  });
  const tally = new UndoTally(notFound);
  for (const vpc of owned) {
    const id = vpc.VpcId!;
    try {
      await ec2.send(new DeleteVpcCommand({ VpcId: id }));
      logger.info('deleted VPC', { vpcId: id });
      tally.deleted.push(id);
    } catch (error) {
      if (!isNotFound(error, 'InvalidVpcID.NotFound')) throw translateAwsError(error, `delete VPC ${id}`);
      tally.notFound.push(id);
    }
  }
  return tally.result();
}
