import { iamClient } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { createCrossAccountRole } from '../../shared/iam/cross-account-role';
import type { IamState } from '../../shared/iam/types';
import { stepHandler } from '../../shared/lambda';

/** CreateCrossAccountRole (X1): the role and its inline policy -> `$.crossAccountRole` = `{ roleName, roleArn, adopted }`. */
export const handler = stepHandler('CreateCrossAccountRole', (state: IamState) =>
  createCrossAccountRole(state.config, { iam: iamClient(targetOf(state.config)) }),
);
