import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { deleteS3GatewayEndpoint } from '../../shared/network/s3-gateway-endpoint';
import type { NetworkUndoState } from '../../shared/network/types';

/**
 * DeleteS3GatewayEndpoint: undo of CreateS3GatewayEndpoint, by the ID in `$.s3GatewayEndpoint` and by tag;
 * `{ deleted, notFound }`. Runs before DeleteRouteTables (the endpoint's routes live in the private route table).
 */
export const handler = stepHandler('DeleteS3GatewayEndpoint', (state: NetworkUndoState) =>
  deleteS3GatewayEndpoint(state.config, state, { ec2: ec2Client(targetOf(state.config)) }),
);
