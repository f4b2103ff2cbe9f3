import type { IAMClient } from '@aws-sdk/client-iam';
import type { ProvisioningConfig } from '../config';
import type { InlinePolicy } from './inline-policies';
import { deleteRoles, ensureRole, type RoleSpec } from './role';
import { issuerToKeep, oidcIssuerFromUrl } from './trust-policy';
import type { DeleteRolesResult, IamUndoState, PolicyDocument, RoleState } from './types';
import { STORAGE_POLICY_NAME, storageRolePolicy, storageRoleTrustPolicy } from './vendor-policies';

/** What the storage role is built from. */
export type StorageRoleConfig = Pick<ProvisioningConfig, 'provisioningId' | 'projectName' | 'tags' | 'partition' | 'accountId' | 'iamRole' | 'bucket' | 'storageRole'>;

/**
 * S2: the storage role's trust policy for a config: the vendor's, with the EKS cluster's issuer
 * (`iamRole.oidcIssuer`: the same cluster as the EKS role) when the config has one, else the real issuer already
 * in `current` (the role's trust policy as found), else the vendor's `eks_oidc_url` placeholder.
 *
 * @example storageTrustPolicyFor(config, trustPolicyOf(role))
 */
export function storageTrustPolicyFor(config: Pick<ProvisioningConfig, 'partition' | 'accountId' | 'iamRole'>, current?: PolicyDocument): PolicyDocument {
  return storageRoleTrustPolicy({ partition: config.partition, accountId: config.accountId, oidcIssuer: issuerToKeep(config.iamRole.oidcIssuer, current) });
}

/** S2: the storage role's one inline policy for a config: the bucket (and its KMS key, if any). */
export function storageInlinePolicy(config: Pick<ProvisioningConfig, 'partition' | 'bucket'>): InlinePolicy {
  return {
    name: STORAGE_POLICY_NAME,
    document: storageRolePolicy({ partition: config.partition, bucketName: config.bucket.name, ...(config.bucket.kmsKeyArn ? { kmsKeyArn: config.bucket.kmsKeyArn } : {}) }),
  };
}

/** S2: the storage role as the config wants it. */
export function storageRoleSpec(config: StorageRoleConfig): RoleSpec {
  return {
    kind: 'storage',
    name: config.storageRole.name,
    path: '/',
    ...(config.storageRole.permissionsBoundaryArn ? { permissionsBoundaryArn: config.storageRole.permissionsBoundaryArn } : {}),
    description: `Storage role (bucket ${config.bucket.name}) for Zilliz BYOC project ${config.projectName} (provisioning ${config.provisioningId})`,
    trustPolicy: (current) => storageTrustPolicyFor(config, current),
    // Inline, not a managed policy (the vendor's Terraform makes one): it lives and dies with the role, so there is
    // one fewer resource to find, tag and clean up, and nothing else can attach it. The vendor's docs do the same.
    inlinePolicies: [storageInlinePolicy(config)],
  };
}

/**
 * S2: create the storage role (or adopt ours from an earlier attempt) with the vendor's trust policy and put its
 * inline policy on the bucket. Refuses a role of that name that is not ours (`ForeignResourceError`) and leaves it
 * intact. A real OIDC issuer set on the role later is kept when the config names none.
 *
 * @example const { roleArn } = await createStorageRole(config, { iam: iamClient(targetOf(config)) });
 */
export async function createStorageRole(config: StorageRoleConfig, deps: { iam: IAMClient }): Promise<RoleState> {
  if (config.iamRole.oidcIssuer) oidcIssuerFromUrl(`https://${config.iamRole.oidcIssuer}`, 'iamRole.oidcIssuerUrl');
  return ensureRole(config, storageRoleSpec(config), deps);
}

/**
 * Undo of CreateStorageRole: delete the storage role named in `$.storageRole` and by the config, only if it carries
 * our provisioning-ID tag (with neither name, the storage role carrying our tag).
 *
 * @example await deleteStorageRole(state.config, state.storageRole, { iam });
 */
export async function deleteStorageRole(
  config: IamUndoState['config'],
  storageRole: IamUndoState['storageRole'],
  deps: { iam: IAMClient },
): Promise<DeleteRolesResult> {
  return deleteRoles('storage', config.provisioningId, storageRole?.roleName, config.storageRole?.name, deps);
}
