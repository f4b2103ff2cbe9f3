import { ec2Client, iamClient, s3Client, serviceQuotasClient, stsClient, type AwsTarget } from '../aws/clients';
import type { PreflightDeps } from './types';

/**
 * The clients Preflight reads with, for one target (the customer role when there is one): one definition for the
 * workflow step, `POST /preflight` and `byoc preflight`. Service Quotas is asked in each region it is needed in.
 */
export const preflightClients = (target: AwsTarget): PreflightDeps => ({
  ec2: ec2Client(target),
  iam: iamClient(target),
  s3: s3Client(target),
  sts: stsClient(target),
  serviceQuotas: (region: string) => serviceQuotasClient({ ...target, region }),
});
