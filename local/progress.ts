import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { readableError } from '../shared/status';

/**
 * Live progress: one line per state as it starts and as it ends (with its duration), plus retries and waits.
 * Reads AWS-shaped history events, so it prints a local execution and a real one alike.
 */
export class ProgressPrinter {
  private readonly started = new Map<string, number>();
  private readonly failedOnce = new Set<string>();
  private readonly t0: number;
  /** Which state each event id belongs to, to follow `previousEventId` chains across parallel branches. */
  private readonly stateOfEvent = new Map<number, string>();

  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    t0 = Date.now(),
  ) {
    this.t0 = t0;
  }

  private line(at: Date | undefined, text: string): void {
    const seconds = ((at ? at.getTime() : Date.now()) - this.t0) / 1000;
    this.write(`[${seconds.toFixed(2).padStart(7)} s] ${text}`);
  }

  private owner(e: HistoryEvent): string | undefined {
    const own = e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name;
    const name = own ?? (e.previousEventId !== undefined ? this.stateOfEvent.get(e.previousEventId) : undefined);
    if (name && e.id !== undefined) this.stateOfEvent.set(e.id, name);
    return name;
  }

  print(events: HistoryEvent[]): void {
    for (const e of events) {
      const at = e.timestamp ? new Date(e.timestamp) : undefined;
      const state = this.owner(e);
      switch (e.type) {
        case 'ExecutionStarted':
          this.line(at, 'execution started');
          break;
        case 'TaskStateEntered':
        case 'ParallelStateEntered':
          this.started.set(state!, at?.getTime() ?? Date.now());
          this.line(at, `▶ ${state}`);
          break;
        case 'WaitStateEntered':
          this.line(at, `… ${state}`);
          break;
        case 'TaskStateExited':
        case 'ParallelStateExited': {
          const began = this.started.get(state!);
          const took = began !== undefined && at ? ` (${((at.getTime() - began) / 1000).toFixed(2)} s)` : '';
          const failed = this.failedOnce.has(state!);
          this.failedOnce.delete(state!);
          this.line(at, `${failed ? '✖' : '✔'} ${state}${failed ? ' failed, handled by its Catch' : ''}${took}`);
          break;
        }
        case 'LambdaFunctionFailed':
        case 'LambdaFunctionTimedOut':
        case 'TaskFailed':
        case 'TaskTimedOut': {
          const d = e.lambdaFunctionFailedEventDetails ?? e.lambdaFunctionTimedOutEventDetails ?? e.taskFailedEventDetails ?? e.taskTimedOutEventDetails;
          const err = readableError(d?.error, d?.cause);
          this.failedOnce.add(state ?? '');
          this.line(at, `  ${state ?? 'step'}: ${err.name}: ${err.message}`);
          break;
        }
        case 'LambdaFunctionScheduled':
        case 'TaskScheduled':
          if (state && this.failedOnce.has(state)) {
            this.failedOnce.delete(state);
            this.line(at, `↻ ${state} retrying`);
          }
          break;
        case 'FailStateEntered':
          this.line(at, `✖ ${state}`);
          break;
        case 'ExecutionSucceeded':
          this.line(at, 'execution succeeded');
          break;
        case 'ExecutionFailed': {
          const err = readableError(e.executionFailedEventDetails?.error, e.executionFailedEventDetails?.cause);
          this.line(at, `execution failed: ${err.name}${err.step ? ` in ${err.step}` : ''}: ${err.message}`);
          break;
        }
        case 'ExecutionAborted':
          this.line(at, 'execution stopped');
          break;
        case 'ExecutionTimedOut':
          this.line(at, 'execution timed out');
          break;
        default:
          break;
      }
    }
  }
}
