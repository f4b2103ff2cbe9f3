import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { startLocalStack, type LocalStackOptions } from '../local/stack';
import type { ExecutionRecord } from '../local/executions';
import example from '../examples/request.json';

/**
 * `npm run bench`: figures for a full provisioning on the local stack (not pass/fail: goals live here, never in
 * timed tests). Prints state transitions (what Step Functions bills, and what the waits cost), Lambda invocations,
 * history size against the 25,000-event limit, the largest state against the 256 KiB limit, wall time, and memory.
 */

// Each run gets its own role names: the example's names would collide between the runs in one moto.
const request = (id: string) => ({
  ...example,
  provisioningId: id,
  iamRole: { name: `zilliz-byoc-${id}-eks` },
  storageRole: { name: `zilliz-byoc-${id}-storage` },
  crossAccountRole: { ...example.crossAccountRole, name: `zilliz-byoc-${id}-xacct` },
});

function figures(record: ExecutionRecord) {
  const h = record.history as HistoryEvent[];
  const transitions = h.filter((e) => e.type?.endsWith('StateEntered')).length;
  const invocations = h.filter((e) => e.type === 'LambdaFunctionScheduled').length;
  const largest = Math.max(...h.map((e) => Buffer.byteLength(e.stateEnteredEventDetails?.input ?? e.stateExitedEventDetails?.output ?? '')));
  const ms = new Date(record.stopDate!).getTime() - new Date(record.startDate).getTime();
  return { transitions, invocations, events: h.length, largest, ms };
}

/**
 * Goals, checked against the figures and printed (never a failing test: shared machines make timings noisy).
 * Transitions are what Step Functions bills per provisioning; the rest guard the hard AWS limits with room to spare.
 * The whole customer-side setup has 24 forward steps (Lambda) and 7 registry writes (SDK integration), so no run can
 * take fewer than about 40 transitions; at the Standard price of USD 0.025 per 1,000 transitions, 100 transitions
 * cost USD 0.0025, half the USD 0.005 per provisioning the product aims for.
 */
const GOALS = {
  transitionsNoWait: 45,
  transitionsRealistic: 100,
  historyEvents: 1000, // AWS limit 25,000
  largestStateBytes: 32 * 1024, // AWS limit 256 KiB
  rssMiB: 512,
};
const verdicts: string[] = [];
function goal(label: string, value: number, limit: number): void {
  verdicts.push(`${value <= limit ? 'met ' : 'MISSED'}  ${label}: ${Math.round(value)} (goal <= ${limit})`);
}

async function scenario(name: string, options: LocalStackOptions, runs: number, parallel = 1): Promise<void> {
  const stack = await startLocalStack({ ...options, stateDir: mkdtempSync(join(tmpdir(), 'byoc-bench-')) });
  try {
    const results: ReturnType<typeof figures>[] = [];
    const slug = name.replace(/[^A-Za-z0-9]+/g, '-');
    const t0 = Date.now();
    for (let i = 0; i < runs; i += parallel) {
      const batch = Array.from({ length: Math.min(parallel, runs - i) }, (_, j) => stack.engine.start('byoc-provision', `bench-${slug}-${i + j}`, request(`bench-${slug}-${i + j}`)).done);
      for (const record of await Promise.all(batch)) {
        if (record.status !== 'SUCCEEDED') throw new Error(`${record.name} ${record.status}: ${record.error} ${record.cause}`);
        results.push(figures(record));
      }
    }
    const wall = Date.now() - t0;
    const avg = (k: keyof ReturnType<typeof figures>) => results.reduce((s, r) => s + r[k], 0) / results.length;
    const max = (k: keyof ReturnType<typeof figures>) => Math.max(...results.map((r) => r[k]));
    const mem = process.memoryUsage();
    const waits = options.profile !== 'instant';
    goal(`${name}: transitions per provisioning`, max('transitions'), waits ? GOALS.transitionsRealistic : GOALS.transitionsNoWait);
    goal(`${name}: history events`, max('events'), GOALS.historyEvents);
    goal(`${name}: largest state (bytes)`, max('largest'), GOALS.largestStateBytes);
    goal(`${name}: resident memory (MiB)`, mem.rss / 2 ** 20, GOALS.rssMiB);
    process.stdout.write(
      `${name.padEnd(26)} runs=${String(runs).padStart(3)} parallel=${parallel}  transitions avg=${avg('transitions').toFixed(1)} max=${max('transitions')}` +
        `  lambda invocations avg=${avg('invocations').toFixed(1)}  history events max=${max('events')} (limit 25000)` +
        `  largest state=${max('largest')} B (limit 262144)  time per provisioning avg=${avg('ms').toFixed(0)} ms  wall=${wall} ms` +
        `  rss=${(mem.rss / 2 ** 20).toFixed(0)} MiB heap=${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB\n`,
    );
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  process.stdout.write('BYOC provisioner benchmarks (local stack: moto + aws-local-stepfunctions; figures, not pass/fail)\n');
  await scenario('instant', { profile: 'instant' }, 5);
  await scenario('instant, 5 in parallel', { profile: 'instant' }, 10, 5);
  // Realistic: AWS timing / 100, so the transition count shows what the wait loops cost on AWS.
  await scenario('realistic', { profile: 'realistic', seed: 7 }, 3);
  await scenario('realistic, 10 in parallel', { profile: 'realistic', seed: 7 }, 10, 10);
  await scenario('chaos', { profile: 'chaos', seed: 7 }, 3);
  process.stdout.write(`\nGoals:\n${verdicts.map((v) => `  ${v}`).join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
