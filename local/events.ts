import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPLETION_EVENT_SOURCE, type CompletionDetailType } from '../shared/constants';
import { InvalidInputError } from '../shared/errors';
import type { ExecutionKind, RegistryStatus } from '../shared/registry/record';
import { readableError } from '../shared/status';

/**
 * Completion events on the local stack (docs/events.md). The state machines publish one event when a provisioning,
 * an update or a teardown ends (`arn:aws:states:::events:putEvents`); the local engine sends it to the AWS endpoint's
 * EventBridge (moto's) as Step Functions would, and records it here, in the state folder, as the EventBridge envelope
 * a rule's target receives. This module reads them back (`byoc events ID`), lets a process subscribe to new ones
 * (`byoc serve --events-to URL`), and forwards them to a URL as HTTP POSTs.
 *
 * @example
 * readCompletionEvents(stateDir, 'demo-001')            // every event of demo-001, oldest first
 * const forwarder = forwardCompletionEvents(parseEventsUrl(url), { warn: (m) => io.err(m) });
 * ... await forwarder.stop();
 */

/** The file under the state folder that holds every recorded event, one JSON envelope a line. */
export const EVENTS_FILE = 'events.jsonl';

/** `detail` of a completion event (docs/events.md). */
export interface CompletionEventDetail {
  provisioningId: string;
  /** The registry status the execution led to (shared/registry/record.ts). */
  status: RegistryStatus;
  kind: ExecutionKind;
  executionArn: string;
  executionName: string;
  /** The region of the provisioning's resources (null when the input was refused before it was known). */
  region: string | null;
  /** The account of the provisioning's resources (null for a teardown, and when the input was refused before it was known). */
  account: string | null;
  /** On success: the outputs (C1) of a provisioning or update, the output of a teardown. */
  outputs?: unknown;
  /** On failure: the error name, as the registry and Step Functions record it. */
  error?: string;
  /** On failure: the cause, as Step Functions records it (for a step's error, Lambda's JSON error document as text). */
  cause?: string;
}

/** An EventBridge event as a rule's target receives it (the envelope EventBridge wraps around each entry). */
export interface CompletionEvent {
  version: '0';
  id: string;
  'detail-type': CompletionDetailType;
  source: typeof COMPLETION_EVENT_SOURCE;
  /** The account and region of the bus (the provisioner's own), not of the provisioning: see `detail`. */
  account: string;
  time: string;
  region: string;
  /** The execution ARN and the state machine ARN (Step Functions' putEvents integration appends them). */
  resources: string[];
  detail: CompletionEventDetail;
}

type Listener = (event: CompletionEvent) => void;
const listeners = new Set<Listener>();

const fileOf = (stateDir: string): string => join(stateDir, EVENTS_FILE);

/** EventBridge's `time`: ISO 8601 to the second, UTC. */
export const eventTime = (date: Date = new Date()): string => `${date.toISOString().slice(0, 19)}Z`;

/**
 * Record an event that EventBridge accepted (the local `events:putEvents` integration calls this), and hand it to
 * every subscriber in this process. A subscriber that throws does not stop the others or the execution.
 */
export function recordCompletionEvent(stateDir: string, event: CompletionEvent): void {
  mkdirSync(stateDir, { recursive: true });
  appendFileSync(fileOf(stateDir), `${JSON.stringify(event)}\n`);
  for (const listener of [...listeners]) {
    try {
      listener(event);
    } catch {
      // a subscriber's own problem; the event is recorded and the execution goes on
    }
  }
}

/** Every recorded event in a state folder, oldest first; only those of one provisioning when an ID is given. */
export function readCompletionEvents(stateDir: string, provisioningId?: string): CompletionEvent[] {
  const file = fileOf(stateDir);
  if (!existsSync(file)) return [];
  const events: CompletionEvent[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const event = JSON.parse(line) as CompletionEvent;
      if (provisioningId === undefined || event.detail?.provisioningId === provisioningId) events.push(event);
    } catch {
      // a line cut short by a crash: skip it
    }
  }
  return events;
}

