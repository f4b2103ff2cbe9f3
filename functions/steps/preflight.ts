import { ec2Client, iamClient, s3Client, serviceQuotasClient, stsClient } from '../../shared/aws/clients';
import { targetOf, type ProvisioningConfig } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { preflightStep } from '../../shared/preflight';

/** Preflight: permissions, quotas, names and addresses checked before anything is made; fails with every problem at once. */
export const handler = stepHandler('Preflight', (event: { config: ProvisioningConfig }) => {
  const target = targetOf(event.config);
  return preflightStep(event.config, {
    ec2: ec2Client(target),
    iam: iamClient(target),
    s3: s3Client(target),
    sts: stsClient(target),
    serviceQuotas: (region) => serviceQuotasClient({ ...target, region }),
  });
});
