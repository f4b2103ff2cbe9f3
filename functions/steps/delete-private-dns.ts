import { route53Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { deletePrivateDns } from '../../shared/network/private-dns';
import type { NetworkUndoState } from '../../shared/network/types';

/** DeletePrivateDns: undo of CreatePrivateDns (delete the alias record, then the zone). */
export const handler = stepHandler('DeletePrivateDns', (state: NetworkUndoState) =>
  deletePrivateDns(state.config, state, { route53: route53Client(targetOf(state.config)) }),
);
