import { iamClient } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { createStorageRole } from '../../shared/iam/storage-role';
import type { IamState } from '../../shared/iam/types';
import { stepHandler } from '../../shared/lambda';

/** CreateStorageRole (S2): the role and its inline policy -> `$.storageRole` = `{ roleName, roleArn, adopted }`. */
export const handler = stepHandler('CreateStorageRole', (state: IamState) => createStorageRole(state.config, { iam: iamClient(targetOf(state.config)) }));
