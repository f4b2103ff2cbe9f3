/**
 * The check steps of the wait loops (CheckNatGateway, CheckVpcEndpoint, CheckPrivateDnsChange) count how often
 * they ran: the state machine's Choice picks the next wait (5, 10, 20, then 30 s) and the deadline from that count.
 * The count lives in the state, so the loop itself needs no Lambda that sleeps.
 *
 * @example const status = withCheckCount(state.natGatewayStatus, await checkNatGateway(...)); // { ..., checks: 3 }
 */
export function withCheckCount<T extends object>(previous: { checks?: number } | undefined | null, status: T): T & { checks: number } {
  return { ...status, checks: (previous?.checks ?? 0) + 1 };
}
