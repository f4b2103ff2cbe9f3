import {
  CreateVpcCommand,
  DeleteVpcCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  ModifyVpcAttributeCommand,
  type EC2Client,
  type Vpc,
} from '@aws-sdk/client-ec2';
import type { ProvisioningConfig, TargetConfig } from '../config';
import { TAG_PROVISIONING_ID } from '../constants';
import { EventualConsistencyError, ForeignResourceError, InvalidInputError } from '../errors';
import { isNotFound, translateAwsError } from '../aws/translate-error';
import { ownershipFilters, tagSpecification, tagValue } from '../tags';
import { logger } from '../lambda';

export const VPC_RESOURCE = 'vpc';

/** The provisioning's VPCs, found by the ownership tags (normally one; more only after a non-idempotent bug). */
export async function findVpcs(ec2: EC2Client, provisioningId: string): Promise<Vpc[]> {
  try {
    const out = await ec2.send(new DescribeVpcsCommand({ Filters: ownershipFilters(provisioningId, VPC_RESOURCE) }));
    return (out.Vpcs ?? []).sort((a, b) => (a.VpcId ?? '').localeCompare(b.VpcId ?? ''));
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

/**
 * Create the VPC (V2, V5, V8), or find the one this provisioning already made: find-by-tag first, so a retried
 * step (or a retry after a response that never arrived) never makes a second VPC. EC2's CreateVpc takes no
 * ClientToken, so the tag is the only idempotency key.
 *
 * @example const { vpcId } = await createVpc(config, { ec2 });
 */
export async function createVpc(config: ProvisioningConfig, deps: { ec2: EC2Client }): Promise<{ vpcId: string; cidr: string }> {
  const { ec2 } = deps;
  const [existing, ...extra] = await findVpcs(ec2, config.provisioningId);
  let vpcId = existing?.VpcId;
  if (existing) {
    if (extra.length > 0) logger.warn('provisioning has more than one VPC; using the first', { vpcIds: [existing, ...extra].map((v) => v.VpcId) });
    if (existing.CidrBlock !== config.network.vpcCidr) {
      throw new InvalidInputError([
        {
          field: 'network.vpcCidr',
          rule: `provisioning ${config.provisioningId} already has VPC ${vpcId} with CIDR ${existing.CidrBlock}; tear it down before asking for ${config.network.vpcCidr}`,
        },
      ]);
    }
    logger.info('found existing VPC', { vpcId });
  } else {
    try {
      const out = await ec2.send(
        new CreateVpcCommand({ CidrBlock: config.network.vpcCidr, TagSpecifications: tagSpecification(config, 'vpc', VPC_RESOURCE) }),
      );
      vpcId = out.Vpc?.VpcId;
    } catch (error) {
      throw translateAwsError(error, `create a VPC with CIDR ${config.network.vpcCidr}`);
    }
    logger.info('created VPC', { vpcId });
  }
  if (!vpcId) throw new EventualConsistencyError('EC2 returned no VPC ID');
  await enableDns(ec2, vpcId);
  return { vpcId, cidr: config.network.vpcCidr };
}

/**
 * Delete the provisioning's VPC(s): the one named in the state, and any found by tag (so a VPC created by a step
 * whose answer was lost goes too). "Not found" counts as deleted. Refuses a VPC without our tag.
 * A VPC that still has dependencies raises `DependencyViolationError`, which the state machine retries.
 */
export async function deleteVpc(config: TargetConfig, vpcId: string | undefined, deps: { ec2: EC2Client }): Promise<{ deleted: string[] }> {
  const { ec2 } = deps;
  const ids = new Set((await findVpcs(ec2, config.provisioningId)).map((v) => v.VpcId!));
  if (vpcId && !ids.has(vpcId)) {
    // Named in the state but not found by tag: either gone already, or not ours. Look before deleting.
    try {
      const out = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
      const vpc = out.Vpcs?.[0];
      if (vpc && tagValue(vpc.Tags, TAG_PROVISIONING_ID) !== config.provisioningId) {
        throw new ForeignResourceError(`VPC ${vpcId} does not carry ${TAG_PROVISIONING_ID}=${config.provisioningId}; not deleting it`);
      }
      if (vpc) ids.add(vpcId);
    } catch (error) {
      if (!isNotFound(error, 'InvalidVpcID.NotFound')) throw translateAwsError(error, `look up VPC ${vpcId}`);
    }
  }
  const deleted: string[] = [];
  for (const id of ids) {
    try {
      await ec2.send(new DeleteVpcCommand({ VpcId: id }));
      logger.info('deleted VPC', { vpcId: id });
    } catch (error) {
      if (!isNotFound(error, 'InvalidVpcID.NotFound')) throw translateAwsError(error, `delete VPC ${id}`);
    }
    deleted.push(id);
  }
  return { deleted };
}
