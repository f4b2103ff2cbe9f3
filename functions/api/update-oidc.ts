import { iamClient } from '../../shared/aws/clients';
import { updateProvisioningOidc } from '../../shared/api/oidc';
import { apiHandler, json, serviceDeps } from './http';

/** POST /provisionings/{id}/oidc `{ oidcIssuerUrl }`: put the EKS cluster's OIDC issuer into the role's trust policy (R1). */
export const handler = apiHandler(
  async (event) => json(200, await updateProvisioningOidc(event.pathParameters?.id ?? '', event.body, { ...serviceDeps(), iam: iamClient })),
  { jsonBody: true },
);
