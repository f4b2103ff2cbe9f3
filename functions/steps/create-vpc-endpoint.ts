import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { createVpcEndpoint } from '../../shared/network/vpc-endpoint';
import { requireKey } from '../../shared/network/ownership';
import type { NetworkStepState } from '../../shared/network/types';

const STEP = 'CreateVpcEndpoint';

/** CreateVpcEndpoint (V9, optional) -> `$.vpcEndpoint`, returned at once (usually `pending`). */
export const handler = stepHandler(STEP, (state: NetworkStepState) =>
  createVpcEndpoint(
    state.config,
    {
      vpc: requireKey(state.vpc, 'vpc', STEP),
      subnets: requireKey(state.subnets, 'subnets', STEP),
      securityGroup: requireKey(state.securityGroup, 'securityGroup', STEP),
    },
    { ec2: ec2Client(targetOf(state.config)) },
  ),
);
