import { iamClient } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { updateRoleOidc, type UpdateRoleOidcInput } from '../../shared/iam/oidc';
import { stepHandler } from '../../shared/lambda';

/**
 * UpdateRoleOidc (R1, S2, later): `{ provisioningId, region, targetAccount?, roleName, storageRoleName?, oidcIssuerUrl }`
 * -> `{ roleArn, trustPolicy, storageRole?: { roleArn, trustPolicy } }`. Called by the API, the CLI and the custom
 * resource once the EKS cluster exists; not part of the provision run.
 */
export const handler = stepHandler('UpdateRoleOidc', (input: UpdateRoleOidcInput) => updateRoleOidc(input, { iam: iamClient(targetOf(input)) }));
