import { GetRolePolicyCommand, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, type IAMClient, type Role } from '@aws-sdk/client-iam';
import { isDeepStrictEqual } from 'node:util';
import type { ProvisioningConfig, RoleKind } from '../config';
import { ROLE_NAME_PREFIX, TAG_PROVISIONING_ID, TAG_RESOURCE, TAG_VENDOR_KEY, TAG_VENDOR_VALUE } from '../constants';
import { translateAwsError } from '../aws/translate-error';
import { failed, passed, type RequirementCheck } from '../requirements';
import { crossAccountInlinePolicy, crossAccountTrustPolicyFor } from './cross-account-role';
import { INLINE_POLICIES, type InlinePolicy } from './inline-policies';
import { managedPolicyArns } from './managed-policies';
import { ROLE_KINDS, getRole, listAll, trustPolicyOf } from './role';
import { storageInlinePolicy, storageTrustPolicyFor } from './storage-role';
import { OIDC_PLACEHOLDER, oidcIssuerIn, parsePolicyDocument, trustPolicyFor } from './trust-policy';
import type { IamState, PolicyDocument, RoleState } from './types';

const missing = (list: string[], from: string[]) => list.filter((x) => !from.includes(x));

/** A role's inline policy names, read from IAM. */
const inlinePolicyNames = (iam: IAMClient, roleName: string) =>
  listAll(async (Marker) => {
    const out = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker }));
    return { items: out.PolicyNames ?? [], marker: out.IsTruncated ? out.Marker : undefined };
  });

/** What is wrong with a role's inline policies compared with the expected set: missing, different, or extra. */
async function inlinePolicyProblems(iam: IAMClient, roleName: string, expected: readonly InlinePolicy[], source: string): Promise<string[]> {
  const names = await inlinePolicyNames(iam, roleName);
  const problems: string[] = [];
  for (const policy of expected) {
    if (!names.includes(policy.name)) {
      problems.push(`inline policy ${policy.name} is missing`);
      continue;
    }
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policy.name }));
    if (!isDeepStrictEqual(parsePolicyDocument(out.PolicyDocument ?? 'null'), policy.document)) {
      problems.push(`inline policy ${policy.name} differs from ${source}`);
    }
  }
  const extra = missing(names, expected.map((p) => p.name));
  if (extra.length) problems.push(`inline policies not asked for: ${extra.join(', ')}`);
  return problems;
}

/** Where the trust policy's OIDC issuer came from, for a check's detail. */
function issuerNote(configIssuer: string | undefined, current: PolicyDocument | undefined): string {
  if (configIssuer) return `OIDC issuer: ${configIssuer}`;
  const found = oidcIssuerIn(current);
  return found ? `OIDC issuer: ${found}, set after the provisioning and kept` : `OIDC issuer: placeholder ${OIDC_PLACEHOLDER}`;
}

/** What the name and path rule of R4, S2 and X1 finds wrong: the vendor's permissions reach only `role/zilliz-byoc*`. */
function namePathProblems(role: Role): string[] {
  const problems: string[] = [];
  if (!role.RoleName?.startsWith(ROLE_NAME_PREFIX)) problems.push(`name ${role.RoleName} is not within ${ROLE_NAME_PREFIX}*`);
  if (role.Path !== '/') problems.push(`path is ${role.Path}, not /`);
  return problems;
}

/**
 * Check the EKS role against R1-R5 by reading it back from IAM (not from the state): R1 the trust policy equals
 * the expected one exactly (same statements in the same order, compared as parsed JSON after URL-decoding; with
 * the config's OIDC issuer, or the real one found in the role when the config has none); R2 exactly the five
 * managed policies attached; R3 exactly the three inline policies, each equal to its upstream document; R4 the role
 * ARN handed back is the role's, and the role is named `zilliz-byoc*` at path `/`; R5 nothing to check, said so.
 *
 * @example const failedChecks = (await verifyEksRole(config, state, { iam })).filter((c) => !c.ok);
 */
