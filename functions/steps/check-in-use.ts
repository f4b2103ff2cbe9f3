import { ec2Client, eksClient, elbv2Client, iamClient } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { checkInUse, type InUseConfig } from '../../shared/in-use';
import { stepHandler } from '../../shared/lambda';

/**
 * CheckInUse: the teardown's first step, before anything is deleted (issue 10). `{ config }` (the teardown config,
 * with `force` when asked) -> `{ inUse: [{type, id, detail}], forced, notChecked }`; without `force`, anything of
 * others that depends on ours fails it with the terminal `ResourceInUseError` naming each.
 */
export const handler = stepHandler('CheckInUse', (state: { config: InUseConfig }) => {
  const target = targetOf(state.config);
  return checkInUse(state.config, { ec2: ec2Client(target), iam: iamClient(target), eks: eksClient(target), elbv2: elbv2Client(target) });
});
