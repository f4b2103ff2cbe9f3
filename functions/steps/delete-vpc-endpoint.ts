import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { deleteVpcEndpoint } from '../../shared/network/vpc-endpoint';
import type { NetworkUndoState } from '../../shared/network/types';

/** DeleteVpcEndpoint: undo of CreateVpcEndpoint (returns at once; the endpoint goes `deleting`). */
export const handler = stepHandler('DeleteVpcEndpoint', (state: NetworkUndoState) =>
  deleteVpcEndpoint(state.config, state, { ec2: ec2Client(targetOf(state.config)) }),
);
