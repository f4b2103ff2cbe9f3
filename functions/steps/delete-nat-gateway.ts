import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { deleteNatGateway } from '../../shared/network/nat-gateway';
import type { NetworkUndoState } from '../../shared/network/types';

/** DeleteNatGateway: undo of CreateNatGateway (returns at once; the gateway goes `deleting`). */
export const handler = stepHandler('DeleteNatGateway', (state: NetworkUndoState) =>
  deleteNatGateway(state.config, state, { ec2: ec2Client(targetOf(state.config)) }),
);
