import { UpdateAssumeRolePolicyCommand, type IAMClient, type Role } from '@aws-sdk/client-iam';
import { isDeepStrictEqual } from 'node:util';
import type { ProvisioningConfig } from '../config';
import { TAG_PROVISIONING_ID } from '../constants';
import { AwsOperationError, EventualConsistencyError, ForeignResourceError, InvalidInputError, type FieldProblem } from '../errors';
import { isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { getRole, isOurRole, trustPolicyOf } from './role';
import { isOidcStatement, oidcIssuerFromUrl, policyJson, trustPolicy } from './trust-policy';
import { NO_SUCH_ENTITY, type PolicyDocument } from './types';
import { storageRoleTrustPolicy } from './vendor-policies';

/**
 * What the API, the CLI and the custom resource send to set the cluster's OIDC issuer on existing roles (R1 and S2,
 * "set it later"). `storageRoleName` is optional so a caller that knows only the EKS role (a provisioning made
 * before the storage role existed) keeps working.
 */
export interface UpdateRoleOidcInput {
  provisioningId: string;
  region: string;
  targetAccount?: { roleArn: string; externalId: string };
  /** The EKS role (R1). */
  roleName: string;
  /** S2: the storage role, when the provisioning made one: its trust policy gets the same issuer. */
  storageRoleName?: string;
  /** The cluster's issuer, e.g. `https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`. */
  oidcIssuerUrl: string;
}

/** One role's ARN and its trust policy as set. */
export interface RoleTrust {
  roleArn: string;
  trustPolicy: PolicyDocument;
}

/** The EKS role's ARN and trust policy (as before), and the storage role's when it was given. */
export interface UpdateRoleOidcResult extends RoleTrust {
  storageRole?: RoleTrust;
}

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\//;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

function checkInput(input: UpdateRoleOidcInput): string {
  const problems: FieldProblem[] = [];
  if (typeof input.provisioningId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(input.provisioningId)) {
    problems.push({ field: 'provisioningId', rule: 'is required: 1-64 letters, digits, "-" or "_"' });
  }
  if (typeof input.roleName !== 'string' || !ROLE_NAME.test(input.roleName)) {
    problems.push({ field: 'roleName', rule: 'must be an IAM role name: 1-64 of [A-Za-z0-9_+=,.@-]' });
  }
  if (input.storageRoleName !== undefined) {
    if (typeof input.storageRoleName !== 'string' || !ROLE_NAME.test(input.storageRoleName)) {
      problems.push({ field: 'storageRoleName', rule: 'must be an IAM role name: 1-64 of [A-Za-z0-9_+=,.@-] (or be left out)' });
    } else if (input.storageRoleName === input.roleName) {
      problems.push({ field: 'storageRoleName', rule: 'must name the storage role, not the EKS role (roleName)' });
    }
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

/** Read a role that must exist and be ours; `field` is the input field that named it. */
async function ourRole(iam: IAMClient, provisioningId: string, roleName: string, field: string): Promise<{ role: Role; partition: ProvisioningConfig['partition']; accountId: string }> {
  const role = await getRole(iam, roleName);
  if (!role) throw new InvalidInputError([{ field, rule: `no IAM role named ${roleName} exists in the target account` }]);
  if (!isOurRole(role, provisioningId)) {
    throw new ForeignResourceError(`IAM role ${roleName} does not carry ${TAG_PROVISIONING_ID}=${provisioningId}; not changing its trust policy`);
  }
  const arn = ROLE_ARN.exec(role.Arn ?? '');
  if (!arn) throw new AwsOperationError(`IAM returned an unexpected ARN for role ${roleName}: ${role.Arn}`);
  return { role, partition: arn[1] as ProvisioningConfig['partition'], accountId: arn[2] };
}

/** Put `next` as the role's trust policy unless it already is; a second run changes nothing. */
async function setTrust(iam: IAMClient, role: Role, next: PolicyDocument, issuer: string): Promise<RoleTrust> {
  const roleName = role.RoleName!;
  if (!isDeepStrictEqual(trustPolicyOf(role), next)) {
    try {
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: policyJson(next) }));
    } catch (error) {
      if (isNotFound(error, ...NO_SUCH_ENTITY)) throw new EventualConsistencyError(`IAM role ${roleName} is not visible yet`, { cause: error });
      throw translateAwsError(error, `update the trust policy of IAM role ${roleName}`);
    }
    logger.info('set OIDC issuer in trust policy', { roleName, issuer });
  }
  return { roleArn: role.Arn!, trustPolicy: next };
}

/**
 * R1 and S2, later: once the EKS cluster exists, put its OIDC issuer into the trust policies in place of the
 * `eks_oidc_url` placeholder (or of an earlier issuer): the EKS role's (`roleName`) and, when given, the storage
 * role's (`storageRoleName`). Each policy is rebuilt from its reference (the guide's, the vendor's) with the real
 * issuer: only the federated principal and the `:aud` / `:sub` condition keys of the web-identity statements change;
 * the EKS role's three service statements and the storage role's service-account patterns stay byte for byte.
 * Partition and account come from each role's own ARN. Both roles are read and checked (they exist, they carry
 * this provisioning's tag) before either is changed. Running it twice changes nothing the second time.
 *
 * @throws InvalidInputError naming `oidcIssuerUrl` (or `roleName`, `storageRoleName`, `provisioningId`) when the input is unusable.
 * @throws ForeignResourceError when a role does not carry this provisioning's tag; nothing is changed then.
 * @example await updateRoleOidc({ provisioningId: 'p-1', region: 'us-west-2', roleName: 'zilliz-byoc-demo-eks-role',
 *   storageRoleName: 'zilliz-byoc-demo-storage-role', oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC' }, { iam })
 */
export async function updateRoleOidc(input: UpdateRoleOidcInput, deps: { iam: IAMClient }): Promise<UpdateRoleOidcResult> {
  const { iam } = deps;
  const issuer = checkInput(input);
  const eks = await ourRole(iam, input.provisioningId, input.roleName, 'roleName');
  const storage = input.storageRoleName ? await ourRole(iam, input.provisioningId, input.storageRoleName, 'storageRoleName') : undefined;

  const current = trustPolicyOf(eks.role);
  const next = trustPolicy({ partition: eks.partition, accountId: eks.accountId, oidcIssuer: issuer });
  if (current && !isDeepStrictEqual(current.Statement.filter((s) => !isOidcStatement(s)), next.Statement.filter((s) => !isOidcStatement(s)))) {
    // The service statements differ from the guide's: someone edited the role. We still restore the guide's policy
    // (R1 asks for exactly it), but say so in the log.
    logger.warn('role trust policy had non-guide service statements; restoring the guide policy', { roleName: input.roleName });
  }
  const result: UpdateRoleOidcResult = await setTrust(iam, eks.role, next, issuer);
  if (storage) {
    result.storageRole = await setTrust(iam, storage.role, storageRoleTrustPolicy({ partition: storage.partition, accountId: storage.accountId, oidcIssuer: issuer }), issuer);
  }
  return result;
}
