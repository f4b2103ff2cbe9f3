import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { createInternetGateway } from '../../shared/network/internet-gateway';
import { requireKey } from '../../shared/network/ownership';
import type { NetworkStepState } from '../../shared/network/types';

const STEP = 'CreateInternetGateway';

/** CreateInternetGateway (V6) -> `$.internetGateway`: created, tagged and attached to the VPC. */
export const handler = stepHandler(STEP, (state: NetworkStepState) =>
  createInternetGateway(state.config, requireKey(state.vpc, 'vpc', STEP), { ec2: ec2Client(targetOf(state.config)) }),
);
