import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { provisionRuns } from '../shared/registry/record';
import { timelineSvg, type AslDefinition, type TimelineOptions } from '../shared/timeline';
import { loadDefinition } from './engine';
import { ExecutionStore, type ExecutionRecord } from './executions';
import { ProvisioningIndex } from './provisionings';
import type { RealismEvent } from './realism';

/** Realism events that are faults someone injected (not AWS's ordinary pending states and lag). */
const FAULT_KINDS = new Set(['throttle', 'error5xx', 'timeout', 'fail', 'delay', 'lose-response']);

/** The injected faults of a realism event list, for the timeline's markers. */
export function faultsOf(events: readonly RealismEvent[]): NonNullable<TimelineOptions['faults']> {
  return events.filter((e) => FAULT_KINDS.has(e.kind)).map((e) => ({ time: e.time, kind: e.kind, operation: e.operation }));
}

/**
 * The SVG timeline of a local execution record, re-timed to AWS seconds with the time scale it ran on.
 * @example writeFileSync('t.svg', localExecutionTimeline(record, { title: 'demo-001' }))
 */
export function localExecutionTimeline(record: ExecutionRecord, options: Omit<TimelineOptions, 'timeScale'> = {}): string {
  const workflow = record.stateMachineArn.endsWith(':byoc-teardown') ? 'byoc-teardown' : 'byoc-provision';
  return timelineSvg(record.history, loadDefinition(workflow) as unknown as AslDefinition, { ...options, timeScale: record.timeScale ?? Infinity, backoffs: record.retryBackoffs });
}

/** Where `npm start` and `byoc provision` write a provisioning's timeline: next to its record in the state folder. */
export const timelineFileOf = (stateDir: string, provisioningId: string): string => join(stateDir, 'provisionings', `${provisioningId}.timeline.svg`);

/**
 * The timeline of a provisioning's latest provision execution (attempt or update) from the records of the state
 * folder (`.byoc/`), or undefined when the folder has no record of it or of its execution.
 */
export function localProvisioningTimeline(stateDir: string, provisioningId: string, options: Omit<TimelineOptions, 'timeScale'> = {}): { svg: string; executionName: string } | undefined {
  const view = new ProvisioningIndex(stateDir).get(provisioningId);
  const latest = view?.record ? provisionRuns(view.record).at(-1) : undefined;
  const record = latest ? new ExecutionStore(stateDir).load(latest.executionArn) : undefined;
  if (!latest || !record) return undefined;
  return { svg: localExecutionTimeline(record, { title: `Provisioning ${provisioningId}: execution ${record.name}`, ...options }), executionName: record.name };
}

/** Write a provisioning's timeline next to its record; returns the file, or undefined when there is nothing to draw. */
export function writeLocalTimeline(stateDir: string, provisioningId: string, options: Omit<TimelineOptions, 'timeScale'> = {}): string | undefined {
  const timeline = localProvisioningTimeline(stateDir, provisioningId, options);
  if (!timeline) return undefined;
  const file = timelineFileOf(stateDir, provisioningId);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, timeline.svg);
  return file;
}
