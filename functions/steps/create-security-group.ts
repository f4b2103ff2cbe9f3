import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { createSecurityGroup } from '../../shared/network/security-group';
import { requireKey } from '../../shared/network/ownership';
import type { NetworkStepState } from '../../shared/network/types';

const STEP = 'CreateSecurityGroup';

/**
 * CreateSecurityGroup (V7, V8) -> `$.securityGroup`: HTTPS in and out, and (unless `strict`) all traffic within the
 * VPC. A re-run (an update) adds missing rules and revokes only our own tagged rules the request no longer wants;
 * it never removes a rule someone else added.
 */
export const handler = stepHandler(STEP, (state: NetworkStepState) =>
  createSecurityGroup(state.config, requireKey(state.vpc, 'vpc', STEP), { ec2: ec2Client(targetOf(state.config)) }),
);
