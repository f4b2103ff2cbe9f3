import { GetRolePolicyCommand, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, type IAMClient } from '@aws-sdk/client-iam';
import { isDeepStrictEqual } from 'node:util';
import type { ProvisioningConfig } from '../config';
import { translateAwsError } from '../aws/translate-error';
import type { RequirementCheck } from '../requirements';
import { INLINE_POLICIES } from './inline-policies';
import { managedPolicyArns } from './managed-policies';
import { getRole, listAll, trustPolicyOf } from './role';
import { parsePolicyDocument, trustPolicyFor } from './trust-policy';
import type { IamState } from './types';

const missing = (list: string[], from: string[]) => list.filter((x) => !from.includes(x));

/**
 * Check the EKS role against R1-R5 by reading it back from IAM (not from the state): R1 the trust policy equals
 * the expected one exactly (same statements in the same order, compared as parsed JSON after URL-decoding);
 * R2 exactly the five managed policies attached; R3 exactly the three inline policies, each equal to its upstream
 * document; R4 the role ARN handed back is the role's; R5 nothing to check, said so.
 *
 * @example const failed = (await verifyEksRole(config, state, { iam })).filter((c) => !c.ok);
 */
export async function verifyEksRole(
  config: ProvisioningConfig,
  state: Pick<IamState, 'eksRole'>,
  deps: { iam: IAMClient },
): Promise<RequirementCheck[]> {
  const { iam } = deps;
  const roleName = state.eksRole?.roleName ?? config.iamRole.name;
  const r5: RequirementCheck = {
    id: 'R5',
    ok: true,
    detail: 'nothing to check: EKS creates its service-linked roles itself when the cluster is created; this product creates none',
  };
  try {
    const role = await getRole(iam, roleName);
    if (!role) {
      const detail = `IAM role ${roleName} does not exist`;
      return [...['R1', 'R2', 'R3', 'R4'].map((id) => ({ id, ok: false, detail })), r5];
    }

    const expected = trustPolicyFor(config);
    const actual = trustPolicyOf(role);
    const r1: RequirementCheck = isDeepStrictEqual(actual, expected)
      ? { id: 'R1', ok: true, detail: `trust policy of ${roleName} equals the guide's (OIDC issuer: ${config.iamRole.oidcIssuer ?? 'placeholder eks_oidc_url'})` }
      : { id: 'R1', ok: false, detail: `trust policy of ${roleName} differs from the guide's: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual ?? null)}` };

    const wantedArns = managedPolicyArns(config.partition);
    const attached = (
      await listAll(async (Marker) => {
        const out = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker }));
        return { items: out.AttachedPolicies ?? [], marker: out.IsTruncated ? out.Marker : undefined };
      })
    ).map((p) => p.PolicyArn ?? '');
    const absentArns = missing(wantedArns, attached);
    const extraArns = missing(attached, wantedArns);
    const r2: RequirementCheck =
      absentArns.length === 0 && extraArns.length === 0
        ? { id: 'R2', ok: true, detail: `the five managed policies are attached to ${roleName}` }
        : {
            id: 'R2',
            ok: false,
            detail: [absentArns.length ? `not attached: ${absentArns.join(', ')}` : '', extraArns.length ? `attached but not asked for: ${extraArns.join(', ')}` : '']
              .filter(Boolean)
              .join('; '),
          };

    const names = await listAll(async (Marker) => {
      const out = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker }));
      return { items: out.PolicyNames ?? [], marker: out.IsTruncated ? out.Marker : undefined };
    });
    const r3Problems: string[] = [];
    for (const policy of INLINE_POLICIES) {
      if (!names.includes(policy.name)) {
        r3Problems.push(`inline policy ${policy.name} is missing`);
        continue;
      }
      const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policy.name }));
      if (!isDeepStrictEqual(parsePolicyDocument(out.PolicyDocument ?? 'null'), policy.document)) {
        r3Problems.push(`inline policy ${policy.name} differs from the upstream document`);
      }
    }
    const extraNames = missing(names, INLINE_POLICIES.map((p) => p.name));
    if (extraNames.length) r3Problems.push(`inline policies not asked for: ${extraNames.join(', ')}`);
    const r3: RequirementCheck = r3Problems.length
      ? { id: 'R3', ok: false, detail: r3Problems.join('; ') }
      : { id: 'R3', ok: true, detail: `the three inline policies of ${roleName} equal the upstream documents` };

    const handedBack = state.eksRole?.roleArn;
    const r4: RequirementCheck =
      handedBack && handedBack === role.Arn
        ? { id: 'R4', ok: true, detail: `role ARN ${role.Arn}` }
        : { id: 'R4', ok: false, detail: `the role ARN handed back (${handedBack ?? 'none'}) is not the role's ARN ${role.Arn}` };

    return [r1, r2, r3, r4, r5];
  } catch (error) {
    throw translateAwsError(error, `read back IAM role ${roleName}`);
  }
}
