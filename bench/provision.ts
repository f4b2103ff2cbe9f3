import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../local/stack';
import type { ExecutionRecord } from '../local/executions';
import { loadDefinition } from '../local/engine';
import { seededRandom } from '../local/realism/random';
import { faultsOf, localExecutionTimeline } from '../local/timeline';
import { registerClientCustomizer } from '../shared/aws/clients';
import { getProvisioning, listProvisionings } from '../shared/api/provisionings';
import { itemFromRecord, type RegistryRecord } from '../shared/registry/record';
import { buildTimeline, type AslDefinition } from '../shared/timeline';
import { bundleFigures, type BundleFigure } from './bundles';
import { limitsOf, readinessDraws, type Limits } from './critical-path';
import example from '../examples/request.json';

/**
 * `npm run bench`: the figures of issue 14, each printed with its goal and whether it is met, and written to
 * bench/results.json (and bench/results.md, the table the README shows). How each is measured: docs/bench.md.
 * Figures, not pass/fail: timings on a shared machine are noisy, so goals live here and never in tests.
 */

/** Public list prices, US East (N. Virginia), as docs/bench.md states them with their date. */
export const PRICES = {
  date: '2026-07 (unchanged since 2021)',
  stepFunctionsStandardPerTransition: 0.025 / 1000,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerRequest: 0.2 / 1_000_000,
};
/** serverless.yml: provider.memorySize, and no function sets its own. */
const MEMORY_GB = 256 / 1024;

const GOALS = {
  wallOverCritical: 1.1,
  costPerProvisioningUsd: 0.005,
  transitionsPerProvisioning: 150,
  bundleBytes: 500 * 1024,
  loadMs: 100,
  scaleErrors: 0,
  historyEvents: 1000, // AWS limit 25,000
  largestStateBytes: 32 * 1024, // AWS limit 256 KiB
};

const TIMING_RUNS = Number(process.env.BENCH_RUNS ?? 10);
// BENCH_SCALE=1,10 for a quick run; every level runs with the Lambdas' deployed timeouts.
const SCALE_LEVELS = (process.env.BENCH_SCALE ?? '1,10,50,100').split(',').map(Number);

// Each run gets its own role names: the example's names would collide between the runs in one moto.
const request = (id: string) => ({
  ...example,
  provisioningId: id,
  iamRole: { name: `zilliz-byoc-${id}-eks` },
  storageRole: { name: `zilliz-byoc-${id}-storage` },
  crossAccountRole: { ...example.crossAccountRole, name: `zilliz-byoc-${id}-xacct` },
});

// ---- AWS calls, counted on every client the steps build -----------------------------------------

