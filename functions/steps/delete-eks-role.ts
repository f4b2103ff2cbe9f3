import { iamClient } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { deleteEksRole } from '../../shared/iam/role';
import type { IamUndoState } from '../../shared/iam/types';
import { stepHandler } from '../../shared/lambda';

/** DeleteEksRole: undo of CreateEksRole, AttachManagedPolicies and PutInlinePolicies -> `{ deleted, notFound, leftForeign }`. */
export const handler = stepHandler('DeleteEksRole', (state: IamUndoState) =>
  deleteEksRole(state.config, state.eksRole, { iam: iamClient(targetOf(state.config)) }),
);
