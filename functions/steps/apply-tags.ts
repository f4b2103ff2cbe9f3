import { ec2Client, iamClient, route53Client, s3Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { applyTags, type ApplyTagsState } from '../../shared/update/tags';

/**
 * ApplyTags (V8, in place) -> `$.tags` = `{ changed, unchanged, removedKeys }`: the request's tags on every resource
 * of the provisioning, and the previous request's dropped keys removed (only those). Runs when the registry holds a
 * previous request (an update); a first provisioning tagged everything at creation and skips it.
 */
export const handler = stepHandler('ApplyTags', (state: ApplyTagsState) => {
  const target = targetOf(state.config);
  return applyTags(state, { ec2: ec2Client(target), iam: iamClient(target), s3: s3Client(target), route53: route53Client(target) });
});
