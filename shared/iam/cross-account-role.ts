import type { IAMClient } from '@aws-sdk/client-iam';
import type { ProvisioningConfig } from '../config';
import { InvalidInputError, QuotaExceededError } from '../errors';
import { ROLE_INLINE_POLICY_QUOTA, assertInlinePoliciesFit, policyCharacters, type InlinePolicy } from './inline-policies';
import { deleteRoles, ensureRole, type RoleSpec } from './role';
import type { DeleteRolesResult, IamUndoState, RoleState } from './types';
import { CROSS_ACCOUNT_POLICY_NAME, crossAccountPolicy, crossAccountTrustPolicy } from './vendor-policies';

/** IAM's default quota on a role's trust policy, in characters, whitespace not counted (can be raised to 4,096). */
export const ROLE_TRUST_POLICY_QUOTA = 2_048;

/** What the cross-account role is built from. */
export type CrossAccountRoleConfig = Pick<ProvisioningConfig, 'provisioningId' | 'projectName' | 'tags' | 'partition' | 'iamRole' | 'bucket' | 'crossAccountRole'>;

/** X1: the trust policy for a config: the vendor's control plane, only with the customer's external ID. */
export const crossAccountTrustPolicyFor = (config: Pick<ProvisioningConfig, 'crossAccountRole'>) =>
  crossAccountTrustPolicy({ vendorPrincipalArn: config.crossAccountRole.vendorPrincipalArn, externalId: config.crossAccountRole.externalId });

/** X1: the one inline policy for a config: the vendor's reference with our EKS role's name and the bucket filled in. */
export function crossAccountInlinePolicy(config: Pick<ProvisioningConfig, 'partition' | 'iamRole' | 'bucket'>): InlinePolicy {
  return { name: CROSS_ACCOUNT_POLICY_NAME, document: crossAccountPolicy({ partition: config.partition, eksRoleName: config.iamRole.name, bucketName: config.bucket.name }) };
}

/**
 * X1: check, before anything is created, that the role's documents fit IAM: its inline policy within the 10,240
 * characters of a role's inline policies ({@link assertInlinePoliciesFit}, as for R3), its trust policy within
 * 2,048. The vendor's policy is about 6,000 characters plus the names filled in, so only an overlong name can
 * break it: the error names the field whose value makes it too long.
 *
 * @throws InvalidInputError naming `iamRole.name` or `bucket.name` (inline policy), `crossAccountRole.externalId` (trust policy).
 * @example assertCrossAccountRoleFits(config) // 6057 for project demo and its default bucket name
 */
export function assertCrossAccountRoleFits(config: CrossAccountRoleConfig): number {
  const policy = crossAccountInlinePolicy(config);
  let total: number;
  try {
    total = assertInlinePoliciesFit([policy], config.crossAccountRole.name);
  } catch (error) {
    if (!(error instanceof QuotaExceededError)) throw error;
    const size = policyCharacters(policy.document);
    // The names are the only variable part; blame the one that adds the most (IAMReadEKSRole, S3CheckBucketLocation).
    const [field, value] = [['iamRole.name', config.iamRole.name] as const, ['bucket.name', config.bucket.name] as const].sort((a, b) => b[1].length - a[1].length)[0];
    throw new InvalidInputError(
      [
        {
          field,
          rule:
            `is ${value.length.toLocaleString('en-US')} characters long, which makes the cross-account role's inline policy (X1) ` +
            `${size.toLocaleString('en-US')} characters (whitespace not counted), over IAM's ${ROLE_INLINE_POLICY_QUOTA.toLocaleString('en-US')} per role; use a shorter name`,
        },
      ],
      { cause: error },
    );
  }
  const trust = policyCharacters(crossAccountTrustPolicyFor(config));
  if (trust > ROLE_TRUST_POLICY_QUOTA) {
    throw new InvalidInputError([
      {
        field: 'crossAccountRole.externalId',
        rule: `makes the cross-account role's trust policy (X1) ${trust.toLocaleString('en-US')} characters, over IAM's default ${ROLE_TRUST_POLICY_QUOTA.toLocaleString('en-US')}; use the external ID the vendor's console shows`,
      },
    ]);
  }
  return total;
}

/** X1: the cross-account role as the config wants it. */
export function crossAccountRoleSpec(config: CrossAccountRoleConfig): RoleSpec {
  return {
    kind: 'cross-account',
    name: config.crossAccountRole.name,
    path: '/',
    ...(config.crossAccountRole.permissionsBoundaryArn ? { permissionsBoundaryArn: config.crossAccountRole.permissionsBoundaryArn } : {}),
    description: `Cross-account role for the Zilliz BYOC control plane, project ${config.projectName} (provisioning ${config.provisioningId})`,
    trustPolicy: () => crossAccountTrustPolicyFor(config),
    // Inline, not a managed policy (the vendor's Terraform makes one): it lives and dies with the role, so there is
    // one fewer resource to find, tag and clean up; the vendor's docs attach it inline too. A role's inline policies
    // may total 10,240 characters, a managed policy only 6,144, which this one nearly fills.
    inlinePolicies: [crossAccountInlinePolicy(config)],
  };
}

/**
 * X1: create the cross-account role (or adopt ours from an earlier attempt) with the vendor's trust policy and put
 * its inline policy. Checks the documents' sizes first ({@link assertCrossAccountRoleFits}), so a policy IAM would
 * refuse fails before any role exists. Refuses a role of that name that is not ours (`ForeignResourceError`) and
 * leaves it intact.
 *
 * @example const { roleArn } = await createCrossAccountRole(config, { iam: iamClient(targetOf(config)) });
 */
export async function createCrossAccountRole(config: CrossAccountRoleConfig, deps: { iam: IAMClient }): Promise<RoleState> {
  assertCrossAccountRoleFits(config);
  return ensureRole(config, crossAccountRoleSpec(config), deps);
}

/**
 * Undo of CreateCrossAccountRole: delete the cross-account role named in `$.crossAccountRole` and by the config,
 * only if it carries our provisioning-ID tag (with neither name, the cross-account role carrying our tag).
 *
 * @example await deleteCrossAccountRole(state.config, state.crossAccountRole, { iam });
 */
export async function deleteCrossAccountRole(
  config: IamUndoState['config'],
  crossAccountRole: IamUndoState['crossAccountRole'],
  deps: { iam: IAMClient },
): Promise<DeleteRolesResult> {
  return deleteRoles('cross-account', config.provisioningId, crossAccountRole?.roleName, config.crossAccountRole?.name, deps);
}
