import { ec2Client, iamClient, route53Client, s3Client, stsClient } from '../../shared/aws/clients';
import { getProvisioningHealth } from '../../shared/api/health';
import { apiHandler, json, serviceDeps } from './http';

/** GET /provisionings/{id}/health: drift, Verify re-run now: HEALTHY, DEGRADED or BROKEN with each failed requirement. */
export const handler = apiHandler(async (event) =>
  json(200, await getProvisioningHealth(event.pathParameters?.id ?? '', { ...serviceDeps(), clients: { ec2: ec2Client, route53: route53Client, iam: iamClient, s3: s3Client, sts: stsClient } })),
);
