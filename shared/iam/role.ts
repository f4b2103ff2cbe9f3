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
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
  type InstanceProfile,
  type Role,
  type Tag,
} from '@aws-sdk/client-iam';
import { isDeepStrictEqual } from 'node:util';
import type { ProvisioningConfig, RoleKind } from '../config';
import { ROLE_NAME_PREFIX as OUR_ROLE_NAME_PREFIX, TAG_PROVISIONING_ID, TAG_RESOURCE } from '../constants';
import { AwsOperationError, DependencyViolationError, EventualConsistencyError, ForeignResourceError, InvalidInputError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { resourceTags } from '../tags';
import { INLINE_POLICIES, assertInlinePoliciesFit, putRolePolicies, type InlinePolicy } from './inline-policies';
import { oidcIssuerFromUrl, parsePolicyDocument, policyJson, trustPolicyFor } from './trust-policy';
import { NO_SUCH_ENTITY, type DeleteRolesResult, type EksRoleState, type IamUndoState, type PolicyDocument, type RoleState } from './types';

/**
 * The three roles a provisioning makes, by kind: the value of their `byoc:resource` tag (find-by-tag tells them
 * apart by it) and the request field that configures each (named in errors). Their create steps write `$.eksRole`,
 * `$.storageRole` and `$.crossAccountRole`.
 */
export const ROLE_KINDS = {
  eks: { resource: 'eks-role', field: 'iamRole' },
  storage: { resource: 'storage-role', field: 'storageRole' },
  'cross-account': { resource: 'cross-account-role', field: 'crossAccountRole' },
} as const satisfies Record<RoleKind, { resource: string; field: string }>;

/** Value of `byoc:resource` on the EKS role. */
export const EKS_ROLE_RESOURCE = ROLE_KINDS.eks.resource;

/**
 * One of our roles' tags as IAM takes them (`[{Key, Value}]`): the provisioning's tags (V8 + provisioning ID), a
 * Name, and `byoc:resource` for its kind.
 */
export function roleTags(config: Pick<ProvisioningConfig, 'tags' | 'projectName'>, kind: RoleKind): Tag[] {
  return resourceTags(config, ROLE_KINDS[kind].resource).map(({ Key, Value }) => ({ Key: Key ?? '', Value: Value ?? '' }));
}

/** The EKS role's tags as IAM takes them (`[{Key, Value}]`): the provisioning's tags (V8 + provisioning ID), a Name, and `byoc:resource=eks-role`. */
export const eksRoleTags = (config: Pick<ProvisioningConfig, 'tags' | 'projectName'>): Tag[] => roleTags(config, 'eks');

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
 * One of our roles as the config wants it. The same find-or-create / adopt-if-ours / refuse-foreign code
 * ({@link ensureRole}) and delete-only-ours code ({@link deleteRoles}) serve the EKS role (R1, R4), the storage
 * role (S2) and the cross-account role (X1); only this description differs.
 */
export interface RoleSpec {
  kind: RoleKind;
  name: string;
  path: string;
  permissionsBoundaryArn?: string;
  description: string;
  /**
   * The trust policy the role must have. `current` is the role's trust policy as found in IAM (undefined when the
   * role is being created), so a builder can keep what was rightly set later (a real OIDC issuer).
   */
  trustPolicy: (current?: PolicyDocument) => PolicyDocument;
  /** Inline policies the create step puts on the role itself (S2, X1). The EKS role's come from PutInlinePolicies (R3). */
  inlinePolicies?: readonly InlinePolicy[];
}

/** Who owns the roles: the provisioning (its ID decides what is ours) and the tags every resource carries. */
export type RoleOwner = Pick<ProvisioningConfig, 'provisioningId' | 'projectName' | 'tags'>;

/**
 * Make a role of ours match its spec: trust policy and permissions boundary. Tags are re-applied (TagRole
 * overwrites values and keeps other tags). The path cannot be changed in IAM, so a different one is an input error.
 */
async function reconcileRole(iam: IAMClient, owner: RoleOwner, spec: RoleSpec, role: Role): Promise<void> {
  const { name } = spec;
  if (role.Path !== spec.path) {
    throw new InvalidInputError([
      {
        field: `${ROLE_KINDS[spec.kind].field}.name`,
        rule: `role ${name} of provisioning ${owner.provisioningId} already exists with path ${role.Path}, not ${spec.path}; IAM cannot move a role, so choose another name or tear the provisioning down first`,
      },
    ]);
  }
  try {
    const current = trustPolicyOf(role);
    const expected = spec.trustPolicy(current);
    if (!isDeepStrictEqual(current, expected)) {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: policyJson(expected) }));
      logger.info('updated trust policy of existing role', { roleName: name });
    }
    const boundary = role.PermissionsBoundary?.PermissionsBoundaryArn;
    const wanted = spec.permissionsBoundaryArn;
    if (wanted && boundary !== wanted) {
      await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: name, PermissionsBoundary: wanted }));
    } else if (!wanted && boundary) {
      await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: name }));
    }
    await iam.send(new TagRoleCommand({ RoleName: name, Tags: roleTags(owner, spec.kind) }));
  } catch (error) {
    if (isNotFound(error, ...NO_SUCH_ENTITY)) throw new EventualConsistencyError(`IAM role ${name} is not visible yet`, { cause: error });
    throw translateAwsError(error, `update IAM role ${name}`);
  }
}

