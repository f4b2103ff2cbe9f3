import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { withCheckCount } from '../../shared/waiting';
import { checkVpcEndpoint } from '../../shared/network/vpc-endpoint';
import type { NetworkStepState } from '../../shared/network/types';

/** CheckVpcEndpoint -> `$.vpcEndpointStatus` `{ state, ready, dnsName, hostedZoneId } plus `checks` (how often it ran); the state machine waits until `ready`. */
export const handler = stepHandler('CheckVpcEndpoint', async (state: NetworkStepState & { vpcEndpointStatus?: { checks?: number } }) =>
  withCheckCount(state.vpcEndpointStatus, await checkVpcEndpoint(state.config, state, { ec2: ec2Client(targetOf(state.config)) })),
);
