import { ec2Client, iamClient, route53Client, s3Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import type { ProvisioningState } from '../../shared/state';
import { verifyProvisioning } from '../../shared/verify';

/** Verify: every requirement (V2-V10, R1-R5, S1, S2, X1) read back from AWS -> `$.verification`; a failed one rolls back. */
export const handler = stepHandler('Verify', (state: ProvisioningState) => {
  const target = targetOf(state.config);
  return verifyProvisioning(state, { ec2: ec2Client(target), route53: route53Client(target), iam: iamClient(target), s3: s3Client(target) });
});