function arnOf(role: Role | undefined, name: string): string {
  if (!role?.Arn) throw new AwsOperationError(`IAM returned no ARN for role ${name}`);
  return role.Arn;
}

/** Adopt a role found by name if it is ours (and bring it back to its spec), else refuse it and leave it as it is. */
async function adopt(iam: IAMClient, owner: RoleOwner, spec: RoleSpec, role: Role): Promise<RoleState> {
  const { name } = spec;
  if (!isOurRole(role, owner.provisioningId)) {
    const holder = tagOf(role.Tags, TAG_PROVISIONING_ID);
    throw new ForeignResourceError(
      `IAM role ${name} already exists and ${holder ? `belongs to provisioning ${holder}` : `does not carry ${TAG_PROVISIONING_ID}`}; ` +
        `not taking it over. Choose another ${ROLE_KINDS[spec.kind].field}.name, or delete that role yourself if it is unused`,
    );
  }
  await reconcileRole(iam, owner, spec, role);
  logger.info('found existing role of this provisioning', { roleName: name, kind: spec.kind });
  return { roleName: name, roleArn: arnOf(role, name), adopted: true };
}

/**
 * Find-or-create one of our roles (R1/R4, S2, X1): create it with the spec's name, path `/`, trust policy, optional
 * permissions boundary and our tags (given at creation, so it never exists untagged); or adopt the role of that name
 * if this provisioning made it earlier (a retried step, or a retry after an answer that never arrived), bringing its
 * trust policy, boundary and tags back to the spec. IAM role names are unique per account, so the name is the
 * idempotency key; the provisioning-ID tag decides whether the role is ours. Someone else's role is never taken
 * over (`ForeignResourceError`) and never changed. Then puts the spec's inline policies (a re-put is harmless).
 *
 * Callers check their input (issuer, policy sizes) before calling this, so a doomed step creates nothing.
 *
 * @example const { roleArn } = await ensureRole(config, storageRoleSpec(config), { iam });
 */
export async function ensureRole(owner: RoleOwner, spec: RoleSpec, deps: { iam: IAMClient }): Promise<RoleState> {
  const { iam } = deps;
  const { name } = spec;
  const existing = await getRole(iam, name);
  const state = existing ? await adopt(iam, owner, spec, existing) : await createRole(iam, owner, spec);
  if (spec.inlinePolicies?.length) {
    await putRolePolicies(iam, name, spec.inlinePolicies);
    logger.info('put inline policies', { roleName: name, names: spec.inlinePolicies.map((p) => p.name) });
  }
  return state;
}

async function createRole(iam: IAMClient, owner: RoleOwner, spec: RoleSpec): Promise<RoleState> {
  const { name } = spec;
  try {
    const out = await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        Path: spec.path,
        AssumeRolePolicyDocument: policyJson(spec.trustPolicy()),
        Description: spec.description,
        ...(spec.permissionsBoundaryArn ? { PermissionsBoundary: spec.permissionsBoundaryArn } : {}),
        Tags: roleTags(owner, spec.kind),
      }),
    );
    logger.info('created role', { roleName: name, roleArn: out.Role?.Arn, kind: spec.kind });
    return { roleName: name, roleArn: arnOf(out.Role, name), adopted: false };
  } catch (error) {
    if (awsErrorCode(error) === 'EntityAlreadyExistsException' || awsErrorCode(error) === 'EntityAlreadyExists') {
      // Created between our look-up and our create (a parallel retry, or a lost answer): look again and decide.
      const raced = await getRole(iam, name);
      if (raced) return adopt(iam, owner, spec, raced);
      throw new EventualConsistencyError(`IAM says role ${name} exists but does not show it yet`, { cause: error });
    }
    throw translateAwsError(error, `create IAM role ${name}`);
  }
}

