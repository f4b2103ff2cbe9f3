import { AttachRolePolicyCommand, GetPolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { ProvisioningConfig } from '../config';
import { EventualConsistencyError, InvalidInputError } from '../errors';
import { isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { NO_SUCH_ENTITY, type EksRoleState, type ManagedPoliciesState } from './types';

/** R2: the five AWS managed policies, in the order of the guide's table (source: ./policies/SOURCES.md). */
export const MANAGED_POLICY_NAMES = [
  'AmazonEC2ContainerRegistryReadOnly',
  'AmazonEKS_CNI_Policy',
  'AmazonEKSWorkerNodePolicy',
  'AmazonEKSClusterPolicy',
  'AmazonEKSVPCResourceController',
] as const;

/**
 * R2: the ARNs of the five managed policies in a partition. All five live under the plain `policy/` path (no
 * `service-role/`); only the partition changes between `aws`, `aws-cn` and `aws-us-gov`.
 *
 * @example managedPolicyArns('aws-cn')[1] // 'arn:aws-cn:iam::aws:policy/AmazonEKS_CNI_Policy'
 */
export function managedPolicyArns(partition: ProvisioningConfig['partition']): string[] {
  return MANAGED_POLICY_NAMES.map((name) => `arn:${partition}:iam::aws:policy/${name}`);
}

/**
 * Attach answered NoSuchEntity: either the role is not visible yet (eventual consistency right after CreateRole,
 * retryable) or the policy does not exist (wrong partition: retrying cannot help). Ask IAM which one; if we may
 * not ask, assume the common case.
 */
async function explainNoSuchEntity(iam: IAMClient, roleName: string, policyArn: string, cause: unknown): Promise<Error> {
  try {
    await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
  } catch (error) {
    if (isNotFound(error, ...NO_SUCH_ENTITY)) {
      return new InvalidInputError([{ field: 'region', rule: `managed policy ${policyArn} does not exist in this partition (R2); cannot attach it to ${roleName}` }], { cause });
    }
  }
  return new EventualConsistencyError(`IAM role ${roleName} is not visible yet to attach ${policyArn}`, { cause });
}

/**
 * R2: attach the five AWS managed policies to the role, by ARN for the config's partition. AttachRolePolicy is a
 * no-op for a policy already attached, so running this twice leaves the same five. Policies attached by anyone
 * else are left alone (Verify reports them).
 *
 * @example const { attached } = await attachManagedPolicies(config, state.eksRole, { iam });
 */
export async function attachManagedPolicies(
  config: Pick<ProvisioningConfig, 'partition' | 'iamRole'>,
  eksRole: Pick<EksRoleState, 'roleName'> | undefined,
  deps: { iam: IAMClient },
): Promise<ManagedPoliciesState> {
  const { iam } = deps;
  const roleName = eksRole?.roleName ?? config.iamRole.name;
  const arns = managedPolicyArns(config.partition);
  for (const PolicyArn of arns) {
    try {
      await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn }));
    } catch (error) {
      if (isNotFound(error, ...NO_SUCH_ENTITY)) throw await explainNoSuchEntity(iam, roleName, PolicyArn, error);
      throw translateAwsError(error, `attach ${PolicyArn} to IAM role ${roleName}`);
    }
  }
  logger.info('attached managed policies', { roleName, attached: arns });
  return { attached: arns };
}
