import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { WAIT_POLICIES, withWaitPolicy } from '../../shared/waiting';
import { checkVpcEndpoint } from '../../shared/network/vpc-endpoint';
import type { NetworkStepState } from '../../shared/network/types';

/** CheckVpcEndpoint -> `$.vpcEndpointStatus` `{ state, ready, dnsName, hostedZoneId } plus `checks` (how often it ran) and `nextWaitSeconds` (shared/waiting.ts); the state machine waits until `ready`. */
export const handler = stepHandler('CheckVpcEndpoint', async (state: NetworkStepState & { vpcEndpointStatus?: { checks?: number } }) =>
  withWaitPolicy(state.vpcEndpointStatus, await checkVpcEndpoint(state.config, state, { ec2: ec2Client(targetOf(state.config)) }), WAIT_POLICIES.vpcEndpoint),
);