/** R1, R4: the EKS role as the config wants it: the guide's trust policy (keeping a real issuer found in the role). */
export function eksRoleSpec(config: ProvisioningConfig): RoleSpec {
  return {
    kind: 'eks',
    name: config.iamRole.name,
    path: config.iamRole.path,
    ...(config.iamRole.permissionsBoundaryArn ? { permissionsBoundaryArn: config.iamRole.permissionsBoundaryArn } : {}),
    description: `EKS role for Zilliz BYOC project ${config.projectName} (provisioning ${config.provisioningId})`,
    trustPolicy: (current) => trustPolicyFor(config, current),
  };
}

/**
 * R1, R4: create the EKS role with the guide's trust policy, the config's name, path and optional permissions
 * boundary, and our tags; or adopt the role of that name if this provisioning made it earlier ({@link ensureRole}).
 * A real OIDC issuer already in the role's trust policy (set later by `updateRoleOidc` or by the vendor) is kept
 * when the config names none; a config with an issuer sets that issuer.
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
  if (config.iamRole.oidcIssuer) oidcIssuerFromUrl(`https://${config.iamRole.oidcIssuer}`, 'iamRole.oidcIssuerUrl');
  assertInlinePoliciesFit(inlinePolicies, config.iamRole.name);
  return ensureRole(config, eksRoleSpec(config), deps);
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
 * The roles that carry this provisioning's ID tag (and, with `kind`, that kind's `byoc:resource` tag). IAM cannot
 * filter roles by tag, so this reads the tags of every role in the account: only used when no role name is known
 * (a teardown whose state was lost).
 *
 * @example await findRolesByTag(iam, 'p-1', 'storage') // ['zilliz-byoc-demo-storage-role']
 */
export async function findRolesByTag(iam: IAMClient, provisioningId: string, kind?: RoleKind): Promise<string[]> {
  try {
    const roles = await listAll(async (Marker) => {
      const out = await iam.send(new ListRolesCommand({ Marker }));
      return { items: out.Roles ?? [], marker: out.IsTruncated ? out.Marker : undefined };
    });
    const ours: string[] = [];
    for (const role of roles) {
      // Service-linked roles cannot carry our tag and cannot be deleted this way: skip the call. Nor can a role
      // outside our names (every role we make is `zilliz-byoc*`, R4): reading its tags would need IAM rights on
      // roles that are none of ours, which neither our roles nor the customer role grant.
      if (!role.RoleName || role.Path?.startsWith('/aws-service-role/') || !role.RoleName.startsWith(OUR_ROLE_NAME_PREFIX)) continue;
      try {
        const tags = role.Tags ?? (await listRoleTags(iam, role.RoleName));
        if (tagOf(tags, TAG_PROVISIONING_ID) !== provisioningId) continue;
        if (kind && tagOf(tags, TAG_RESOURCE) !== ROLE_KINDS[kind].resource) continue;
        ours.push(role.RoleName);
      } catch (error) {
        if (!isNotFound(error, ...NO_SUCH_ENTITY)) throw error; // deleted while we listed
      }
    }
    return ours;
  } catch (error) {
    throw translateAwsError(error, `find the IAM roles of provisioning ${provisioningId}`);
  }
}

/** Run an IAM call during deletion: true when it acted, false on "not found"; "still in use" is retryable. */
async function tolerant(what: string, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (isNotFound(error, ...NO_SUCH_ENTITY)) return false;
    const code = awsErrorCode(error);
    // The SDK names it DeleteConflictException, which the shared translator does not know: map it here.
    if (code === 'DeleteConflictException' || code === 'DeleteConflict') throw new DependencyViolationError(`Could not ${what}: ${code}`, { cause: error });
    throw translateAwsError(error, what);
  }
}

/**
 * The instance profiles that hold a role (IAM's DeleteRole refuses while there is one). Empty when the role is gone.
 * We create no instance profile: any profile found is someone else's (an EKS managed node group's, or a person's).
 *
 * @example await instanceProfilesOf(iam, 'zilliz-byoc-demo-eks-role') // [{ InstanceProfileName: 'eks-1a2b...', ... }]
 */
export async function instanceProfilesOf(iam: IAMClient, roleName: string): Promise<InstanceProfile[]> {
  try {
    return await listAll(async (Marker) => {
      const out = await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: roleName, Marker }));
      return { items: out.InstanceProfiles ?? [], marker: out.IsTruncated ? out.Marker : undefined };
    });
  } catch (error) {
    if (isNotFound(error, ...NO_SUCH_ENTITY)) return [];
    throw translateAwsError(error, `list the instance profiles of role ${roleName}`);
  }
}

