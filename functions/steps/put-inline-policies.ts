import { iamClient } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { putInlinePolicies } from '../../shared/iam/inline-policies';
import type { IamState } from '../../shared/iam/types';
import { stepHandler } from '../../shared/lambda';

/** PutInlinePolicies (R3) -> `$.inlinePolicies` = `{ names, totalCharacters }`. */
export const handler = stepHandler('PutInlinePolicies', (state: IamState) =>
  putInlinePolicies(state.config, state.eksRole, { iam: iamClient(targetOf(state.config)) }),
);
