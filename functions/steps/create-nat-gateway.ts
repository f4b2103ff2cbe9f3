import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { createNatGateway } from '../../shared/network/nat-gateway';
import { requireKey } from '../../shared/network/ownership';
import type { NetworkStepState } from '../../shared/network/types';

const STEP = 'CreateNatGateway';

/** CreateNatGateway (V6) -> `$.natGateway`: Elastic IP + NAT gateway, returned at once (usually `pending`). */
export const handler = stepHandler(STEP, (state: NetworkStepState) =>
  createNatGateway(state.config, requireKey(state.subnets, 'subnets', STEP), { ec2: ec2Client(targetOf(state.config)) }),
);
