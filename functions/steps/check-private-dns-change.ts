import { route53Client } from '../../shared/aws/clients';
import { targetOf } from '../../shared/config';
import { stepHandler } from '../../shared/lambda';
import { WAIT_POLICIES, withWaitPolicy } from '../../shared/waiting';
import { checkPrivateDnsChange } from '../../shared/network/private-dns';
import type { NetworkStepState } from '../../shared/network/types';

/** CheckPrivateDnsChange -> `$.privateDnsStatus` `{ status, ready } plus `checks` (how often it ran) and `nextWaitSeconds` (shared/waiting.ts); the state machine waits until INSYNC. */
export const handler = stepHandler('CheckPrivateDnsChange', async (state: NetworkStepState & { privateDnsStatus?: { checks?: number } }) =>
  withWaitPolicy(state.privateDnsStatus, await checkPrivateDnsChange(state, { route53: route53Client(targetOf(state.config)) }), WAIT_POLICIES.privateDnsChange),
);
