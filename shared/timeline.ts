import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { WAIT_POLICIES } from './waiting';

/**
 * The timeline of one execution, drawn from its history (GetExecutionHistory, or the local engine's AWS-shaped
 * copy): one lane per parallel branch (and one for the rollback), one bar per step coloured by outcome, retries and
 * injected faults marked, waits as gaps with their reason, the critical path highlighted, the axis in AWS seconds.
 *
 * Times are **AWS seconds**. On AWS (`timeScale` 1) that is the history's own clock. The local stack runs AWS's
 * waits `timeScale` times faster but its steps at their own speed, so each lane is re-timed: a Wait counts its
 * AWS seconds (its `Seconds`, or what its `SecondsPath` read), a retry's backoff is scaled back, and a step's own
 * time (the Lambda's run) counts as it was. A Parallel state ends when its slowest branch does.
 *
 * No dependency outside the AWS SDK's types: the API serves it from a Lambda.
 */

/** The parts of an ASL definition the timeline reads. */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}
interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  Branches?: AslDefinition[];
  Seconds?: number;
  SecondsPath?: string;
}

export interface TimelineOptions {
  /** Real AWS durations were divided by this (the local stack's profile); 1 on AWS; Infinity when nothing waited. */
  timeScale?: number;
  /** The heading (e.g. the provisioning ID and execution name). */
  title?: string;
  /** Faults the local realism layer injected (wall-clock ms), marked on the steps running at that moment. */
  faults?: { time: number; kind: string; operation?: string }[];
  /**
   * The backoff before each retry in AWS seconds, in order, where known (the local engine records what it chose):
   * used instead of the measured gap scaled back.
   */
  backoffs?: readonly { state: string; seconds: number }[];
  /** Picture width in pixels (default 1200). */
  width?: number;
}

export type BarOutcome = 'succeeded' | 'retried' | 'caught' | 'failed' | 'cancelled';

export interface TimelineLane {
  id: string;
  label: string;
  depth: number;
}

export interface TimelineBar {
  /** `bar-<n>`: the SVG element's id. */
  id: string;
  state: string;
  kind: 'task' | 'wait' | 'parallel';
  lane: string;
  /** AWS seconds since the execution started. */
  start: number;
  end: number;
  outcome: BarOutcome;
  attempts: number;
  /** The error of each failed attempt, in order. */
  errors: string[];
  /** AWS seconds at which a failed attempt was retried. */
  retries: number[];
  /** Injected faults while it ran (`kind on Operation`), with their AWS second. */
  faults: { at: number; label: string }[];
  /** For a step: the Lambda's (or service call's) own time in its last attempt, in seconds. */
  lastAttemptSeconds: number;
  /** For a wait: what it waited for. */
  reason?: string;
  critical: boolean;
}

export interface Timeline {
  lanes: TimelineLane[];
  bars: TimelineBar[];
  /** AWS seconds from the start to the last state. */
  totalSeconds: number;
  status: 'SUCCEEDED' | 'FAILED' | 'RUNNING' | 'TIMED_OUT' | 'ABORTED';
}

const MAIN = 'main';
const ROLLBACK = 'rollback';
/** Readable names of the branches, by their first state; others are named after it. */
const BRANCH_LABELS: Record<string, string> = {
  CreateVpc: 'network',
  CreateNatGateway: 'NAT gateway path',
  CreateSecurityGroup: 'endpoint path',
  CreateEksRole: 'EKS role',
  CreateBucket: 'bucket, vendor access',
};
/** What a Wait state waits for, by name prefix. */
const WAIT_REASONS: [string, string][] = [
  ['WaitNatGateway', WAIT_POLICIES.natGateway.reason],
  ['WaitVpcEndpoint', WAIT_POLICIES.vpcEndpoint.reason],
  ['WaitPrivateDnsChange', WAIT_POLICIES.privateDnsChange.reason],
  ['WaitBeforeNext', 'next leftover sweep'],
];

