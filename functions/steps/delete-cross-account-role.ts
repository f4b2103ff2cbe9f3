import { iamClient } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { deleteCrossAccountRole } from '../../shared/iam/cross-account-role';
import type { IamUndoState } from '../../shared/iam/types';
import { stepHandler } from '../../shared/lambda';

/** DeleteCrossAccountRole: undo of CreateCrossAccountRole (X1) -> `{ deleted, notFound, leftForeign }`. */
export const handler = stepHandler('DeleteCrossAccountRole', (state: IamUndoState) =>
  deleteCrossAccountRole(state.config, state.crossAccountRole, { iam: iamClient(targetOf(state.config)) }),
);
