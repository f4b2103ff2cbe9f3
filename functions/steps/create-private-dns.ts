import { ec2Client, route53Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { createPrivateDns } from '../../shared/network/private-dns';
import { requireKey } from '../../shared/network/ownership';
import type { NetworkStepState } from '../../shared/network/types';

const STEP = 'CreatePrivateDns';

/** CreatePrivateDns (V10, optional) -> `$.privateDns`: private zone + alias record, returned with the change ID. */
export const handler = stepHandler(STEP, (state: NetworkStepState) =>
  createPrivateDns(
    state.config,
    {
      vpc: requireKey(state.vpc, 'vpc', STEP),
      vpcEndpoint: requireKey(state.vpcEndpoint, 'vpcEndpoint', STEP),
      vpcEndpointStatus: state.vpcEndpointStatus,
    },
    { ec2: ec2Client(targetOf(state.config)), route53: route53Client(targetOf(state.config)) },
  ),
);
