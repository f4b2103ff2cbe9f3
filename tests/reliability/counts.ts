import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RealismHandle } from '../../local/realism';

/**
 * The reliability suites' counter: what they ran and what they found. Each test file adds to its own counter and
 * writes it when it ends (afterAll) into the run's folder (`BYOC_RELIABILITY_COUNTS_DIR`, made by
 * counts-reporter.js when jest starts); the reporter adds up every file's counts and prints them at the end of the
 * run (and keeps the totals in .tmp/reliability-counts.json). Without that folder (jest run with another config)
 * the file prints its own counts.
 */
export interface ReliabilityCounts {
  provisionings: number;
  teardowns: number;
  /** Faults injected, by kind: the realism layer's (throttle, error5xx, timeout, fail, lose-response, delay) and the Lambda runtime's crashes. */
  faults: Record<string, number>;
  /** Resources still in moto (census) when a test expected none. */
  resourcesLeft: number;
  /** Resources beyond what one clean provisioning makes (census), after lost responses, crashes, storms. */
  duplicates: number;
  /** Server errors (5xx) that reached a caller: an execution ended by one, or the service layer answering one. */
  serverErrors: number;
  /** The seeds the storms ran with (printed: a run can be replayed). */
  seeds: number[];
  /** Wall time of the suites, ms. */
  ms: number;
}

/** The kinds of realism events that are injected faults (the rest simulate AWS: not-ready, eventual consistency...). */
const FAULT_KINDS = new Set(['throttle', 'error5xx', 'timeout', 'fail', 'lose-response', 'delay']);

export const emptyCounts = (): ReliabilityCounts => ({ provisionings: 0, teardowns: 0, faults: {}, resourcesLeft: 0, duplicates: 0, serverErrors: 0, seeds: [], ms: 0 });

/**
 * The counter of one test file. `track(realism)` counts the layer's injected faults when the file ends (events
 * cleared in between are counted with `absorb(realism)` first).
 *
 * @example const counts = useCounts('fault matrix'); ... counts.provisionings++; counts.fault('lambda-timeout');
 */
export function useCounts(name: string) {
  const counts = emptyCounts();
  const tracked: RealismHandle[] = [];
  let started = 0;
  const api = {
    counts,
    /** Count one injected fault of a kind the realism layer does not record (a Lambda crash, a step failure). */
    fault(kind: string, n = 1) {
      counts.faults[kind] = (counts.faults[kind] ?? 0) + n;
    },
    /** Count a realism layer's injected faults when the file ends. */
    track(realism: RealismHandle) {
      tracked.push(realism);
    },
    /** Count a layer's injected faults now and forget its events (before clearEvents, or a layer's uninstall). */
    absorb(realism: RealismHandle) {
      for (const e of realism.events) if (FAULT_KINDS.has(e.kind)) api.fault(e.kind);
      realism.clearEvents();
    },
  };
  beforeAll(() => {
    started = Date.now();
  });
  afterAll(() => {
    for (const r of tracked) api.absorb(r);
    counts.ms = Date.now() - started;
    const dir = process.env.BYOC_RELIABILITY_COUNTS_DIR;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${process.pid}-${name.replace(/[^A-Za-z0-9]+/g, '-')}-${Date.now()}.json`), JSON.stringify(counts));
    } else {
      process.stdout.write(`\nReliability counts (${name}): ${JSON.stringify(counts)}\n`);
    }
  });
  return api;
}
