import type { RealismEvent } from '../local/realism';
import type { Timeline, TimelineBar } from '../shared/timeline';
import { nextWaitSeconds, WAIT_POLICIES, type WaitPolicyName } from '../shared/waiting';

/**
 * Time against the physical limit, in AWS seconds (docs/bench.md), from one run's timeline (its lanes: sequence
 * within a branch, the slowest branch of each Parallel state) and the durations the realistic profile drew for it.
 *
 * - **critical path**: each step's own time (its last attempt; no retry belongs to the limit), and for each wait
 *   loop the time its resource took to become ready plus one check;
 * - **sequential**: the same steps and waits one after another (the guides' manual order);
 * - **wall**: each step as it ran (retries and their backoff included), and each wait loop replayed in AWS time with
 *   the state machine's own policy (shared/waiting.ts: the first wait, then 8% of the time waited) until a check
 *   comes after the resource is ready. The local stack runs AWS's waits 100 times faster but its steps at their own
 *   speed, so its own loops cannot show how many polls AWS would take; the replay can.
 */
export type ReadinessDraws = Partial<Record<WaitPolicyName, number>>;

/** The check step of each wait loop, and what it waits for. */
const LOOP_OF_CHECK: Record<string, WaitPolicyName> = { CheckNatGateway: 'natGateway', CheckVpcEndpoint: 'vpcEndpoint', CheckPrivateDnsChange: 'privateDnsChange' };

/**
 * What the realistic profile drew for this run's resources, in AWS seconds, from the realism layer's notes at each
 * create ("nat-... pending (available in 0.85 s)" on a time scale of 100 = 85 AWS seconds).
 */
export function readinessDraws(events: readonly RealismEvent[], timeScale: number): ReadinessDraws {
  const first = (operation: string, pattern: RegExp): number | undefined => {
    const m = events.filter((e) => e.kind === 'not-ready' && e.operation === operation).map((e) => pattern.exec(e.detail ?? '')).find(Boolean);
    return m ? Number(m[1]) * timeScale : undefined;
  };
  return {
    natGateway: first('CreateNatGateway', /available in ([\d.]+) s/),
    vpcEndpoint: first('CreateVpcEndpoint', /available in ([\d.]+) s/),
    privateDnsChange: first('ChangeResourceRecordSets', /INSYNC in ([\d.]+) s/),
  };
}

/**
 * A wait loop in AWS time: the first check after the policy's first wait, then one after each computed wait, until a
 * check starts at or after `readyAfter`. Returns the loop's seconds (from the create's end to the last check's end)
 * and its checks.
 */
export function replayWait(policy: WaitPolicyName, readyAfter: number, checkSeconds: number): { seconds: number; checks: number } {
  let t = WAIT_POLICIES[policy].firstWaitSeconds;
  for (let checks = 1; ; checks++) {
    if (t >= readyAfter) return { seconds: t + checkSeconds, checks };
    t += checkSeconds + nextWaitSeconds(WAIT_POLICIES[policy], checks);
  }
}

export interface Limits {
  wallSeconds: number;
  criticalPathSeconds: number;
  sequentialSeconds: number;
  /** The checks of each wait loop, replayed in AWS time, and as the local run made them. */
  checks: { replayed: number; local: number };
  /** The states of the critical chain, in order. */
  chain: string[];
  /** Each Parallel branch's wall and critical seconds, by lane. */
  branches: Record<string, { wall: number; critical: number }>;
}

/** The figures of a successful run. */
export function limitsOf(timeline: Timeline, draws: ReadinessDraws): Limits {
  const byLane = new Map<string, TimelineBar[]>();
  for (const bar of timeline.bars) byLane.set(bar.lane, [...(byLane.get(bar.lane) ?? []), bar]);
  let sequential = 0;
  const checks = { replayed: 0, local: 0 };
  const branches: Limits['branches'] = {};
  type Path = { critical: number; wall: number; chain: string[] };
  const lane = (id: string): Path => {
    const bars = byLane.get(id) ?? [];
    const path: Path = { critical: 0, wall: 0, chain: [] };
    bars.forEach((bar, i) => {
      if (bar.kind === 'wait') return;
      if (bar.kind === 'parallel') {
        const children = timeline.lanes.filter((l) => l.id.startsWith(`${bar.state}.`) && /^\d+$/.test(l.id.slice(bar.state.length + 1))).map((l) => {
          const child = lane(l.id);
          branches[l.label] = { wall: Math.round(child.wall * 10) / 10, critical: Math.round(child.critical * 10) / 10 };
          return child;
        });
        const slowest = [...children].sort((a, b) => b.critical - a.critical)[0] ?? { critical: 0, chain: [] };
        path.critical += slowest.critical;
        path.wall += Math.max(0, ...children.map((c) => c.wall));
        path.chain.push(...slowest.chain);
        return;
      }
      const loop = LOOP_OF_CHECK[bar.state];
      if (loop) {
        checks.local++;
        // Only the last check of a loop counts for the limit, after the resource's own time.
        if (bars.slice(i + 1).some((b) => b.state === bar.state)) return;
        const ready = draws[loop] ?? 0;
        const replay = replayWait(loop, ready, bar.lastAttemptSeconds);
        checks.replayed += replay.checks;
        path.critical += ready + bar.lastAttemptSeconds;
        path.wall += replay.seconds;
        sequential += ready + bar.lastAttemptSeconds;
        path.chain.push(`(${loop} ready after ${ready.toFixed(0)} s)`, bar.state);
        return;
      }
      path.critical += bar.lastAttemptSeconds;
      path.wall += bar.end - bar.start;
      sequential += bar.lastAttemptSeconds;
      path.chain.push(bar.state);
    });
    return path;
  };
  const main = lane('main');
  return { wallSeconds: main.wall, criticalPathSeconds: main.critical, sequentialSeconds: sequential, checks, chain: main.chain, branches };
}
