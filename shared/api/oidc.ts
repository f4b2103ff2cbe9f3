import type { IAMClient } from '@aws-sdk/client-iam';
import { defaultRoleName } from '../config';
import { updateRoleOidc, type UpdateRoleOidcResult } from '../iam/oidc';
import { ApiError, requestOf, type ProvisioningServiceDeps } from './provisionings';

/**
 * R1, later: set the EKS cluster's OIDC issuer on the role of a finished provisioning. The role name, region and
 * customer account come from the provisioning's own request, so the caller only names the provisioning.
 * @throws ApiError 404 (no such provisioning), 409 (the provisioning did not succeed).
 */
export async function updateProvisioningOidc(
  provisioningId: string,
  body: unknown,
  deps: ProvisioningServiceDeps & { iam: (target: { region: string; roleArn?: string; externalId?: string }) => IAMClient },
): Promise<UpdateRoleOidcResult> {
  const { request, status } = await requestOf(provisioningId, deps);
  if (status !== 'SUCCEEDED') throw new ApiError(409, 'ProvisioningNotReady', `provisioning ${provisioningId} is ${status}; the OIDC issuer can be set once it has SUCCEEDED`);
  const oidcIssuerUrl = (body as { oidcIssuerUrl?: unknown } | null)?.oidcIssuerUrl as string;
  const target = { region: request.region, roleArn: request.targetAccount?.roleArn, externalId: request.targetAccount?.externalId };
  return updateRoleOidc(
    {
      provisioningId,
      region: request.region,
      ...(request.targetAccount ? { targetAccount: request.targetAccount } : {}),
      roleName: request.iamRole?.name ?? defaultRoleName(request.projectName),
      oidcIssuerUrl,
    },
    { iam: deps.iam(target) },
  );
}
