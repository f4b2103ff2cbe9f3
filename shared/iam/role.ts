import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListRolesCommand,
  PutRolePermissionsBoundaryCommand,
  RemoveRoleFromInstanceProfileCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
  type Role,
  type Tag,
} from '@aws-sdk/client-iam';
import { isDeepStrictEqual } from 'node:util';
import type { ProvisioningConfig } from '../config';
import { TAG_PROVISIONING_ID } from '../constants';
import { AwsOperationError, DependencyViolationError, EventualConsistencyError, ForeignResourceError, InvalidInputError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { resourceTags } from '../tags';
import { INLINE_POLICIES, assertInlinePoliciesFit, type InlinePolicy } from './inline-policies';
import { oidcIssuerFromUrl, parsePolicyDocument, policyJson, trustPolicyFor } from './trust-policy';
import { NO_SUCH_ENTITY, type EksRoleState, type IamUndoState, type PolicyDocument } from './types';

/** Value of `byoc:resource` on the EKS role. */
export const EKS_ROLE_RESOURCE = 'eks-role';

/** The role's tags as IAM takes them (`[{Key, Value}]`): the provisioning's tags (V8 + provisioning ID), a Name, and `byoc:resource=eks-role`. */
export function eksRoleTags(config: Pick<ProvisioningConfig, 'tags' | 'projectName'>): Tag[] {
  return resourceTags(config, EKS_ROLE_RESOURCE).map(({ Key, Value }) => ({ Key: Key ?? '', Value: Value ?? '' }));
}

const tagOf = (tags: Tag[] | undefined, key: string): string | undefined => tags?.find((t) => t.Key === key)?.Value;

/** True when a role carries our provisioning-ID tag with this provisioning's ID: only then may we change or delete it. */
export const isOurRole = (role: Pick<Role, 'Tags'>, provisioningId: string): boolean => tagOf(role.Tags, TAG_PROVISIONING_ID) === provisioningId;

/**
 * Read a role with its tags, or undefined when there is none of that name.
 * @example const role = await getRole(iam, 'demo-eks-role');
 */
export async function getRole(iam: IAMClient, roleName: string): Promise<Role | undefined> {
  try {
    const role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
    // GetRole includes the tags on AWS; read them separately if an endpoint ever leaves them out.
    if (role && role.Tags === undefined) role.Tags = await listRoleTags(iam, roleName);
    return role;
  } catch (error) {
    if (isNotFound(error, ...NO_SUCH_ENTITY)) return undefined;
    throw translateAwsError(error, `read IAM role ${roleName}`);
  }
}

async function listRoleTags(iam: IAMClient, roleName: string): Promise<Tag[]> {
  const tags: Tag[] = [];
  let Marker: string | undefined;
  do {
    const out = await iam.send(new ListRoleTagsCommand({ RoleName: roleName, Marker }));
    tags.push(...(out.Tags ?? []));
    Marker = out.IsTruncated ? out.Marker : undefined;
  } while (Marker);
  return tags;
}

/** The role's trust policy, decoded (IAM answers URL-encoded JSON). */
export const trustPolicyOf = (role: Role): PolicyDocument | undefined =>
  role.AssumeRolePolicyDocument ? parsePolicyDocument(role.AssumeRolePolicyDocument) : undefined;

/**
 * Make a role of ours match the config: trust policy (R1) and permissions boundary. Tags are re-applied (TagRole
 * overwrites values and keeps other tags). The path cannot be changed in IAM, so a different one is an input error.
 */
async function reconcileRole(iam: IAMClient, config: ProvisioningConfig, role: Role, expected: PolicyDocument): Promise<void> {
  const name = config.iamRole.name;
  if (role.Path !== config.iamRole.path) {
    throw new InvalidInputError([
      {
        field: 'iamRole.path',
        rule: `role ${name} of provisioning ${config.provisioningId} already exists with path ${role.Path}; IAM cannot move a role, so ask for ${role.Path} or tear the provisioning down first`,
      },
    ]);
  }
  try {
    if (!isDeepStrictEqual(trustPolicyOf(role), expected)) {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: policyJson(expected) }));
      logger.info('updated trust policy of existing role', { roleName: name });
    }
    const boundary = role.PermissionsBoundary?.PermissionsBoundaryArn;
    const wanted = config.iamRole.permissionsBoundaryArn;
    if (wanted && boundary !== wanted) {
      await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: name, PermissionsBoundary: wanted }));
    } else if (!wanted && boundary) {
      await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: name }));
    }
    await iam.send(new TagRoleCommand({ RoleName: name, Tags: eksRoleTags(config) }));
  } catch (error) {
    if (isNotFound(error, ...NO_SUCH_ENTITY)) throw new EventualConsistencyError(`IAM role ${name} is not visible yet`, { cause: error });
    throw translateAwsError(error, `update IAM role ${name}`);
  }
}

