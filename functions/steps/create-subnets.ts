import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { createSubnets } from '../../shared/network/subnets';
import { requireKey } from '../../shared/network/ownership';
import type { NetworkStepState } from '../../shared/network/types';

const STEP = 'CreateSubnets';

/** CreateSubnets (V3, V4, V8) -> `$.subnets`: the public /24 and the three private /18s. */
export const handler = stepHandler(STEP, (state: NetworkStepState) =>
  createSubnets(state.config, requireKey(state.vpc, 'vpc', STEP), { ec2: ec2Client(targetOf(state.config)) }),
);
