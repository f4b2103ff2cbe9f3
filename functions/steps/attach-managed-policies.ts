import { iamClient } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { attachManagedPolicies } from '../../shared/iam/managed-policies';
import type { IamState } from '../../shared/iam/types';
import { stepHandler } from '../../shared/lambda';

/** AttachManagedPolicies (R2) -> `$.managedPolicies` = `{ attached }`. */
export const handler = stepHandler('AttachManagedPolicies', (state: IamState) =>
  attachManagedPolicies(state.config, state.eksRole, { iam: iamClient(targetOf(state.config)) }),
);
