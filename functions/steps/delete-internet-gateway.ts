import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { deleteInternetGateway } from '../../shared/network/internet-gateway';
import type { NetworkUndoState } from '../../shared/network/types';

/** DeleteInternetGateway: undo of CreateInternetGateway (detach, then delete). */
export const handler = stepHandler('DeleteInternetGateway', (state: NetworkUndoState) =>
  deleteInternetGateway(state.config, state, { ec2: ec2Client(targetOf(state.config)) }),
);
