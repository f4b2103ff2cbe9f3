import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { createRouteTables } from '../../shared/network/route-tables';
import { requireKey } from '../../shared/network/ownership';
import type { NetworkStepState } from '../../shared/network/types';

const STEP = 'CreateRouteTables';

/** CreateRouteTables (V6) -> `$.routeTables`: public -> internet gateway, private -> NAT gateway. */
export const handler = stepHandler(STEP, (state: NetworkStepState) =>
  createRouteTables(
    state.config,
    {
      vpc: requireKey(state.vpc, 'vpc', STEP),
      subnets: requireKey(state.subnets, 'subnets', STEP),
      internetGateway: requireKey(state.internetGateway, 'internetGateway', STEP),
      natGateway: requireKey(state.natGateway, 'natGateway', STEP),
    },
    { ec2: ec2Client(targetOf(state.config)) },
  ),
);
