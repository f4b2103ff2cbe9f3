import { iamClient } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { deleteStorageRole } from '../../shared/iam/storage-role';
import type { IamUndoState } from '../../shared/iam/types';
import { stepHandler } from '../../shared/lambda';

/** DeleteStorageRole: undo of CreateStorageRole (S2) -> `{ deleted, notFound, leftForeign }`. */
export const handler = stepHandler('DeleteStorageRole', (state: IamUndoState) =>
  deleteStorageRole(state.config, state.storageRole, { iam: iamClient(targetOf(state.config)) }),
);
