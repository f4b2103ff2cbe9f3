import { ec2Client, iamClient, s3Client, serviceQuotasClient, stsClient, type AwsTarget } from '../../shared/aws/clients';
import { preflightRequest } from '../../shared/preflight';
import { apiHandler, json } from './http';

const depsFor = (target: AwsTarget) => ({
  ec2: ec2Client(target),
  iam: iamClient(target),
  s3: s3Client(target),
  sts: stsClient(target),
  serviceQuotas: (region: string) => serviceQuotasClient({ ...target, region }),
});

/**
 * POST /preflight (body: the provisioning request): what would make a provisioning fail, found without making
 * anything. 200 `{ ok, findings, quotas, permissions }` either way (`ok` false when a finding is an error); 400 for an
 * invalid request, naming each field.
 */
export const handler = apiHandler(
  async (event) => json(200, await preflightRequest(event.body, depsFor, event.headers?.['idempotency-key'])),
  { jsonBody: true },
);