interface Layout {
  lanes: TimelineLane[];
  laneOf: Map<string, string>;
  state: Map<string, AslState>;
  /** A Parallel state's branch lanes. */
  branches: Map<string, string[]>;
}

function layoutOf(definition: AslDefinition): Layout {
  const layout: Layout = { lanes: [{ id: MAIN, label: 'workflow', depth: 0 }], laneOf: new Map(), state: new Map(), branches: new Map() };
  const walk = (def: AslDefinition, lane: string, depth: number) => {
    for (const [name, s] of Object.entries(def.States)) {
      layout.laneOf.set(name, lane);
      layout.state.set(name, s);
      if (!s.Branches) continue;
      const ids = s.Branches.map((b, i) => {
        const id = `${name}.${i}`;
        layout.lanes.push({ id, label: BRANCH_LABELS[b.StartAt] ?? `branch ${b.StartAt}`, depth: depth + 1 });
        walk(b, id, depth + 1);
        return id;
      });
      layout.branches.set(name, ids);
    }
  };
  walk(definition, MAIN, 0);
  // The rollback: every top-level state reachable from BeginRollback gets a lane of its own (it continues the main one).
  if (definition.States.BeginRollback) {
    const seen = new Set<string>();
    const todo = ['BeginRollback'];
    while (todo.length > 0) {
      const name = todo.pop()!;
      const s = definition.States[name];
      if (!s || seen.has(name)) continue;
      seen.add(name);
      layout.laneOf.set(name, ROLLBACK);
      todo.push(...[s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next), ...(s.Catch ?? []).map((c) => c.Next)].filter((n): n is string => Boolean(n)));
    }
    layout.lanes.push({ id: ROLLBACK, label: 'rollback', depth: 0 });
  }
  return layout;
}

const nameOf = (e: HistoryEvent): string | undefined => e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name;
const errorOf = (e: HistoryEvent): string | undefined =>
  e.lambdaFunctionFailedEventDetails?.error ?? e.lambdaFunctionTimedOutEventDetails?.error ?? e.taskFailedEventDetails?.error ?? e.taskTimedOutEventDetails?.error;
const isAttemptStart = (type?: string) => type === 'LambdaFunctionScheduled' || type === 'TaskScheduled';
const isAttemptFailure = (type?: string) => type === 'LambdaFunctionFailed' || type === 'LambdaFunctionTimedOut' || type === 'TaskFailed' || type === 'TaskTimedOut' || type === 'LambdaFunctionScheduleFailed' || type === 'LambdaFunctionStartFailed';
const isAttemptSuccess = (type?: string) => type === 'LambdaFunctionSucceeded' || type === 'TaskSucceeded';

function valueAt(json: string | undefined, path: string): unknown {
  try {
    return path.replace(/^\$\.?/, '').split('.').filter(Boolean).reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), JSON.parse(json ?? 'null'));
  } catch {
    return undefined;
  }
}

/** An open bar and what re-timing it needs. */
interface Open {
  bar: TimelineBar;
  wallStart: number;
  /** Wall ms spent in attempts (the step's own time) and between them (backoff, scaled back). */
  ownMs: number;
  backoffMs: number;
  /** Backoff known in AWS seconds (options.backoffs), not re-timed. */
  backoffSeconds: number;
  attemptStart?: number;
  lastAttemptEnd?: number;
  lastFailed: boolean;
  input?: string;
}

/**
 * The timeline model of an execution's history.
 * @example buildTimeline(record.history, loadDefinition('byoc-provision'), { timeScale: 100 }).totalSeconds // 187.4
 */
