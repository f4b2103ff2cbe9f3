/**
 * The waiting policy of the three wait loops (docs/decisions.md 27, docs/bench.md). Each loop is
 * `Create -> Wait<Resource>Typical (fixed) -> Check -> Choice -> Wait<Resource> (SecondsPath) -> Check ...`:
 * the first check comes just before the shortest usual duration (nothing is ever ready earlier on AWS), then the
 * check steps poll at a fixed fraction of the time already waited, so a wait never overshoots by more than that
 * fraction (plus one check), bounded below (the API's rate limits) and above (AWS's own waiters poll every 15-30 s).
 * The check step returns the next wait (`nextWaitSeconds`); the state machine's Choice keeps the deadline, by
 * check count, which {@link deadlineChecks} derives from the same policy (a unit test keeps the ASL equal to it).
 */
export interface WaitPolicy {
  /** What is waited for, for messages and the timeline ("NAT gateway pending"). */
  reason: string;
  /** The fixed first wait, after the create (the ASL's `Wait<Resource>Typical` state), in AWS seconds. */
  firstWaitSeconds: number;
  /** Each later wait is this fraction of the time waited so far ... */
  pollFraction: number;
  /** ... but at least this ... */
  minPollSeconds: number;
  /** ... and at most this many seconds. */
  maxPollSeconds: number;
  /** Give up (NatGatewayTimeout, ...) at the first check at or after this many seconds. */
  deadlineSeconds: number;
}

/**
 * Typical and worst durations (docs/bench.md has the sources): a NAT gateway is `pending` for one to two minutes
 * (AWS's own SDK waiter polls 15 s for up to 10 minutes); an interface endpoint one to three; a Route 53 change is
 * INSYNC "within 60 seconds under normal conditions" (Route 53 FAQ; its SDK waiter polls 30 s).
 */
export const WAIT_POLICIES = {
  natGateway: { reason: 'NAT gateway pending', firstWaitSeconds: 55, pollFraction: 0.08, minPollSeconds: 5, maxPollSeconds: 30, deadlineSeconds: 600 },
  vpcEndpoint: { reason: 'interface endpoint pending', firstWaitSeconds: 55, pollFraction: 0.08, minPollSeconds: 5, maxPollSeconds: 30, deadlineSeconds: 900 },
  privateDnsChange: { reason: 'Route 53 change PENDING', firstWaitSeconds: 27, pollFraction: 0.08, minPollSeconds: 3, maxPollSeconds: 30, deadlineSeconds: 300 },
} as const satisfies Record<string, WaitPolicy>;
export type WaitPolicyName = keyof typeof WAIT_POLICIES;

/** Seconds waited (AWS, without the checks' own time) when check number `checks` (1 = the first) runs. */
export function elapsedAtCheck(policy: WaitPolicy, checks: number): number {
  let elapsed = policy.firstWaitSeconds;
  for (let k = 1; k < checks; k++) elapsed += pollSeconds(policy, elapsed);
  return elapsed;
}

/** The wait after a check made `elapsed` seconds after the create: a fraction of it, within the bounds. */
function pollSeconds(policy: WaitPolicy, elapsed: number): number {
  return Math.min(policy.maxPollSeconds, Math.max(policy.minPollSeconds, Math.round(policy.pollFraction * elapsed)));
}

/** The wait after check number `checks`, in whole AWS seconds. */
export function nextWaitSeconds(policy: WaitPolicy, checks: number): number {
  return pollSeconds(policy, elapsedAtCheck(policy, checks));
}

/** The check count at which the state machine gives up: the first check at or after the deadline. */
export function deadlineChecks(policy: WaitPolicy): number {
  let checks = 1;
  while (elapsedAtCheck(policy, checks) < policy.deadlineSeconds) checks++;
  return checks;
}

/**
 * A check step's result with how often it ran (`checks`) and the wait before the next check (`nextWaitSeconds`,
 * which the loop's Wait state reads through `SecondsPath`). The count lives in the state, so the loop needs no
 * Lambda that sleeps.
 *
 * @example const status = withWaitPolicy(state.natGatewayStatus, await checkNatGateway(...), WAIT_POLICIES.natGateway); // { ..., checks: 3, nextWaitSeconds: 7 }
 */
export function withWaitPolicy<T extends object>(previous: { checks?: number } | undefined | null, status: T, policy: WaitPolicy): T & { checks: number; nextWaitSeconds: number } {
  const checks = (previous?.checks ?? 0) + 1;
  return { ...status, checks, nextWaitSeconds: nextWaitSeconds(policy, checks) };
}