export async function verifyEksRole(
  config: ProvisioningConfig,
  state: Pick<IamState, 'eksRole'>,
  deps: { iam: IAMClient },
): Promise<RequirementCheck[]> {
  const { iam } = deps;
  const roleName = state.eksRole?.roleName ?? config.iamRole.name;
  const r5 = passed('R5', 'nothing to check: EKS creates its service-linked roles itself when the cluster is created; this product creates none');
  try {
    const role = await getRole(iam, roleName);
    if (!role) {
      const detail = `IAM role ${roleName} does not exist`;
      return [...['R1', 'R2', 'R3', 'R4'].map((id) => failed(id, detail, 'run the provisioning again: CreateEksRole makes the role')), r5];
    }

    const actual = trustPolicyOf(role);
    const expected = trustPolicyFor(config, actual);
    const r1 = isDeepStrictEqual(actual, expected)
      ? passed('R1', `trust policy of ${roleName} equals the guide's (${issuerNote(config.iamRole.oidcIssuer, actual)})`)
      : failed(
          'R1',
          `trust policy of ${roleName} differs from the guide's: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual ?? null)}`,
          'run the provisioning again (CreateEksRole restores the guide\'s trust policy, keeping a real OIDC issuer), or set the issuer with update-oidc',
        );

    const wantedArns = managedPolicyArns(config.partition);
    const attached = (
      await listAll(async (Marker) => {
        const out = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker }));
        return { items: out.AttachedPolicies ?? [], marker: out.IsTruncated ? out.Marker : undefined };
      })
    ).map((p) => p.PolicyArn ?? '');
    const absentArns = missing(wantedArns, attached);
    const extraArns = missing(attached, wantedArns);
    const r2 =
      absentArns.length === 0 && extraArns.length === 0
        ? passed('R2', `the five managed policies are attached to ${roleName}`)
        : failed(
            'R2',
            [absentArns.length ? `not attached: ${absentArns.join(', ')}` : '', extraArns.length ? `attached but not asked for: ${extraArns.join(', ')}` : '']
              .filter(Boolean)
              .join('; '),
            'run the provisioning again (AttachManagedPolicies attaches the five); detach any other policy by hand',
          );

    const r3Problems = await inlinePolicyProblems(iam, roleName, INLINE_POLICIES, 'the upstream document');
    const r3 = r3Problems.length
      ? failed('R3', r3Problems.join('; '), 'run the provisioning again (PutInlinePolicies puts the three upstream documents back); delete any other inline policy by hand')
      : passed('R3', `the three inline policies of ${roleName} equal the upstream documents`);

    const handedBack = state.eksRole?.roleArn;
    const r4Problems = [
      ...(handedBack && handedBack === role.Arn ? [] : [`the role ARN handed back (${handedBack ?? 'none'}) is not the role's ARN ${role.Arn}`]),
      ...namePathProblems(role),
    ];
    const r4 = r4Problems.length
      ? failed('R4', r4Problems.join('; '), `name the role ${ROLE_NAME_PREFIX}-... at path / (iamRole.name) and provision again`)
      : passed('R4', `role ARN ${role.Arn}`);

    return [r1, r2, r3, r4, r5];
  } catch (error) {
    throw translateAwsError(error, `read back IAM role ${roleName}`);
  }
}

/** What one check of a role made by its create step compares: its id, kind, the expected documents. */
interface OwnRoleExpectations {
  id: string;
  kind: RoleKind;
  /** The create step that makes the role (named in the fix). */
  step: string;
  roleName: string;
  handedBack: RoleState | undefined;
  trustPolicy: (current?: PolicyDocument) => PolicyDocument;
  trustNote: (current?: PolicyDocument) => string;
  inlinePolicies: readonly InlinePolicy[];
  source: string;
}