export function buildTimeline(history: readonly HistoryEvent[], definition: AslDefinition, options: Pick<TimelineOptions, 'timeScale' | 'faults' | 'backoffs'> = {}): Timeline {
  // Infinity: the local `instant` profile, where nothing waited (its waits and backoffs took no time).
  const skipped = options.timeScale === Infinity;
  const scale = skipped ? 0 : options.timeScale && options.timeScale > 0 ? options.timeScale : 1;
  const layout = layoutOf(definition);
  const knownBackoffs = new Map<string, number[]>();
  for (const b of options.backoffs ?? []) knownBackoffs.set(b.state, [...(knownBackoffs.get(b.state) ?? []), b.seconds]);
  const cursorKey = (lane: string) => (lane === ROLLBACK ? MAIN : lane);
  const cursor = new Map<string, number>([[MAIN, 0]]);
  const bars: TimelineBar[] = [];
  const open = new Map<string, Open>();
  const stateOfEvent = new Map<number, string>();
  const wall = (e: HistoryEvent) => new Date(e.timestamp as Date).getTime();
  const t0 = history.length > 0 ? wall(history[0]) : 0;
  let status: Timeline['status'] = 'RUNNING';

  const durationOf = (o: Open, now: number, cut = false): number => {
    const s = layout.state.get(o.bar.state);
    if (o.bar.kind === 'wait') {
      // A wait that ran to its end lasted what it asked for; one cut short (its branch failed) as long as it ran.
      const fixed = s?.Seconds ?? (s?.SecondsPath ? valueAt(o.input, s.SecondsPath) : undefined);
      return typeof fixed === 'number' && !skipped && !cut ? fixed : ((now - o.wallStart) / 1000) * scale;
    }
    const running = o.attemptStart !== undefined ? now - o.attemptStart : 0;
    return (o.ownMs + running) / 1000 + (o.backoffMs / 1000) * scale + (skipped ? 0 : o.backoffSeconds);
  };
  const close = (state: string, now: number, outcome?: BarOutcome) => {
    const o = open.get(state);
    if (!o) return;
    open.delete(state);
    const { bar } = o;
    bar.end = bar.start + durationOf(o, now, outcome === 'cancelled');
    bar.outcome = outcome ?? (o.lastFailed ? 'caught' : bar.errors.length > 0 ? 'retried' : 'succeeded');
    cursor.set(cursorKey(bar.lane), Math.max(cursor.get(cursorKey(bar.lane)) ?? 0, bar.end));
  };
  const lanesUnder = (parallel: string): string[] => (layout.branches.get(parallel) ?? []).flatMap((lane) => [lane, ...[...layout.branches.keys()].filter((p) => layout.laneOf.get(p) === lane).flatMap(lanesUnder)]);

  for (const e of history) {
    const now = wall(e);
    const type = e.type ?? '';
    const entered = type.endsWith('StateEntered') ? nameOf(e) : undefined;
    const state = entered ?? (type.endsWith('StateExited') ? nameOf(e) : undefined) ?? (e.previousEventId ? stateOfEvent.get(e.previousEventId) : undefined);
    if (state && e.id !== undefined) stateOfEvent.set(e.id, state);
    if (type === 'ExecutionSucceeded') status = 'SUCCEEDED';
    else if (type === 'ExecutionFailed') status = 'FAILED';
    else if (type === 'ExecutionTimedOut') status = 'TIMED_OUT';
    else if (type === 'ExecutionAborted') status = 'ABORTED';
    if (!state) continue;
    const lane = layout.laneOf.get(state) ?? MAIN;
    const s = layout.state.get(state);

    if (entered) {
      const start = cursor.get(cursorKey(lane)) ?? 0;
      const kind = s?.Type === 'Task' ? 'task' : s?.Type === 'Wait' ? 'wait' : s?.Type === 'Parallel' ? 'parallel' : undefined;
      if (s?.Type === 'Parallel') for (const child of layout.branches.get(state) ?? []) cursor.set(child, start);
      if (!kind) {
        open.set(state, { bar: { id: '', state, kind: 'task', lane, start, end: start, outcome: 'succeeded', attempts: 0, errors: [], retries: [], faults: [], critical: false, lastAttemptSeconds: 0 }, wallStart: now, ownMs: 0, backoffMs: 0, backoffSeconds: 0, lastFailed: false });
        continue;
      }
      const reason = kind === 'wait' ? (WAIT_REASONS.find(([prefix]) => state.startsWith(prefix))?.[1] ?? 'wait') : undefined;
      const bar: TimelineBar = { id: `bar-${bars.length}`, state, kind, lane, start, end: start, outcome: 'succeeded', attempts: 0, errors: [], retries: [], faults: [], critical: false, lastAttemptSeconds: 0, ...(reason ? { reason } : {}) };
      bars.push(bar);
      open.set(state, { bar, wallStart: now, ownMs: 0, backoffMs: 0, backoffSeconds: 0, lastFailed: false, input: e.stateEnteredEventDetails?.input });
      continue;
    }
    const o = open.get(state);
    if (!o) continue;
    if (isAttemptStart(type)) {
      if (o.lastAttemptEnd !== undefined) {
        const known = knownBackoffs.get(state)?.shift();
        if (known !== undefined) o.backoffSeconds += known;
        else o.backoffMs += now - o.lastAttemptEnd;
        o.bar.retries.push(o.bar.start + durationOf(o, now));
      } else o.ownMs += now - o.wallStart; // scheduling, counted as the step's own time
      o.attemptStart = now;
      o.bar.attempts++;
    } else if (isAttemptFailure(type) || isAttemptSuccess(type)) {
      if (o.attemptStart !== undefined) {
        o.ownMs += now - o.attemptStart;
        o.bar.lastAttemptSeconds = (now - o.attemptStart) / 1000;
      }
      o.attemptStart = undefined;
      o.lastAttemptEnd = now;
      o.lastFailed = isAttemptFailure(type);
      if (o.lastFailed) o.bar.errors.push(errorOf(e) ?? 'Error');
    } else if (type === 'ParallelStateFailed') {
      // The branches still running are cancelled; a step whose last attempt failed is the failure.
      for (const child of lanesUnder(state)) {
        for (const [name, other] of [...open]) if (other.bar.lane === child) close(name, now, other.lastFailed ? 'failed' : 'cancelled');
      }
      o.lastFailed = true;
    } else if (type.endsWith('StateExited')) {
      if (s?.Type === 'Parallel') {
        const end = Math.max(o.bar.start, ...(layout.branches.get(state) ?? []).map((lane) => cursor.get(lane) ?? 0));
        open.delete(state);
        o.bar.end = end;
        o.bar.outcome = o.lastFailed ? 'caught' : 'succeeded';
        cursor.set(cursorKey(lane), end);
      } else if (o.bar.id === '') {
        // Choice, Pass, Succeed, Fail: no bar, only the engine's own moment.
        open.delete(state);
        cursor.set(cursorKey(lane), o.bar.start + (now - o.wallStart) / 1000);
      } else close(state, now);
    }
  }
  // What never exited: the failed step (its last attempt failed) or a state cut off by the end.
  const last = history.length > 0 ? wall(history[history.length - 1]) : t0;
  for (const [name, o] of [...open]) {
    if (o.bar.id === '') open.delete(name);
    else if (o.bar.kind === 'parallel') {
      open.delete(name);
      o.bar.end = Math.max(o.bar.start, ...(layout.branches.get(name) ?? []).map((lane) => cursor.get(lane) ?? 0));
      o.bar.outcome = 'failed';
    } else close(name, last, o.lastFailed ? 'failed' : status === 'RUNNING' ? 'succeeded' : 'cancelled');
  }
  markFaults(bars, history, options.faults ?? [], wall);
  markCritical(bars, layout);
  const lanesUsed = new Set(bars.map((b) => b.lane));
  const totalSeconds = Math.max(0, ...bars.map((b) => b.end), ...[...cursor.values()]);
  return { lanes: layout.lanes.filter((l) => lanesUsed.has(l.id)), bars, totalSeconds, status };
}

