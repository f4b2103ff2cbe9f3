import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { createS3GatewayEndpoint } from '../../shared/network/s3-gateway-endpoint';
import type { NetworkStepState } from '../../shared/network/types';

/**
 * CreateS3GatewayEndpoint (S1) -> `$.s3GatewayEndpoint`: `{ vpcEndpointId }`, or `{ skipped: true }` when the config
 * has no gateway endpoint. Needs `$.vpc` and `$.routeTables`. No wait follows: a gateway endpoint is available at once.
 */
export const handler = stepHandler('CreateS3GatewayEndpoint', (state: NetworkStepState) =>
  createS3GatewayEndpoint(state.config, { vpc: state.vpc, routeTables: state.routeTables }, { ec2: ec2Client(targetOf(state.config)) }),
);