/** Call `listener` with every event recorded in this process from now on. Returns the unsubscribe function. */
export function onCompletionEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** One line for a person (`byoc events ID`): when, what, which provisioning and execution, and the error if any. */
export function formatCompletionEvent(event: CompletionEvent): string {
  const d = event.detail;
  const where = d.region ? ` in ${d.region}${d.account ? ` (account ${d.account})` : ''}` : '';
  const head = `${event.time}  ${event['detail-type']}: ${d.provisioningId} is ${d.status}${where}, execution ${d.executionName}`;
  if (!d.error) return head;
  const readable = readableError(d.error, d.cause);
  return `${head}\n    ${readable.name}${readable.step ? ` in ${readable.step}` : ''}: ${readable.message}`;
}

/**
 * The URL events are forwarded to (`serve --events-to URL`): http or https only.
 * @throws InvalidInputError naming `--events-to` and the rule.
 */
export function parseEventsUrl(text: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InvalidInputError([{ field: '--events-to', rule: `must be an http:// or https:// URL that accepts POST; got ${JSON.stringify(text)}` }]);
  }
  return url;
}

export interface ForwardOptions {
  /** Tries per event (default 3: the first and two retries). */
  attempts?: number;
  /** Wait before the first retry, doubled for each next one (default 500 ms). */
  retryDelayMs?: number;
  /** Give up on one try after this long (default 5 s). */
  timeoutMs?: number;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
}

export interface Delivery {
  delivered: boolean;
  attempts: number;
  /** The last HTTP status, when the server answered. */
  status?: number;
  /** Why the last try failed, when it did. */
  reason?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * POST one event to a URL as EventBridge's envelope JSON (`content-type: application/json`), as an API destination
 * target would. 2xx is delivered; a network error, a timeout, a 429 or a 5xx is tried again; another 4xx is final
 * (the receiver refused it: trying again would not change that).
 */
export async function postCompletionEvent(url: URL | string, event: CompletionEvent, options: ForwardOptions = {}): Promise<Delivery> {
  const attempts = Math.max(1, options.attempts ?? 3);
  let delay = options.retryDelayMs ?? 500;
  let last: Delivery = { delivered: false, attempts: 0 };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'byoc-provisioner-events' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { delivered: true, attempts: attempt, status: response.status };
      last = { delivered: false, attempts: attempt, status: response.status, reason: `HTTP ${response.status}` };
      if (response.status < 500 && response.status !== 429) return last;
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      last = { delivered: false, attempts: attempt, reason: e.cause?.code ?? e.name ?? String(error) };
    }
    if (attempt < attempts) {
      await sleep(delay);
      delay *= 2;
    }
  }
  return last;
}

/** A running forwarder: `stop()` unsubscribes and waits for the deliveries under way. */
export interface EventForwarder {
  readonly url: URL;
  /** Every delivery so far, in the order they finished. */
  readonly deliveries: readonly (Delivery & { event: CompletionEvent })[];
  stop(): Promise<void>;
}

/**
 * Forward every event this process records from now on to `url` (`byoc serve --events-to URL`): each is POSTed as
 * its EventBridge envelope, with retries (see {@link postCompletionEvent}); one that cannot be delivered is logged
 * as a warning through `options.warn` and dropped (it stays in the state folder: `byoc events ID` shows it).
 */
export function forwardCompletionEvents(url: URL | string, options: ForwardOptions = {}): EventForwarder {
  const target = typeof url === 'string' ? parseEventsUrl(url) : url;
  const warn = options.warn ?? ((message: string) => process.stderr.write(`${message}\n`));
  const deliveries: (Delivery & { event: CompletionEvent })[] = [];
  const pending = new Set<Promise<void>>();
  const unsubscribe = onCompletionEvent((event) => {
    const delivery: Promise<void> = postCompletionEvent(target, event, options)
      .then((result) => {
        deliveries.push({ ...result, event });
        if (!result.delivered) {
          warn(`warning: could not forward the ${event['detail-type']} event of ${event.detail.provisioningId} to ${target.href} (${result.reason}, ${result.attempts} tries); it is kept in the state folder`);
        }
      })
      .finally(() => pending.delete(delivery));
    pending.add(delivery);
  });
  return {
    url: target,
    deliveries,
    stop: async () => {
      unsubscribe();
      await Promise.all([...pending]);
    },
  };
}