/** The critical path: the main lane and the rollback, and at each Parallel state the branch that ended last. */
function markCritical(bars: TimelineBar[], layout: Layout): void {
  const byLane = new Map<string, TimelineBar[]>();
  for (const b of bars) byLane.set(b.lane, [...(byLane.get(b.lane) ?? []), b]);
  const mark = (lane: string) => {
    for (const bar of byLane.get(lane) ?? []) {
      bar.critical = true;
      if (bar.kind !== 'parallel') continue;
      const ends = (layout.branches.get(bar.state) ?? []).map((child) => [child, Math.max(-1, ...(byLane.get(child) ?? []).filter((b) => b.start >= bar.start - 1e-9 && b.end <= bar.end + 1e-9).map((b) => b.end))] as const);
      const slowest = ends.sort((a, b) => b[1] - a[1])[0];
      if (slowest && slowest[1] >= 0) mark(slowest[0]);
    }
  };
  mark(MAIN);
  mark(ROLLBACK);
}

/** Put each injected fault on the steps that were running when it happened (by wall clock). */
function markFaults(bars: TimelineBar[], history: readonly HistoryEvent[], faults: NonNullable<TimelineOptions['faults']>, wall: (e: HistoryEvent) => number): void {
  if (faults.length === 0) return;
  // Each bar's wall span, from its first and last events.
  const spans = new Map<TimelineBar, [number, number]>();
  const entered = new Map<string, TimelineBar[]>();
  for (const b of bars) entered.set(b.state, [...(entered.get(b.state) ?? []), b]);
  const seen = new Map<string, number>();
  let current = new Map<string, TimelineBar>();
  const stateOfEvent = new Map<number, string>();
  for (const e of history) {
    const name = e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name ?? (e.previousEventId ? stateOfEvent.get(e.previousEventId) : undefined);
    if (!name) continue;
    if (e.id !== undefined) stateOfEvent.set(e.id, name);
    if (e.type?.endsWith('StateEntered')) {
      const i = seen.get(name) ?? 0;
      seen.set(name, i + 1);
      const bar = entered.get(name)?.[i];
      if (bar) current = new Map(current).set(name, bar);
    }
    const bar = current.get(name);
    if (!bar) continue;
    const span = spans.get(bar) ?? [wall(e), wall(e)];
    span[1] = wall(e);
    spans.set(bar, span);
  }
  for (const fault of faults) {
    for (const [bar, [from, to]] of spans) {
      if (bar.kind !== 'task' || fault.time < from || fault.time > to) continue;
      const share = to > from ? (fault.time - from) / (to - from) : 0;
      bar.faults.push({ at: bar.start + share * (bar.end - bar.start), label: `${fault.kind}${fault.operation ? ` on ${fault.operation}` : ''}` });
    }
  }
}

