import { ec2Client, iamClient, route53Client, s3Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { findLeftovers, type LeftoversInput } from '../../shared/leftovers';

/** FindLeftovers: what still carries the provisioning ID after a rollback or teardown -> `$.leftovers`. */
export const handler = stepHandler('FindLeftovers', (state: LeftoversInput) => {
  const target = targetOf(state.config);
  return findLeftovers(state, { ec2: ec2Client(target), route53: route53Client(target), iam: iamClient(target), s3: s3Client(target) });
});
