import { ec2Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { deleteRouteTables } from '../../shared/network/route-tables';
import type { NetworkUndoState } from '../../shared/network/types';

/** DeleteRouteTables: undo of CreateRouteTables (disassociate, then delete), by ID from the state and by tag. */
export const handler = stepHandler('DeleteRouteTables', (state: NetworkUndoState) =>
  deleteRouteTables(state.config, state, { ec2: ec2Client(targetOf(state.config)) }),
);