function arnOf(role: Role | undefined, name: string): string {
  if (!role?.Arn) throw new AwsOperationError(`IAM returned no ARN for role ${name}`);
  return role.Arn;
}

/** Adopt a role found by name if it is ours, else refuse it. */
async function adopt(iam: IAMClient, config: ProvisioningConfig, role: Role, expected: PolicyDocument): Promise<EksRoleState> {
  const name = config.iamRole.name;
  if (!isOurRole(role, config.provisioningId)) {
    const owner = tagOf(role.Tags, TAG_PROVISIONING_ID);
    throw new ForeignResourceError(
      `IAM role ${name} already exists and ${owner ? `belongs to provisioning ${owner}` : `does not carry ${TAG_PROVISIONING_ID}`}; ` +
        `not taking it over. Choose another iamRole.name, or delete that role yourself if it is unused`,
    );
  }
  await reconcileRole(iam, config, role, expected);
  logger.info('found existing role of this provisioning', { roleName: name });
  return { roleName: name, roleArn: arnOf(role, name), adopted: true };
}

/**
 * R1, R4: create the EKS role with the guide's trust policy, the config's name, path and optional permissions
 * boundary, and our tags; or adopt the role of that name if this provisioning made it earlier (a retried step,
 * or a retry after an answer that never arrived). IAM role names are unique per account, so the name is the
 * idempotency key; the provisioning-ID tag decides whether the role is ours. Someone else's role is never taken
 * over (`ForeignResourceError`).
 *
 * Checks everything it can before creating anything: the OIDC issuer (if given) and that the three inline
 * policies (R3) fit IAM's per-role quota, so a doomed provisioning fails before it leaves a role behind.
 * `inlinePolicies` is the set PutInlinePolicies will add (tests hand in others).
 *
 * @example const { roleArn } = await createEksRole(config, { iam: iamClient(targetOf(config)) });
 */
export async function createEksRole(
  config: ProvisioningConfig,
  deps: { iam: IAMClient },
  inlinePolicies: readonly InlinePolicy[] = INLINE_POLICIES,
): Promise<EksRoleState> {
  const { iam } = deps;
  const name = config.iamRole.name;
  if (config.iamRole.oidcIssuer) oidcIssuerFromUrl(`https://${config.iamRole.oidcIssuer}`, 'iamRole.oidcIssuerUrl');
  assertInlinePoliciesFit(inlinePolicies, name);
  const expected = trustPolicyFor(config);

  const existing = await getRole(iam, name);
  if (existing) return adopt(iam, config, existing, expected);

  try {
    const out = await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        Path: config.iamRole.path,
        AssumeRolePolicyDocument: policyJson(expected),
        Description: `EKS role for Zilliz BYOC project ${config.projectName} (provisioning ${config.provisioningId})`,
        ...(config.iamRole.permissionsBoundaryArn ? { PermissionsBoundary: config.iamRole.permissionsBoundaryArn } : {}),
        Tags: eksRoleTags(config),
      }),
    );
    logger.info('created role', { roleName: name, roleArn: out.Role?.Arn });
    return { roleName: name, roleArn: arnOf(out.Role, name), adopted: false };
  } catch (error) {
    if (awsErrorCode(error) === 'EntityAlreadyExistsException' || awsErrorCode(error) === 'EntityAlreadyExists') {
      // Created between our look-up and our create (a parallel retry, or a lost answer): look again and decide.
      const raced = await getRole(iam, name);
      if (raced) return adopt(iam, config, raced, expected);
      throw new EventualConsistencyError(`IAM says role ${name} exists but does not show it yet`, { cause: error });
    }
    throw translateAwsError(error, `create IAM role ${name}`);
  }
}

/** Page through an IAM list call (`Marker` / `IsTruncated`). */
export async function listAll<T>(page: (marker: string | undefined) => Promise<{ items: T[]; marker?: string }>): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const out = await page(marker);
    all.push(...out.items);
    marker = out.marker;
  } while (marker);
  return all;
}

/**
 * The roles that carry this provisioning's ID tag. IAM cannot filter roles by tag, so this reads the tags of every
 * role in the account: only used when no role name is known (a teardown whose state was lost).
 */
export async function findRolesByTag(iam: IAMClient, provisioningId: string): Promise<string[]> {
  try {
    const roles = await listAll(async (Marker) => {
      const out = await iam.send(new ListRolesCommand({ Marker }));
      return { items: out.Roles ?? [], marker: out.IsTruncated ? out.Marker : undefined };
    });
    const ours: string[] = [];
    for (const role of roles) {
      // Service-linked roles cannot carry our tag and cannot be deleted this way: skip the call.
      if (!role.RoleName || role.Path?.startsWith('/aws-service-role/')) continue;
      try {
        const tags = role.Tags ?? (await listRoleTags(iam, role.RoleName));
        if (tagOf(tags, TAG_PROVISIONING_ID) === provisioningId) ours.push(role.RoleName);
      } catch (error) {
        if (!isNotFound(error, ...NO_SUCH_ENTITY)) throw error; // deleted while we listed
      }
    }
    return ours;
  } catch (error) {
    throw translateAwsError(error, `find the IAM roles of provisioning ${provisioningId}`);
  }
}