/**
 * Empty one role of ours (managed and inline policies) and delete it. True when this call deleted it, false when it
 * was gone before DeleteRole (a parallel teardown).
 *
 * Issue 10: a role in an instance profile is in use (EC2 instances, an EKS node group). We create no instance
 * profile, so the profile is someone else's, and we never take our role out of it: the role is left exactly as it
 * is (its policies too: stripping them would break the nodes that use it while DeleteRole still fails), and
 * `DependencyViolationError` names the profiles. The state machine retries it, then FindLeftovers lists the role and
 * the teardown ends with TeardownIncompleteError naming it. CheckInUse refuses such a teardown unless forced.
 */
async function deleteOwnedRole(iam: IAMClient, roleName: string, kind: RoleKind): Promise<boolean> {
  const profiles = await instanceProfilesOf(iam, roleName);
  if (profiles.length > 0) {
    const names = profiles.map((p) => p.InstanceProfileName ?? p.Arn).join(', ');
    throw new DependencyViolationError(
      `IAM role ${roleName} is in instance profile(s) ${names}, which we did not create: not removing it from them, so the role stays. ` +
        `Delete what uses the profile (or take the role out of it yourself), then run the teardown again`,
    );
  }
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
  const deleted = await tolerant(`delete IAM role ${roleName}`, () => iam.send(new DeleteRoleCommand({ RoleName: roleName })));
  if (deleted) logger.info('deleted role', { roleName, kind });
  return deleted;
}

/**
 * Delete-only-ours, for every kind of role: the undo of a create step. Which roles: `claimed` (the name the create
 * step wrote to the state) and `configured` (the config's name: a create whose answer was lost leaves no state);
 * with neither (a teardown that knows no names) the roles of that kind carrying our tag.
 *
 * Never deletes a role without our provisioning-ID tag: the one named in the state (`claimed`) raises
 * `ForeignResourceError`; one only known by the configured name (e.g. the create step refused it) is left alone
 * and reported in `leftForeign`, so the rollback of a refused create does not fail too. A role that is not there is
 * reported in `notFound`, never in `deleted`.
 *
 * @example await deleteRoles('storage', config.provisioningId, state.storageRole?.roleName, config.storageRole?.name, { iam });
 */
export async function deleteRoles(
  kind: RoleKind,
  provisioningId: string,
  claimed: string | undefined,
  configured: string | undefined,
  deps: { iam: IAMClient },
): Promise<DeleteRolesResult> {
  const { iam } = deps;
  const names = [...new Set([claimed, configured].filter((n): n is string => Boolean(n)))];
  if (names.length === 0) names.push(...(await findRolesByTag(iam, provisioningId, kind)));

  const result: DeleteRolesResult = { deleted: [], notFound: [], leftForeign: [] };
  for (const name of names) {
    const role = await getRole(iam, name);
    if (!role) {
      result.notFound.push(name);
      continue;
    }
    if (!isOurRole(role, provisioningId)) {
      if (name === claimed) {
        throw new ForeignResourceError(`IAM role ${name} does not carry ${TAG_PROVISIONING_ID}=${provisioningId}; not deleting it`);
      }
      logger.warn('role of the configured name is not ours; leaving it', { roleName: name, kind });
      result.leftForeign.push(name);
      continue;
    }
    let deleted: boolean;
    try {
      deleted = await deleteOwnedRole(iam, name, kind);
    } catch (error) {
      // Gone between our look-up and the list calls (a parallel teardown): that is what we wanted, but not our doing.
      if (!isNotFound(error, ...NO_SUCH_ENTITY)) throw translateAwsError(error, `delete IAM role ${name}`);
      deleted = false;
    }
    (deleted ? result.deleted : result.notFound).push(name);
  }
  return result;
}

/** What DeleteEksRole did. */
export type DeleteEksRoleResult = DeleteRolesResult;

/**
 * Undo of CreateEksRole (and of the policy steps): detach every managed policy, delete every inline policy, delete
 * the role ({@link deleteRoles}: only ours; `notFound` for a role that was not there). A role still in an instance
 * profile is never taken out of it (we create none, so it is someone else's): it is left untouched and
 * `DependencyViolationError` names the profile (issue 10).
 *
 * @example await deleteEksRole(state.config, state.eksRole, { iam });
 */
export async function deleteEksRole(
  config: IamUndoState['config'],
  eksRole: IamUndoState['eksRole'],
  deps: { iam: IAMClient },
): Promise<DeleteEksRoleResult> {
  return deleteRoles('eks', config.provisioningId, eksRole?.roleName, config.iamRole?.name, deps);
}