interface CallStats {
  calls: Record<string, number>;
  attempts: number;
  latenciesMs: number[];
}
const calls: CallStats = { calls: {}, attempts: 0, latenciesMs: [] };
type Handler = (args: unknown) => Promise<unknown>;
type Stack = { add(mw: (next: Handler, context: { commandName?: string }) => Handler, options: Record<string, unknown>): void };
registerClientCustomizer((client, service) => {
  const stack = (client as unknown as { middlewareStack: Stack }).middlewareStack;
  stack.add(
    (next, context) => async (args) => {
      const key = `${service}:${(context.commandName ?? '?').replace(/Command$/, '')}`;
      calls.calls[key] = (calls.calls[key] ?? 0) + 1;
      const t = performance.now();
      try {
        return await next(args);
      } finally {
        calls.latenciesMs.push(performance.now() - t);
      }
    },
    { step: 'initialize', priority: 'high', name: 'benchCount', tags: ['BENCH'] },
  );
  stack.add(
    (next) => async (args) => {
      calls.attempts++;
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchAttempts', tags: ['BENCH'] },
  );
});
const snapshot = () => ({ calls: { ...calls.calls }, attempts: calls.attempts, latencies: calls.latenciesMs.length });
function since(before: ReturnType<typeof snapshot>) {
  const byOperation: Record<string, number> = {};
  for (const [k, v] of Object.entries(calls.calls)) if (v - (before.calls[k] ?? 0) > 0) byOperation[k] = v - (before.calls[k] ?? 0);
  const byService: Record<string, number> = {};
  for (const [k, v] of Object.entries(byOperation)) byService[k.split(':')[0]] = (byService[k.split(':')[0]] ?? 0) + v;
  const total = Object.values(byOperation).reduce((s, v) => s + v, 0);
  return { total, byService, byOperation, retried: calls.attempts - before.attempts - total, latencies: calls.latenciesMs.slice(before.latencies) };
}

// ---- helpers ------------------------------------------------------------------------------------

const quantile = (values: number[], q: number): number => {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const median = (values: number[]) => quantile(values, 0.5);
const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

function executionCost(record: ExecutionRecord) {
  const h = record.history as HistoryEvent[];
  const transitions = h.filter((e) => e.type?.endsWith('StateEntered')).length;
  const lambdaInvocations = h.filter((e) => e.type === 'LambdaFunctionScheduled').length;
  // Billed duration: each Lambda attempt from its start to its end, rounded up to the millisecond.
  let billedMs = 0;
  const started = new Map<number, number>();
  for (const e of h) {
    if (e.type === 'LambdaFunctionStarted') started.set(e.previousEventId ?? 0, new Date(e.timestamp!).getTime());
    if ((e.type === 'LambdaFunctionSucceeded' || e.type === 'LambdaFunctionFailed' || e.type === 'LambdaFunctionTimedOut') && started.size > 0) {
      // The local history links an attempt's end to its state's previous event: pair it with the oldest open start.
      const [key, t] = [...started.entries()][0];
      started.delete(key);
      billedMs += Math.max(1, Math.ceil(new Date(e.timestamp!).getTime() - t));
    }
  }
  const gbSeconds = (billedMs / 1000) * MEMORY_GB;
  const costUsd = transitions * PRICES.stepFunctionsStandardPerTransition + gbSeconds * PRICES.lambdaArmPerGbSecond + lambdaInvocations * PRICES.lambdaPerRequest;
  const largest = Math.max(...h.map((e) => Buffer.byteLength(e.stateEnteredEventDetails?.input ?? e.stateExitedEventDetails?.output ?? '')));
  return { transitions, lambdaInvocations, gbSeconds, costUsd, events: h.length, largestStateBytes: largest };
}

const verdicts: { figure: string; value: string; goal: string; met: boolean | null }[] = [];
function figure(name: string, value: number | string, goal?: { limit: number; unit?: string; text?: string }, digits = 2): void {
  const v = typeof value === 'number' ? round(value, digits) : value;
  const met = goal && typeof value === 'number' ? value <= goal.limit : null;
  verdicts.push({ figure: name, value: `${v}${goal?.unit ?? ''}`, goal: goal ? (goal.text ?? `<= ${goal.limit}${goal.unit ?? ''}`) : '', met });
  process.stdout.write(`  ${name.padEnd(58)} ${String(v).padStart(12)}${(goal?.unit ?? '').padEnd(4)} ${goal ? `goal ${goal.text ?? `<= ${goal.limit}`}  ${met ? 'met' : 'NOT MET'}` : ''}\n`);
}

/**
 * Many provisionings in one account need more than AWS's default regional quotas (5 VPCs, internet gateways, Elastic
 * IPs and NAT gateways per zone), which the Preflight step checks: the bench's account has them raised, as a vendor
 * running many provisionings would.
 */
const RAISED_QUOTAS = 'quota:vpc=1000,quota:igw=1000,quota:eip=1000,quota:nat=1000';

async function withStack<T>(options: LocalStackOptions, body: (stack: LocalStack) => Promise<T>): Promise<T> {
  const stack = await startLocalStack({ ...options, faults: [RAISED_QUOTAS, options.faults].filter(Boolean).join(','), stateDir: mkdtempSync(join(tmpdir(), 'byoc-bench-')) });
  try {
    return await body(stack);
  } finally {
    await stack.stop();
  }
}

const definition = loadDefinition('byoc-provision') as unknown as AslDefinition;

// ---- 1 and 2: time against the critical path, and cost ------------------------------------------

async function timeAndCost() {
  process.stdout.write(`\nTime against the critical path, and cost (${TIMING_RUNS} seeded realistic runs, one after another; AWS seconds)\n`);
  const dnsRandom = seededRandom(7);
  let substitutedDnsDraws = 0;
  return withStack({ profile: 'realistic', seed: 7 }, async (stack) => {
    const runs: (Limits & { id: string; wall: number; draws: ReturnType<typeof readinessDraws>; cost: ReturnType<typeof executionCost> & { localTransitions: number; localRetimedSeconds: number }; api: ReturnType<typeof since> })[] = [];
    for (let i = 0; i < TIMING_RUNS; i++) {
      const id = `bench-t-${i}`;
      stack.realism.clearEvents();
      const before = snapshot();
      const record = await stack.engine.start('byoc-provision', id, request(id)).done;
      if (record.status !== 'SUCCEEDED') throw new Error(`${id} ${record.status}: ${record.error} ${record.cause}`);
      const timeline = buildTimeline(record.history, definition, { timeScale: record.timeScale, backoffs: record.retryBackoffs });
      const draws = readinessDraws(stack.realism.events, stack.profile.timeScale);
      if (draws.privateDnsChange === undefined && stack.profile.readiness) {
        // moto answers every ChangeResourceRecordSets with the same change ID, so the realism layer times only the
        // first change of a moto; later runs' changes are INSYNC at once. Draw theirs from the same model instead.
        const [min, max] = stack.profile.readiness.route53InSync;
        draws.privateDnsChange = min + (max - min) * dnsRandom();
        substitutedDnsDraws++;
      }
      const limits = limitsOf(timeline, draws);
      // Transitions as AWS would count them: the local run's, with its wait loops' checks replaced by the replayed
      // ones (Wait + Check + Choice each).
      const cost = executionCost(record);
      const awsTransitions = cost.transitions + 3 * (limits.checks.replayed - limits.checks.local);
      const awsCost = { ...cost, transitions: awsTransitions, costUsd: cost.costUsd + 3 * (limits.checks.replayed - limits.checks.local) * PRICES.stepFunctionsStandardPerTransition, localTransitions: cost.transitions, localRetimedSeconds: timeline.totalSeconds };
      runs.push({ id, wall: limits.wallSeconds, ...limits, draws, cost: awsCost, api: since(before) });
      // The README's picture: the first seeded run, drawn as `npm start` draws its own.
      if (i === 0) writeFileSync(join(__dirname, '..', 'docs', 'timeline.svg'), localExecutionTimeline(record, { title: `npm run bench: provisioning ${id} (realistic profile, seed 7)`, faults: faultsOf(stack.realism.events) }));
    }
    const teardowns = [];
    for (const run of runs.slice(0, 3)) {
      const before = snapshot();
      const record = await stack.engine.start('byoc-teardown', `${run.id}--teardown-1`, { provisioningId: run.id, region: example.region }).done;
      if (record.status !== 'SUCCEEDED') throw new Error(`teardown of ${run.id} ${record.status}: ${record.error}`);
      teardowns.push({ wall: buildTimeline(record.history, loadDefinition('byoc-teardown') as unknown as AslDefinition, { timeScale: record.timeScale, backoffs: record.retryBackoffs }).totalSeconds, cost: executionCost(record), api: since(before) });
    }
    const ratio = runs.map((r) => r.wall / r.criticalPathSeconds);
    const seqRatio = runs.map((r) => r.sequentialSeconds / r.criticalPathSeconds);
    figure('wall time, median (AWS s)', median(runs.map((r) => r.wall)), undefined, 1);
    figure('critical path, median (AWS s)', median(runs.map((r) => r.criticalPathSeconds)), undefined, 1);
    figure('sequential (every step one after another), median (AWS s)', median(runs.map((r) => r.sequentialSeconds)), undefined, 1);
    figure('wall / critical path, median', median(ratio), { limit: GOALS.wallOverCritical }, 3);
    figure('wall / critical path, worst', Math.max(...ratio), { limit: GOALS.wallOverCritical }, 3);
    figure('sequential / critical path, median', median(seqRatio), undefined, 2);
    const worst = runs[ratio.indexOf(Math.max(...ratio))];
    if (substitutedDnsDraws > 0) process.stdout.write(`  (${substitutedDnsDraws} Route 53 change durations drawn by the bench from the profile's range: moto reuses one change ID)\n`);
    process.stdout.write(`  critical chain of the worst run: ${worst.chain.join(' -> ')}\n`);
    const cost = (k: keyof (typeof runs)[number]['cost']) => runs.map((r) => r.cost[k]);
    figure('the local run itself, re-timed, median (AWS s)', median(cost('localRetimedSeconds')), undefined, 1);
    figure('state transitions per provisioning, median', median(cost('transitions')), undefined, 0);
    figure('state transitions per provisioning, worst', Math.max(...cost('transitions')), { limit: GOALS.transitionsPerProvisioning }, 0);
    figure('Lambda invocations per provisioning, median', median(cost('lambdaInvocations')), undefined, 0);
    figure('billed GB-seconds per provisioning (256 MB), median', median(cost('gbSeconds')), undefined, 3);
    figure('AWS API calls per provisioning, median', median(runs.map((r) => r.api.total)), undefined, 0);
    figure('cost per provisioning, worst (USD)', Math.max(...cost('costUsd')), { limit: GOALS.costPerProvisioningUsd }, 5);
    figure('cost per teardown, worst (USD)', Math.max(...teardowns.map((t) => t.cost.costUsd)), undefined, 5);
    figure('history events, worst (AWS limit 25,000)', Math.max(...cost('events')), { limit: GOALS.historyEvents }, 0);
    figure('largest state (bytes; AWS limit 262,144)', Math.max(...cost('largestStateBytes')), { limit: GOALS.largestStateBytes }, 0);
    const byService = (list: { api: ReturnType<typeof since> }[]) => {
      const services = [...new Set(list.flatMap((r) => Object.keys(r.api.byService)))].sort();
      return Object.fromEntries(services.map((s) => [s, median(list.map((r) => r.api.byService[s] ?? 0))]));
    };
    process.stdout.write(`  API calls by service per provisioning (median): ${JSON.stringify(byService(runs))}\n`);
    process.stdout.write(`  API calls by service per teardown (median): ${JSON.stringify(byService(teardowns))}\n`);
    return {
      runs: runs.map((r) => ({ wallSeconds: round(r.wall, 1), criticalPathSeconds: round(r.criticalPathSeconds, 1), sequentialSeconds: round(r.sequentialSeconds, 1), readySeconds: r.draws, checks: r.checks, slowestBranches: r.branches, ...r.cost, apiCalls: r.api.total })),
      wallSeconds: round(median(runs.map((r) => r.wall)), 1),
      criticalPathSeconds: round(median(runs.map((r) => r.criticalPathSeconds)), 1),
      sequentialSeconds: round(median(runs.map((r) => r.sequentialSeconds)), 1),
      wallOverCritical: { median: round(median(ratio), 3), worst: round(Math.max(...ratio), 3) },
      sequentialOverCritical: { median: round(median(seqRatio), 2), worst: round(Math.max(...seqRatio), 2) },
      criticalChain: worst.chain,
      transitions: median(cost('transitions')),
      transitionsWorst: Math.max(...cost('transitions')),
      lambdaInvocations: median(cost('lambdaInvocations')),
      gbSeconds: round(median(cost('gbSeconds')), 4),
      apiCalls: { total: median(runs.map((r) => r.api.total)), byService: byService(runs) },
      costUsd: { provisioning: round(median(cost('costUsd')), 6), provisioningWorst: round(Math.max(...cost('costUsd')), 6) },
      teardown: {
        wallSeconds: round(median(teardowns.map((t) => t.wall)), 1),
        transitions: median(teardowns.map((t) => t.cost.transitions)),
        lambdaInvocations: median(teardowns.map((t) => t.cost.lambdaInvocations)),
        gbSeconds: round(median(teardowns.map((t) => t.cost.gbSeconds)), 4),
        apiCalls: { total: median(teardowns.map((t) => t.api.total)), byService: byService(teardowns) },
        costUsd: round(median(teardowns.map((t) => t.cost.costUsd)), 6),
      },
    };
  });
}

// ---- 3: bundles ---------------------------------------------------------------------------------

async function bundles(): Promise<BundleFigure[]> {
  process.stdout.write('\nBundles (esbuild as the deploy packages them; zipped; median require time in a fresh Node process)\n');
  const figures = await bundleFigures(join(__dirname, '..'));
  const largest = figures[0];
  const slowest = [...figures].sort((a, b) => b.loadMs - a.loadMs)[0];
  figure(`largest bundle zipped (KB): ${largest.name}`, largest.bytes / 1024, { limit: GOALS.bundleBytes / 1024, unit: ' KB' }, 0);
  figure(`slowest handler load (ms): ${slowest.name}`, slowest.loadMs, { limit: GOALS.loadMs, unit: ' ms' }, 0);
  figure('median handler load (ms), all functions', median(figures.map((f) => f.loadMs)), { limit: GOALS.loadMs, unit: ' ms' }, 0);
  process.stdout.write(`  largest: ${figures.slice(0, 4).map((f) => `${f.name} ${Math.round(f.bytes / 1024)} KB / ${f.loadMs} ms`).join('; ')}\n`);
  return figures;
}

// ---- 4: scale -----------------------------------------------------------------------------------

async function scale() {
  process.stdout.write('\nScale (concurrent provisionings on the local stack, realistic profile: throttling, pending states, eventual consistency)\n');
  const levels = [];
  for (const n of SCALE_LEVELS) {
    const level = await withStack({ profile: 'realistic', seed: 11 }, async (stack) => {
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
      const before = snapshot();
      const t0 = Date.now();
      try {
        const records = await Promise.all(Array.from({ length: n }, (_, i) => stack.engine.start('byoc-provision', `bench-s${n}-${i}`, request(`bench-s${n}-${i}`)).done));
        const seconds = (Date.now() - t0) / 1000;
        const api = since(before);
        const aws = records.map((r) => buildTimeline(r.history, definition, { timeScale: r.timeScale, backoffs: r.retryBackoffs }).totalSeconds);
        const lambdaRetries = records.reduce((s, r) => s + r.history.filter((e) => e.type === 'LambdaFunctionFailed' || e.type === 'LambdaFunctionTimedOut').length, 0);
        return {
          concurrent: n,
          completionSeconds: round(seconds, 1),
          awsSecondsMedian: round(median(aws), 1),
          awsSecondsWorst: round(Math.max(...aws), 1),
          throughputPerMinute: round((n / seconds) * 60, 1),
          peakRssMiB: Math.round(peak / 2 ** 20),
          errors: records.filter((r) => r.status !== 'SUCCEEDED').length,
          throttled: stack.realism.counts().throttle ?? 0,
          sdkRetriedCalls: api.retried,
          stepRetries: lambdaRetries,
          awsCalls: api.total,
          callLatencyMs: { p50: round(median(api.latencies), 1), p95: round(quantile(api.latencies, 0.95), 1) },
        };
      } finally {
        clearInterval(sampler);
      }
    });
    levels.push(level);
    process.stdout.write(
      `  ${String(n).padStart(3)} at once: done in ${level.completionSeconds} s wall (${level.awsSecondsMedian} AWS s median, ${level.awsSecondsWorst} worst), ${level.throughputPerMinute}/min, ` +
        `peak RSS ${level.peakRssMiB} MiB, errors ${level.errors} (goal 0) ${level.errors === 0 ? 'met' : 'NOT MET'}, throttled ${level.throttled}, SDK retries ${level.sdkRetriedCalls}, step retries ${level.stepRetries}, ` +
        `${level.awsCalls} AWS calls, call latency p50 ${level.callLatencyMs.p50} ms p95 ${level.callLatencyMs.p95} ms\n`,
    );
    verdicts.push({ figure: `scale ${n} at once: errors`, value: String(level.errors), goal: '0', met: level.errors === 0 });
  }
  return levels;
}

// ---- 5: API -------------------------------------------------------------------------------------

async function api() {
  process.stdout.write('\nAPI (the service behind the routes, on the local Step Functions API and the registry table)\n');
  // A long history: a NAT gateway pending for ten minutes (the whole wait loop), at 1000x.
  return withStack({ profile: 'realistic', seed: 5, sfnServer: true, overrides: { timeScale: 1000, readiness: { natGatewayAvailable: [590, 590] } } }, async (stack) => {
    const deps = stack.serviceDeps();
    const record = await stack.engine.start('byoc-provision', 'bench-api-long', request('bench-api-long')).done;
    if (record.status !== 'SUCCEEDED') throw new Error(`bench-api-long ${record.status}: ${record.error}`);
    const status: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t = performance.now();
      await getProvisioning('bench-api-long', deps);
      status.push(performance.now() - t);
    }
    // 1,000 provisionings in the registry.
    const now = new Date().toISOString();
    const records: RegistryRecord[] = Array.from({ length: 1000 }, (_, i) => ({
      provisioningId: `bench-list-${i}`,
      status: i % 10 === 0 ? 'FAILED' : 'SUCCEEDED',
      request: { projectName: 'bench', region: 'us-west-2' },
      outputs: null,
      currentExecution: null,
      executions: [{ kind: 'provision', name: `bench-list-${i}`, executionArn: `arn:aws:states:us-east-1:123456789012:execution:byoc-provision:bench-list-${i}`, startedAt: now, status: 'SUCCEEDED' }],
      createdAt: now,
      updatedAt: now,
      version: 1,
    }));
    for (let i = 0; i < records.length; i += 25) {
      await deps.registry.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [deps.registry.tableName]: records.slice(i, i + 25).map((r) => ({ PutRequest: { Item: itemFromRecord(r) } })) } }));
    }
    const firstPage: number[] = [];
    const all: number[] = [];
    let count = 0;
    for (let i = 0; i < 20; i++) {
      let t = performance.now();
      let page = await listProvisionings({}, deps);
      firstPage.push(performance.now() - t);
      if (i >= 5) continue;
      t = performance.now();
      count = page.provisionings.length;
      while (page.nextToken) {
        page = await listProvisionings({ nextToken: page.nextToken }, deps);
        count += page.provisionings.length;
      }
      all.push(performance.now() - t + firstPage[i]);
    }
    const filtered: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await listProvisionings({ status: 'FAILED' }, deps);
      filtered.push(performance.now() - t);
    }
    const result = {
      status: { historyEvents: record.history.length, p50Ms: round(median(status), 1), p99Ms: round(quantile(status, 0.99), 1) },
      list: { provisionings: count, firstPageP50Ms: round(median(firstPage), 1), firstPageP99Ms: round(quantile(firstPage, 0.99), 1), allPagesP50Ms: round(median(all), 1), byStatusP50Ms: round(median(filtered), 1) },
    };
    figure(`GET /provisionings/{id} with ${record.history.length} history events, p50 (ms)`, result.status.p50Ms, undefined, 1);
    figure(`GET /provisionings/{id} with ${record.history.length} history events, p99 (ms)`, result.status.p99Ms, undefined, 1);
    figure('GET /provisionings with 1,000 in the registry, first page p50 (ms)', result.list.firstPageP50Ms, undefined, 1);
    figure('GET /provisionings with 1,000 in the registry, first page p99 (ms)', result.list.firstPageP99Ms, undefined, 1);
    figure(`every page of the 1,000 (${count} listed), p50 (ms)`, result.list.allPagesP50Ms, undefined, 1);
    figure('GET /provisionings?status=FAILED (100 of 1,000), p50 (ms)', result.list.byStatusP50Ms, undefined, 1);
    return result;
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  process.stdout.write('BYOC provisioner benchmarks (local stack: moto + aws-local-stepfunctions; figures, not pass/fail; how each is measured: docs/bench.md)\n');
  const time = await timeAndCost();
  const bundleList = await bundles();
  const scaleLevels = await scale();
  const apiFigures = await api();
  const results = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    prices: PRICES,
    goals: GOALS,
    wallSeconds: time.wallSeconds,
    criticalPathSeconds: time.criticalPathSeconds,
    sequentialSeconds: time.sequentialSeconds,
    wallOverCritical: time.wallOverCritical,
    sequentialOverCritical: time.sequentialOverCritical,
    criticalChain: time.criticalChain,
    transitions: time.transitions,
    transitionsWorst: time.transitionsWorst,
    lambdaInvocations: time.lambdaInvocations,
    gbSeconds: time.gbSeconds,
    apiCalls: time.apiCalls,
    costUsd: time.costUsd,
    teardown: time.teardown,
    runs: time.runs,
    bundles: bundleList,
    scale: scaleLevels,
    api: apiFigures,
    verdicts,
    benchSeconds: Math.round((Date.now() - started) / 1000),
  };
  writeFileSync(join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const table = ['| figure | value | goal | met |', '|---|---|---|---|', ...verdicts.map((v) => `| ${v.figure} | ${v.value} | ${v.goal} | ${v.met === null ? '' : v.met ? 'yes' : '**no**'} |`)].join('\n');
  writeFileSync(join(__dirname, 'results.md'), `${table}\n`);
  const missed = verdicts.filter((v) => v.met === false);
  process.stdout.write(`\n${verdicts.filter((v) => v.met !== null).length - missed.length} goals met, ${missed.length} not met${missed.length ? `: ${missed.map((m) => m.figure).join('; ')}` : ''}. Written: bench/results.json, bench/results.md (${results.benchSeconds} s)\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
