import { UpdateAssumeRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { isDeepStrictEqual } from 'node:util';
import type { ProvisioningConfig } from '../config';
import { TAG_PROVISIONING_ID } from '../constants';
import { AwsOperationError, EventualConsistencyError, ForeignResourceError, InvalidInputError, type FieldProblem } from '../errors';
import { isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { getRole, isOurRole, trustPolicyOf } from './role';
import { isOidcStatement, oidcIssuerFromUrl, policyJson, trustPolicy } from './trust-policy';
import { NO_SUCH_ENTITY, type PolicyDocument } from './types';

/** What the API and the CLI send to set the cluster's OIDC issuer on an existing EKS role (R1, "set it later"). */
export interface UpdateRoleOidcInput {
  provisioningId: string;
  region: string;
  targetAccount?: { roleArn: string; externalId: string };
  roleName: string;
  /** The cluster's issuer, e.g. `https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`. */
  oidcIssuerUrl: string;
}

export interface UpdateRoleOidcResult {
  roleArn: string;
  trustPolicy: PolicyDocument;
}

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\//;

function checkInput(input: UpdateRoleOidcInput): string {
  const problems: FieldProblem[] = [];
  if (typeof input.provisioningId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(input.provisioningId)) {
    problems.push({ field: 'provisioningId', rule: 'is required: 1-64 letters, digits, "-" or "_"' });
  }
  if (typeof input.roleName !== 'string' || !/^[\w+=,.@-]{1,64}$/.test(input.roleName)) {
    problems.push({ field: 'roleName', rule: 'must be an IAM role name: 1-64 of [A-Za-z0-9_+=,.@-]' });
  }
  let issuer = '';
  try {
    issuer = oidcIssuerFromUrl(input.oidcIssuerUrl, 'oidcIssuerUrl');
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return issuer;
}

/**
 * R1, later: once the EKS cluster exists, put its OIDC issuer into the role's trust policy in place of the guide's
 * `eks_oidc_url` placeholder (or of an earlier issuer). The policy is rebuilt from the guide with the real issuer:
 * only the federated principal and the `:aud` / `:sub` condition keys of the three web-identity statements change;
 * the three service statements stay byte for byte. Partition and account come from the role's own ARN.
 * Refuses a role without this provisioning's tag. Running it twice changes nothing the second time.
 *
 * @throws InvalidInputError naming `oidcIssuerUrl` (or `roleName`, `provisioningId`) when the input is unusable.
 * @example await updateRoleOidc({ provisioningId: 'p-1', region: 'us-west-2', roleName: 'demo-eks-role',
 *   oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC' }, { iam })
 */
export async function updateRoleOidc(input: UpdateRoleOidcInput, deps: { iam: IAMClient }): Promise<UpdateRoleOidcResult> {
  const { iam } = deps;
  const issuer = checkInput(input);
  const role = await getRole(iam, input.roleName);
  if (!role) throw new InvalidInputError([{ field: 'roleName', rule: `no IAM role named ${input.roleName} exists in the target account` }]);
  if (!isOurRole(role, input.provisioningId)) {
    throw new ForeignResourceError(`IAM role ${input.roleName} does not carry ${TAG_PROVISIONING_ID}=${input.provisioningId}; not changing its trust policy`);
  }
  const arn = ROLE_ARN.exec(role.Arn ?? '');
  if (!arn) throw new AwsOperationError(`IAM returned an unexpected ARN for role ${input.roleName}: ${role.Arn}`);
  const [, partition, accountId] = arn;

  const current = trustPolicyOf(role);
  const next = trustPolicy({ partition: partition as ProvisioningConfig['partition'], accountId, oidcIssuer: issuer });
  if (current && !isDeepStrictEqual(current.Statement.filter((s) => !isOidcStatement(s)), next.Statement.filter((s) => !isOidcStatement(s)))) {
    // The service statements differ from the guide's: someone edited the role. We still restore the guide's policy
    // (R1 asks for exactly it), but say so in the log.
    logger.warn('role trust policy had non-guide service statements; restoring the guide policy', { roleName: input.roleName });
  }
  if (!isDeepStrictEqual(current, next)) {
    try {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: input.roleName, PolicyDocument: policyJson(next) }));
    } catch (error) {
      if (isNotFound(error, ...NO_SUCH_ENTITY)) throw new EventualConsistencyError(`IAM role ${input.roleName} is not visible yet`, { cause: error });
      throw translateAwsError(error, `update the trust policy of IAM role ${input.roleName}`);
    }
    logger.info('set OIDC issuer in trust policy', { roleName: input.roleName, issuer });
  }
  return { roleArn: role.Arn!, trustPolicy: next };
}
