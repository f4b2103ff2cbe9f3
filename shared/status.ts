import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** The progress of one Task state of an execution, read from its history. */
export interface StepProgress {
  name: string;
  status: 'running' | 'succeeded' | 'failed';
  /** Lambda invocations, retries included, over every visit of the state (check loops visit several times). */
  attempts: number;
  /** How many times the state was entered (more than one for a wait-and-check loop). */
  visits: number;
  startedAt: string;
  endedAt?: string;
  durationMs?: number;
  /** The last error of the state, also when a retry then succeeded. */
  lastError?: { name: string; message: string };
}

/** An error as Step Functions reports it, made readable: Lambda's JSON cause is unpacked. */
export interface ReadableError {
  name: string;
  message: string;
  /** The step that raised it, when known. */
  step?: string;
}

/**
 * Unpack a Step Functions `cause`: for Lambda errors it is Lambda's JSON document
 * (`{"errorType","errorMessage","trace"}`); otherwise plain text.
 * @example readCause('{"errorType":"X","errorMessage":"CreateVpc: boom"}') // 'CreateVpc: boom'
 */
export function readCause(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // plain text cause
  }
  return cause;
}

/** Our steps prefix their messages with the step name ("CreateVpc: ..."): split it off. */
export function readableError(error: string | undefined, cause: string | undefined): ReadableError {
  const message = readCause(cause);
  const m = /^([A-Z][A-Za-z0-9]+): ([\s\S]*)$/.exec(message);
  return m ? { name: error ?? 'Error', step: m[1], message: m[2] } : { name: error ?? 'Error', message };
}

/**
 * Per-step progress from an execution history (AWS's or the local engine's: both carry the same event types).
 * Only Task states are steps; Wait/Choice/Parallel states are plumbing.
 */
export function summarizeHistory(events: HistoryEvent[]): StepProgress[] {
  const steps = new Map<string, StepProgress>();
  const order: string[] = [];
  // Which Task a Lambda event belongs to: the most recently entered Task state that has not exited.
  // Parallel branches interleave, so track every open task and match Lambda events to the open one with
  // matching input/resource order: AWS links them by previousEventId; we link by the open-task stack.
  const open: string[] = [];
  const byId = new Map<number, HistoryEvent>();
  for (const e of events) byId.set(e.id!, e);
  const ownerOf = (e: HistoryEvent): string | undefined => {
    // Walk back through previousEventId until a TaskStateEntered: exact on AWS, and right locally too.
    let cursor: HistoryEvent | undefined = e;
    for (let hops = 0; cursor && hops < 50; hops++) {
      if (cursor.type === 'TaskStateEntered') return cursor.stateEnteredEventDetails?.name;
      cursor = cursor.previousEventId ? byId.get(cursor.previousEventId) : undefined;
    }
    return open[open.length - 1];
  };
  for (const e of events) {
    const at = new Date(e.timestamp!).toISOString();
    switch (e.type) {
      case 'TaskStateEntered': {
        const name = e.stateEnteredEventDetails!.name!;
        const step = steps.get(name);
        if (step) {
          step.visits++;
          step.status = 'running';
          step.endedAt = undefined;
        } else {
          steps.set(name, { name, status: 'running', attempts: 0, visits: 1, startedAt: at });
          order.push(name);
        }
        open.push(name);
        break;
      }
      // A Lambda Task records LambdaFunction* events; an SDK service integration (the registry's
      // dynamodb:updateItem) records Task* events. Both are attempts of the step.
      case 'LambdaFunctionScheduled':
      case 'TaskScheduled': {
        const step = steps.get(ownerOf(e) ?? '');
        if (step) step.attempts++;
        break;
      }
      case 'LambdaFunctionFailed':
      case 'LambdaFunctionTimedOut':
      case 'TaskFailed':
      case 'TaskTimedOut': {
        const step = steps.get(ownerOf(e) ?? '');
        const d = e.lambdaFunctionFailedEventDetails ?? e.lambdaFunctionTimedOutEventDetails ?? e.taskFailedEventDetails ?? e.taskTimedOutEventDetails;
        if (step) {
          const readable = readableError(d?.error, d?.cause);
          step.lastError = { name: readable.name, message: readable.message };
          step.status = 'failed';
        }
        break;
      }
      case 'LambdaFunctionSucceeded':
      case 'TaskSucceeded': {
        const step = steps.get(ownerOf(e) ?? '');
        if (step) step.status = 'succeeded';
        break;
      }
      case 'TaskStateExited': {
        const name = e.stateExitedEventDetails!.name!;
        const step = steps.get(name);
        const i = open.lastIndexOf(name);
        if (i >= 0) open.splice(i, 1);
        if (step) {
          step.endedAt = at;
          step.durationMs = new Date(at).getTime() - new Date(step.startedAt).getTime();
          if (step.status === 'running') step.status = 'succeeded';
        }
        break;
      }
      default:
        break;
    }
  }
  return order.map((name) => steps.get(name)!);
}