// ---- drawing ------------------------------------------------------------------------------------

const COLOURS: Record<BarOutcome, string> = { succeeded: '#2e7d32', retried: '#9e9d24', caught: '#ef6c00', failed: '#c62828', cancelled: '#9e9e9e' };
const CRITICAL = '#ffe082';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (s: number) => (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2));

/** A round tick step for an axis of `total` seconds: at most about 12 ticks. */
function tickStep(total: number): number {
  return [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].find((s) => total / s <= 12) ?? 7200;
}

/** Pixel layout constants, exported for tests that look at the picture. */
export const TIMELINE_LAYOUT = { laneHeight: 30, barHeight: 18, header: 56, labelWidth: 190, axis: 34, legend: 30 } as const;

/**
 * The SVG picture of a timeline. Every bar is a `<rect>` with `id="bar-<n>"`, `data-state`, `data-lane`,
 * `data-outcome` and a `<title>`; waits are dashed gaps with their reason.
 */
export function renderTimelineSvg(timeline: Timeline, options: Pick<TimelineOptions, 'title' | 'width'> = {}): string {
  const { laneHeight, barHeight, header, labelWidth, axis, legend } = TIMELINE_LAYOUT;
  const width = options.width ?? 1200;
  const plot = width - labelWidth - 24;
  const total = Math.max(timeline.totalSeconds, 1);
  const x = (s: number) => labelWidth + (s / total) * plot;
  const laneY = new Map(timeline.lanes.map((l, i) => [l.id, header + i * laneHeight]));
  const height = header + timeline.lanes.length * laneHeight + axis + legend;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const critical = timeline.bars.filter((b) => b.critical && b.kind !== 'parallel');
  const criticalTask = critical.filter((b) => b.kind === 'task').reduce((s, b) => s + b.end - b.start, 0);
  const criticalWait = critical.filter((b) => b.kind === 'wait').reduce((s, b) => s + b.end - b.start, 0);
  out.push(`<text x="12" y="22" font-size="15" font-weight="bold">${esc(options.title ?? 'Execution timeline')}</text>`);
  out.push(
    `<text x="12" y="42" fill="#444">${esc(`${timeline.status} in ${fmt(timeline.totalSeconds)} AWS seconds; critical path (highlighted): ${fmt(criticalWait)} s waiting for AWS, ${fmt(criticalTask)} s in steps and their retries`)}</text>`,
  );
  // Lanes.
  timeline.lanes.forEach((lane, i) => {
    const y = header + i * laneHeight;
    out.push(`<rect x="0" y="${y}" width="${width}" height="${laneHeight}" fill="${i % 2 ? '#fafafa' : '#f2f4f7'}"/>`);
    out.push(`<text x="${12 + lane.depth * 12}" y="${y + laneHeight / 2 + 4}" fill="#222">${esc(lane.label)}</text>`);
  });
  // Critical path band behind its bars.
  for (const b of critical) {
    const y = laneY.get(b.lane);
    if (y === undefined) continue;
    out.push(`<rect x="${x(b.start).toFixed(1)}" y="${y + 2}" width="${Math.max(3, x(b.end) - x(b.start)).toFixed(1)}" height="${laneHeight - 4}" fill="${CRITICAL}"/>`);
  }
  // Axis grid.
  const step = tickStep(total);
  const axisY = header + timeline.lanes.length * laneHeight;
  for (let s = 0; s <= total + 1e-9; s += step) {
    out.push(`<line x1="${x(s).toFixed(1)}" y1="${header}" x2="${x(s).toFixed(1)}" y2="${axisY + 4}" stroke="#d0d4da" stroke-width="1"/>`);
    out.push(`<text x="${x(s).toFixed(1)}" y="${axisY + 17}" text-anchor="middle" fill="#444">${s} s</text>`);
  }
  out.push(`<text x="${labelWidth + plot}" y="${axisY + 30}" text-anchor="end" fill="#666">AWS seconds since the execution started</text>`);
  // Bars.
  for (const b of timeline.bars) {
    const y = laneY.get(b.lane);
    if (y === undefined) continue;
    const x0 = x(b.start);
    const w = Math.max(3, x(b.end) - x0);
    const tip = `${b.state}: ${fmt(b.start)}-${fmt(b.end)} s (${fmt(b.end - b.start)} s)${b.reason ? `, ${b.reason}` : ''}, ${b.kind === 'wait' ? 'waited' : b.outcome}${b.attempts > 1 ? `, ${b.attempts} attempts` : ''}${b.errors.length ? `; errors: ${b.errors.join(', ')}` : ''}${b.faults.length ? `; injected: ${b.faults.map((f) => f.label).join(', ')}` : ''}${b.critical ? '; on the critical path' : ''}`;
    const data = `data-state="${esc(b.state)}" data-lane="${esc(b.lane)}" data-kind="${b.kind}" data-outcome="${b.outcome}" data-critical="${b.critical}"`;
    if (b.kind === 'parallel') {
      out.push(`<rect id="${b.id}" ${data} x="${x0.toFixed(1)}" y="${y + laneHeight - 7}" width="${w.toFixed(1)}" height="4" fill="#90a4ae"><title>${esc(tip)}</title></rect>`);
    } else if (b.kind === 'wait') {
      const mid = y + laneHeight / 2;
      out.push(`<g id="${b.id}" ${data}><title>${esc(tip)}</title>`);
      out.push(`<rect x="${x0.toFixed(1)}" y="${mid - 1}" width="${w.toFixed(1)}" height="2" fill="#ffffff" fill-opacity="0"/>`);
      out.push(`<line x1="${x0.toFixed(1)}" y1="${mid}" x2="${(x0 + w).toFixed(1)}" y2="${mid}" stroke="#607d8b" stroke-width="1.5" stroke-dasharray="4 3"/>`);
      const label = b.reason ? `${b.reason} ${fmt(b.end - b.start)} s` : '';
      if (label && w > label.length * 5.6 + 8) out.push(`<text x="${(x0 + w / 2).toFixed(1)}" y="${mid - 4}" text-anchor="middle" font-size="10" fill="#455a64">${esc(label)}</text>`);
      out.push('</g>');
    } else {
      const stroke = b.critical ? ' stroke="#212121" stroke-width="1.5"' : '';
      out.push(`<rect id="${b.id}" ${data} x="${x0.toFixed(1)}" y="${y + (laneHeight - barHeight) / 2}" width="${w.toFixed(1)}" height="${barHeight}" rx="2" fill="${COLOURS[b.outcome]}"${stroke}><title>${esc(tip)}</title></rect>`);
      for (const r of b.retries) out.push(`<path d="M${x(r).toFixed(1)} ${y + 2} l4 -0 l-2 5 z" fill="#000000"><title>${esc(`${b.state} retried at ${fmt(r)} s`)}</title></path>`);
      for (const f of b.faults) out.push(`<circle cx="${x(f.at).toFixed(1)}" cy="${y + laneHeight - 4}" r="3" fill="#d50000"><title>${esc(`injected ${f.label} at ${fmt(f.at)} s`)}</title></circle>`);
      if (w > b.state.length * 6 + 8) out.push(`<text x="${(x0 + 4).toFixed(1)}" y="${y + laneHeight / 2 + 4}" font-size="10" fill="#ffffff">${esc(b.state)}</text>`);
    }
  }
  // Legend.
  const ly = axisY + axis + 12;
  const items: [string, string][] = [
    [COLOURS.succeeded, 'step succeeded'],
    [COLOURS.retried, 'succeeded after retries (▼)'],
    [COLOURS.caught, 'failed, caught'],
    [COLOURS.failed, 'failed'],
    [COLOURS.cancelled, 'cancelled'],
    [CRITICAL, 'critical path'],
    ['#d50000', 'injected fault (●)'],
  ];
  let lx = 12;
  for (const [colour, label] of items) {
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${colour}"/><text x="${lx + 16}" y="${ly}" fill="#333">${esc(label)}</text>`);
    lx += 26 + label.length * 6.6;
  }
  out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="#607d8b" stroke-width="1.5" stroke-dasharray="4 3"/><text x="${lx + 30}" y="${ly}" fill="#333">waiting for AWS</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * Build and draw in one call.
 * @example writeFileSync('t.svg', timelineSvg(record.history, definition, { timeScale: 100, title: 'demo-001' }))
 */
export function timelineSvg(history: readonly HistoryEvent[], definition: AslDefinition, options: TimelineOptions = {}): string {
  return renderTimelineSvg(buildTimeline(history, definition, options), options);
}
