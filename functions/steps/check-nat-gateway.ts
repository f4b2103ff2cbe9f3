import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { WAIT_POLICIES, withWaitPolicy } from '../../shared/waiting';
import { checkNatGateway } from '../../shared/network/nat-gateway';
import type { NetworkStepState } from '../../shared/network/types';

/** CheckNatGateway -> `$.natGatewayStatus` `{ state, ready } plus `checks` (how often it ran) and `nextWaitSeconds` (shared/waiting.ts); the state machine waits until `ready`. */
export const handler = stepHandler('CheckNatGateway', async (state: NetworkStepState & { natGatewayStatus?: { checks?: number } }) =>
  withWaitPolicy(state.natGatewayStatus, await checkNatGateway(state.config, state, { ec2: ec2Client(targetOf(state.config)) }), WAIT_POLICIES.natGateway),
);
