import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { withCheckCount } from '../../shared/waiting';
import { checkNatGateway } from '../../shared/network/nat-gateway';
import type { NetworkStepState } from '../../shared/network/types';

/** CheckNatGateway -> `$.natGatewayStatus` `{ state, ready } plus `checks` (how often it ran); the state machine waits until `ready`. */
export const handler = stepHandler('CheckNatGateway', async (state: NetworkStepState & { natGatewayStatus?: { checks?: number } }) =>
  withCheckCount(state.natGatewayStatus, await checkNatGateway(state.config, state, { ec2: ec2Client(targetOf(state.config)) })),
);
