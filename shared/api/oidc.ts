import type { IAMClient } from '@aws-sdk/client-iam';
import { defaultRoleName } from '../config';
import { InvalidInputError, type FieldProblem } from '../errors';
import { oidcIssuerFromUrl } from '../iam/trust-policy';
import { requestSchema } from '../request';
import { updateRoleOidc, type UpdateRoleOidcResult } from '../iam/oidc';
import { ApiError, requestOf, type ProvisioningServiceDeps } from './provisionings';

/** The role name in a role ARN (`arn:aws:iam::123456789012:role/zilliz-byoc-demo-storage-role` -> the last segment). */
const roleNameOf = (arn: unknown): string | undefined => (typeof arn === 'string' && arn.includes(':role/') ? arn.slice(arn.lastIndexOf('/') + 1) : undefined);

const ID_PATTERN = new RegExp(requestSchema.properties.provisioningId.pattern);

/**
 * The provisioning ID and the body `{ oidcIssuerUrl }`, checked before anything is read: bad input never reaches
 * the registry or IAM. Unknown fields are errors, as in every request (a typo must not be ignored).
 * @throws InvalidInputError naming each bad field.
 */
export function parseOidcBody(provisioningId: string, body: unknown): string {
  const problems: FieldProblem[] = [];
  if (!ID_PATTERN.test(provisioningId)) problems.push({ field: 'provisioningId', rule: 'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit' });
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    problems.push({ field: '(request)', rule: 'must be a JSON object {"oidcIssuerUrl": "https://oidc.eks.<region>.amazonaws.com/id/<ID>"}' });
    throw new InvalidInputError(problems);
  }
  for (const key of Object.keys(body)) if (key !== 'oidcIssuerUrl') problems.push({ field: key, rule: 'is not a known field' });
  const url = (body as { oidcIssuerUrl?: unknown }).oidcIssuerUrl;
  try {
    oidcIssuerFromUrl(url, 'oidcIssuerUrl');
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return url as string;
}

/**
 * R1 and S2, later: set the EKS cluster's OIDC issuer on the EKS role and the storage role of a finished
 * provisioning. The role names, region and customer account come from the provisioning's registry record (its
 * latest request and outputs), so the caller only names the provisioning, also after Step Functions forgot it. The storage role is updated when the provisioning handed one back
 * (`outputs.storageRoleArn`): a provisioning made before the storage role existed gets only its EKS role updated.
 * @throws ApiError 404 (no such provisioning), 409 (the provisioning did not succeed).
 */
export async function updateProvisioningOidc(
  provisioningId: string,
  body: unknown,
  deps: ProvisioningServiceDeps & { iam: (target: { region: string; roleArn?: string; externalId?: string }) => IAMClient },
): Promise<UpdateRoleOidcResult> {
  const oidcIssuerUrl = parseOidcBody(provisioningId, body);
  const { request, status, outputs } = await requestOf(provisioningId, deps);
  if (status !== 'SUCCEEDED') throw new ApiError(409, 'ProvisioningNotReady', `provisioning ${provisioningId} is ${status}; the OIDC issuer can be set once it has SUCCEEDED`);
  const target = { region: request.region, roleArn: request.targetAccount?.roleArn, externalId: request.targetAccount?.externalId };
  const handedBack = outputs as { eksRoleArn?: unknown; storageRoleArn?: unknown } | null;
  const storageRoleName = roleNameOf(handedBack?.storageRoleArn);
  return updateRoleOidc(
    {
      provisioningId,
      region: request.region,
      ...(request.targetAccount ? { targetAccount: request.targetAccount } : {}),
      // The ARN handed back first: the default name has changed over time, the role's name has not.
      roleName: roleNameOf(handedBack?.eksRoleArn) ?? request.iamRole?.name ?? defaultRoleName(request.projectName),
      ...(storageRoleName ? { storageRoleName } : {}),
      oidcIssuerUrl,
    },
    { iam: deps.iam(target) },
  );
}