/** Run an IAM call during deletion: "not found" is success, "still in use" is retryable. */
async function tolerant(what: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (isNotFound(error, ...NO_SUCH_ENTITY)) return;
    const code = awsErrorCode(error);
    // The SDK names it DeleteConflictException, which the shared translator does not know: map it here.
    if (code === 'DeleteConflictException' || code === 'DeleteConflict') throw new DependencyViolationError(`Could not ${what}: ${code}`, { cause: error });
    throw translateAwsError(error, what);
  }
}

/** Empty one role of ours (managed, inline, instance profiles) and delete it. */
async function deleteOwnedRole(iam: IAMClient, roleName: string): Promise<void> {
  const attached = await listAll(async (Marker) => {
    const out = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker }));
    return { items: out.AttachedPolicies ?? [], marker: out.IsTruncated ? out.Marker : undefined };
  });
  for (const policy of attached) {
    await tolerant(`detach ${policy.PolicyArn} from role ${roleName}`, () =>
      iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policy.PolicyArn })),
    );
  }
  const inline = await listAll(async (Marker) => {
    const out = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker }));
    return { items: out.PolicyNames ?? [], marker: out.IsTruncated ? out.Marker : undefined };
  });
  for (const PolicyName of inline) {
    await tolerant(`delete inline policy ${PolicyName} of role ${roleName}`, () => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName })));
  }
  // We add the role to no instance profile, but EKS managed node groups may: IAM refuses to delete it while it is in one.
  const profiles = await listAll(async (Marker) => {
    const out = await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: roleName, Marker }));
    return { items: out.InstanceProfiles ?? [], marker: out.IsTruncated ? out.Marker : undefined };
  });
  for (const profile of profiles) {
    await tolerant(`remove role ${roleName} from instance profile ${profile.InstanceProfileName}`, () =>
      iam.send(new RemoveRoleFromInstanceProfileCommand({ RoleName: roleName, InstanceProfileName: profile.InstanceProfileName })),
    );
  }
  await tolerant(`delete IAM role ${roleName}`, () => iam.send(new DeleteRoleCommand({ RoleName: roleName })));
  logger.info('deleted role', { roleName });
}

/** What DeleteEksRole did. */
export interface DeleteEksRoleResult {
  /** Roles deleted now or already gone. */
  deleted: string[];
  /** Roles of the configured name that exist but are not ours: left untouched (we never created them). */
  leftForeign: string[];
}

/**
 * Undo of CreateEksRole (and of the policy steps): detach every managed policy, delete every inline policy,
 * take the role out of any instance profile, delete the role. "Not found" counts as deleted.
 *
 * Which roles: the one named in `$.eksRole` and the configured `iamRole.name` (a create whose answer was lost
 * leaves no `$.eksRole`); with neither (teardown after the state was lost) the roles carrying our tag.
 * Never deletes a role without our provisioning-ID tag: one named in `$.eksRole` raises `ForeignResourceError`;
 * one only known by the configured name (e.g. CreateEksRole refused it) is left alone and reported in `leftForeign`,
 * so the rollback of a refused create does not fail too.
 *
 * @example await deleteEksRole(state.config, state.eksRole, { iam });
 */
export async function deleteEksRole(
  config: IamUndoState['config'],
  eksRole: IamUndoState['eksRole'],
  deps: { iam: IAMClient },
): Promise<DeleteEksRoleResult> {
  const { iam } = deps;
  const claimed = eksRole?.roleName;
  const names = [...new Set([claimed, config.iamRole?.name].filter((n): n is string => Boolean(n)))];
  if (names.length === 0) names.push(...(await findRolesByTag(iam, config.provisioningId)));

  const result: DeleteEksRoleResult = { deleted: [], leftForeign: [] };
  for (const name of names) {
    const role = await getRole(iam, name);
    if (!role) {
      result.deleted.push(name);
      continue;
    }
    if (!isOurRole(role, config.provisioningId)) {
      if (name === claimed) {
        throw new ForeignResourceError(`IAM role ${name} does not carry ${TAG_PROVISIONING_ID}=${config.provisioningId}; not deleting it`);
      }
      logger.warn('role of the configured name is not ours; leaving it', { roleName: name });
      result.leftForeign.push(name);
      continue;
    }
    try {
      await deleteOwnedRole(iam, name);
    } catch (error) {
      // Gone between our look-up and the list calls (a parallel teardown): that is what we wanted.
      if (!isNotFound(error, ...NO_SUCH_ENTITY)) throw translateAwsError(error, `delete IAM role ${name}`);
    }
    result.deleted.push(name);
  }
  return result;
}