/** One check (S2, X1) of a role made by its create step, read back from IAM: trust, inline policy, tags, name and path, ARN. */
async function verifyOwnRole(config: ProvisioningConfig, want: OwnRoleExpectations, iam: IAMClient): Promise<RequirementCheck> {
  const { roleName, id } = want;
  const fix = `run the provisioning again: ${want.step} restores the role's trust policy, inline policy and tags`;
  try {
    const role = await getRole(iam, roleName);
    if (!role) return failed(id, `IAM role ${roleName} does not exist`, fix);
    const problems: string[] = [];

    const actual = trustPolicyOf(role);
    const expected = want.trustPolicy(actual);
    if (!isDeepStrictEqual(actual, expected)) {
      problems.push(`trust policy differs from ${want.source}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual ?? null)}`);
    }
    problems.push(...(await inlinePolicyProblems(iam, roleName, want.inlinePolicies, want.source)));

    const tags = Object.fromEntries((role.Tags ?? []).map((t) => [t.Key, t.Value]));
    const wantedTags = { [TAG_PROVISIONING_ID]: config.provisioningId, [TAG_RESOURCE]: ROLE_KINDS[want.kind].resource, [TAG_VENDOR_KEY]: TAG_VENDOR_VALUE };
    for (const [key, value] of Object.entries(wantedTags)) {
      if (tags[key] !== value) problems.push(`tag ${key} is ${tags[key] === undefined ? 'missing' : `"${tags[key]}"`}, not "${value}"`);
    }
    problems.push(...namePathProblems(role));
    if (want.handedBack?.roleArn !== role.Arn) problems.push(`the role ARN handed back (${want.handedBack?.roleArn ?? 'none'}) is not the role's ARN ${role.Arn}`);

    return problems.length
      ? failed(id, `IAM role ${roleName}: ${problems.join('; ')}`, fix)
      : passed(id, `role ${role.Arn}: trust policy and inline policy equal ${want.source} (${want.trustNote(actual)}), tagged, path /`);
  } catch (error) {
    throw translateAwsError(error, `read back IAM role ${roleName}`);
  }
}

/**
 * S2: check the storage role read back from IAM: trust policy equal to the vendor's (with the config's OIDC issuer,
 * or the real one found in the role when the config has none), the inline policy equal to the vendor's for the
 * bucket (plus the KMS statement when the bucket has a key), our tags, path `/`, a name within `zilliz-byoc*`, and
 * the ARN handed back.
 *
 * @example const s2 = await verifyStorageRole(config, state, { iam });
 */
export async function verifyStorageRole(config: ProvisioningConfig, state: Pick<IamState, 'storageRole'>, deps: { iam: IAMClient }): Promise<RequirementCheck> {
  return verifyOwnRole(
    config,
    {
      id: 'S2',
      kind: 'storage',
      step: 'CreateStorageRole',
      roleName: state.storageRole?.roleName ?? config.storageRole.name,
      handedBack: state.storageRole,
      trustPolicy: (current) => storageTrustPolicyFor(config, current),
      trustNote: (current) => issuerNote(config.iamRole.oidcIssuer, current),
      inlinePolicies: [storageInlinePolicy(config)],
      source: 'the vendor\'s reference',
    },
    deps.iam,
  );
}

/**
 * X1: check the cross-account role read back from IAM: trust policy equal to the vendor's (the control plane, only
 * with the external ID), the inline policy equal to the vendor's reference with the names filled in, our tags,
 * path `/`, a name within `zilliz-byoc*`, and the ARN handed back.
 *
 * @example const x1 = await verifyCrossAccountRole(config, state, { iam });
 */
export async function verifyCrossAccountRole(
  config: ProvisioningConfig,
  state: Pick<IamState, 'crossAccountRole'>,
  deps: { iam: IAMClient },
): Promise<RequirementCheck> {
  return verifyOwnRole(
    config,
    {
      id: 'X1',
      kind: 'cross-account',
      step: 'CreateCrossAccountRole',
      roleName: state.crossAccountRole?.roleName ?? config.crossAccountRole.name,
      handedBack: state.crossAccountRole,
      trustPolicy: () => crossAccountTrustPolicyFor(config),
      trustNote: () => `trusted by ${config.crossAccountRole.vendorPrincipalArn} with the external ID`,
      inlinePolicies: [crossAccountInlinePolicy(config)],
      source: 'the vendor\'s reference',
    },
    deps.iam,
  );
}

/**
 * Every IAM check of a provisioning: R1-R5 (the EKS role), S2 (the storage role) and X1 (the cross-account role),
 * in that order, all read back from IAM.
 *
 * @example const checks = await verifyIamRoles(state.config, state, { iam });
 */
export async function verifyIamRoles(
  config: ProvisioningConfig,
  state: Pick<IamState, 'eksRole' | 'storageRole' | 'crossAccountRole'>,
  deps: { iam: IAMClient },
): Promise<RequirementCheck[]> {
  const [eks, s2, x1] = await Promise.all([verifyEksRole(config, state, deps), verifyStorageRole(config, state, deps), verifyCrossAccountRole(config, state, deps)]);
  return [...eks, s2, x1];
}
