import { iamClient } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { createEksRole } from '../../shared/iam/role';
import type { IamState } from '../../shared/iam/types';
import { stepHandler } from '../../shared/lambda';

/** CreateEksRole (R1, R4) -> `$.eksRole` = `{ roleName, roleArn, adopted }`. */
export const handler = stepHandler('CreateEksRole', (state: IamState) => createEksRole(state.config, { iam: iamClient(targetOf(state.config)) }));
