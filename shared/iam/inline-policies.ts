import { PutRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { ProvisioningConfig } from '../config';
import { EventualConsistencyError, QuotaExceededError } from '../errors';
import { isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { policyJson } from './trust-policy';
import { NO_SUCH_ENTITY, type EksRoleState, type InlinePoliciesState, type PolicyDocument } from './types';
// Imported (not read from disk) so esbuild puts them into the Lambda bundle. Byte-for-byte copies of the upstream
// documents; ./policies/SOURCES.md gives source, commit, sha256 and licence (Apache-2.0).
import awsLoadBalancerController from './policies/aws-load-balancer-controller.json';
import ebsCsiDriver from './policies/ebs-csi-driver.json';
import clusterAutoscaler from './policies/cluster-autoscaler.json';

/** IAM's quota on the total size of all inline policies of one role, in characters, whitespace not counted. */
export const ROLE_INLINE_POLICY_QUOTA = 10_240;

/** One inline policy: the name it gets on the role and its document. */
export interface InlinePolicy {
  name: string;
  document: PolicyDocument;
}

/**
 * R3: the three inline policies, in the guide's order, named after their files. Content exactly as upstream
 * publishes it (AWS Load Balancer Controller, Amazon EBS CSI driver, Cluster Autoscaler "full features").
 */
export const INLINE_POLICIES: readonly InlinePolicy[] = [
  { name: 'aws-load-balancer-controller', document: awsLoadBalancerController as PolicyDocument },
  { name: 'ebs-csi-driver', document: ebsCsiDriver as PolicyDocument },
  { name: 'cluster-autoscaler', document: clusterAutoscaler as PolicyDocument },
];

/**
 * The size IAM counts for a policy document against the role's inline quota: its characters without whitespace.
 * @example policyCharacters({ Version: '2012-10-17', Statement: [] }) // 39
 */
export const policyCharacters = (document: PolicyDocument): number => policyJson(document).replace(/\s/g, '').length;

/**
 * R3: check that the policies fit IAM's per-role inline quota, and return their total size. Called before any
 * create (by CreateEksRole) and again by PutInlinePolicies, so a set that cannot fit fails at once and clearly,
 * instead of as IAM's LimitExceeded half-way through.
 *
 * @throws QuotaExceededError naming each policy's size, the total and the quota.
 * @example assertInlinePoliciesFit(INLINE_POLICIES, 'demo-eks-role') // 8360
 */
export function assertInlinePoliciesFit(policies: readonly InlinePolicy[], roleName: string): number {
  const sizes = policies.map((p) => ({ name: p.name, characters: policyCharacters(p.document) }));
  const total = sizes.reduce((sum, s) => sum + s.characters, 0);
  if (total > ROLE_INLINE_POLICY_QUOTA) {
    throw new QuotaExceededError(
      `R3: the inline policies for IAM role ${roleName} would total ${total.toLocaleString('en-US')} characters ` +
        `(${sizes.map((s) => `${s.name}: ${s.characters.toLocaleString('en-US')}`).join(', ')}; whitespace not counted), ` +
        `over IAM's quota of ${ROLE_INLINE_POLICY_QUOTA.toLocaleString('en-US')} characters per role. No inline policy was added. ` +
        `This quota cannot be raised: use managed policies for the excess instead.`,
    );
  }
  return total;
}

/**
 * Put inline policies on a role, minified. PutRolePolicy replaces a policy of the same name, so running this twice
 * leaves the same policies. Right after CreateRole, IAM may not know the role yet (eventual consistency): that
 * `NoSuchEntity` becomes `EventualConsistencyError`, which the state machine retries. Used for R3 and by the
 * create steps of the storage (S2) and cross-account (X1) roles.
 *
 * @example await putRolePolicies(iam, 'zilliz-byoc-demo-storage-role', [{ name: 'zilliz-byoc-storage-policy', document }]);
 */
export async function putRolePolicies(iam: IAMClient, roleName: string, policies: readonly InlinePolicy[]): Promise<void> {
  for (const policy of policies) {
    try {
      await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policy.name, PolicyDocument: policyJson(policy.document) }));
    } catch (error) {
      if (isNotFound(error, ...NO_SUCH_ENTITY)) {
        throw new EventualConsistencyError(`IAM role ${roleName} is not visible yet to add inline policy ${policy.name}`, { cause: error });
      }
      throw translateAwsError(error, `add inline policy ${policy.name} to IAM role ${roleName}`);
    }
  }
}

/**
 * R3: put the three inline policies on the role, minified (see {@link putRolePolicies}: idempotent, and a role not
 * visible yet is retried).
 *
 * @example const { names } = await putInlinePolicies(config, state.eksRole, { iam });
 */
export async function putInlinePolicies(
  config: Pick<ProvisioningConfig, 'iamRole'>,
  eksRole: Pick<EksRoleState, 'roleName'> | undefined,
  deps: { iam: IAMClient },
  policies: readonly InlinePolicy[] = INLINE_POLICIES,
): Promise<InlinePoliciesState> {
  const roleName = eksRole?.roleName ?? config.iamRole.name;
  const totalCharacters = assertInlinePoliciesFit(policies, roleName);
  await putRolePolicies(deps.iam, roleName, policies);
  logger.info('put inline policies', { roleName, names: policies.map((p) => p.name), totalCharacters });
  return { names: policies.map((p) => p.name), totalCharacters };
}
