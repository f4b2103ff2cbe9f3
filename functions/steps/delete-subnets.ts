import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { deleteSubnets } from '../../shared/network/subnets';
import type { NetworkUndoState } from '../../shared/network/types';

/** DeleteSubnets: undo of CreateSubnets, by ID from the state and by tag. */
export const handler = stepHandler('DeleteSubnets', (state: NetworkUndoState) =>
  deleteSubnets(state.config, state, { ec2: ec2Client(targetOf(state.config)) }),
);
