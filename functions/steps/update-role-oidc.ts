import { iamClient } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { updateRoleOidc, type UpdateRoleOidcInput } from '../../shared/iam/oidc';
import { stepHandler } from '../../shared/lambda';

/**
 * UpdateRoleOidc (R1, later): `{ provisioningId, region, targetAccount?, roleName, oidcIssuerUrl }` ->
 * `{ roleArn, trustPolicy }`. Called by the API and the CLI once the EKS cluster exists; not part of the provision run.
 */
export const handler = stepHandler('UpdateRoleOidc', (input: UpdateRoleOidcInput) => updateRoleOidc(input, { iam: iamClient(targetOf(input)) }));
