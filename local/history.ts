import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import type { StateMachine } from 'aws-local-stepfunctions';
import { LOCAL_REGION } from './executions';
import { integrationOf, isServiceIntegration } from './service-integrations';

/** One event of the local engine's stream (the library does not export the type). */
export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

/**
 * Turns the local engine's event stream into the execution history AWS Step Functions would record
 * (`TaskStateEntered`, `LambdaFunctionScheduled`, `LambdaFunctionFailed`, `ExecutionFailed`, ...), so that
 * status and progress code reads local and real executions the same way. A Task that calls a Lambda records
 * `LambdaFunction*` events; a Task that is an SDK service integration (`arn:aws:states:::dynamodb:updateItem`)
 * records `TaskScheduled`, `TaskStarted`, `TaskSucceeded` / `TaskFailed` / `TaskTimedOut`, as AWS does.
 *
 * What AWS emits and the local engine does not (e.g. `ParallelStateStarted`) is synthesised; what the local
 * engine emits and AWS does not (branch events) is dropped.
 */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  /** Task states whose current attempt failed: their exit is not a Lambda success. */
  private readonly failedTasks = new Set<string>();

  constructor(private readonly resourceOf: (stateName: string) => string | undefined) {}

  /** The last event recorded for each state: AWS links a state's events through `previousEventId`. */
  private readonly lastOfState = new Map<string, number>();
  /** The state the next pushed events belong to (set around each engine event). */
  private current?: string;

  private push(type: HistoryEventType, timestamp: number, details: Partial<HistoryEvent>): HistoryEvent {
    const id = this.events.length + 1;
    const previous = (this.current ? this.lastOfState.get(this.current) : undefined) ?? this.events.length;
    const event: HistoryEvent = { id, previousEventId: previous, timestamp: new Date(timestamp), type, ...details };
    this.events.push(event);
    if (this.current) this.lastOfState.set(this.current, id);
    return event;
  }

  /** The service integration a Task state calls (`{resourceType: 'dynamodb', resource: 'updateItem'}`), or undefined for a Lambda. */
  private integration(stateName: string): { resourceType: string; resource: string } | undefined {
    const resource = this.resourceOf(stateName);
    return resource && isServiceIntegration(resource) ? integrationOf(resource) : undefined;
  }

  private lambdaScheduled(stateName: string, input: unknown, timestamp: number): void {
    const resource = this.resourceOf(stateName) ?? stateName;
    this.failedTasks.delete(stateName);
    const integration = this.integration(stateName);
    if (integration) {
      // AWS records the effective Parameters; the engine's events carry the state's input, which is recorded instead.
      this.push('TaskScheduled', timestamp, { taskScheduledEventDetails: { ...integration, region: LOCAL_REGION, parameters: JSON.stringify(input ?? null) } });
      this.push('TaskStarted', timestamp, { taskStartedEventDetails: { ...integration } });
      return;
    }
    this.push('LambdaFunctionScheduled', timestamp, { lambdaFunctionScheduledEventDetails: { resource, input: JSON.stringify(input ?? null) } });
    this.push('LambdaFunctionStarted', timestamp, {});
  }

  /** Append the AWS events for one engine event; returns the events appended. */
  add(log: EventLog): HistoryEvent[] {
    const before = this.events.length;
    const t = log.timestamp;
    const stateName = 'state' in log ? log.state.name : undefined;
    // A state's first event follows whatever came last; its later events follow its own previous event.
    if (log.type === 'StateEntered' && stateName) this.lastOfState.delete(stateName);
    this.current = stateName;
    switch (log.type) {
      case 'ExecutionStarted':
        this.push('ExecutionStarted', t, { executionStartedEventDetails: { input: JSON.stringify(log.input ?? null) } });
        break;
      case 'ExecutionSucceeded':
        this.push('ExecutionSucceeded', t, { executionSucceededEventDetails: { output: JSON.stringify(log.output ?? null) } });
        break;
      case 'ExecutionFailed':
        this.push('ExecutionFailed', t, { executionFailedEventDetails: { error: log.Error, cause: causeText(log.Cause) } });
        break;
      case 'ExecutionAborted':
        this.push('ExecutionAborted', t, {});
        break;
      case 'ExecutionTimeout':
        this.push('ExecutionTimedOut', t, { executionTimedOutEventDetails: { error: 'States.Timeout' } });
        break;
      case 'StateEntered': {
        const { name, type, input } = log.state;
        this.push(`${type}StateEntered` as HistoryEventType, t, { stateEnteredEventDetails: { name, input: JSON.stringify(input ?? null) } });
        if (type === 'Task') this.lambdaScheduled(name, input, t);
        if (type === 'Parallel') this.push('ParallelStateStarted', t, {});
        break;
      }
      case 'StateExited': {
        const { name, type, output } = log.state;
        if (type === 'Task' && !this.failedTasks.delete(name)) {
          const integration = this.integration(name);
          if (integration) this.push('TaskSucceeded', t, { taskSucceededEventDetails: { ...integration, output: JSON.stringify(output ?? null) } });
          else this.push('LambdaFunctionSucceeded', t, { lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output ?? null) } });
        }
        if (type === 'Parallel') this.push('ParallelStateSucceeded', t, {});
        this.push(`${type}StateExited` as HistoryEventType, t, { stateExitedEventDetails: { name, output: JSON.stringify(output ?? null) } });
        break;
      }
      case 'StateFailed': {
        const { type, name } = log.state;
        if (type === 'Task') {
          this.failedTasks.add(name);
          const timedOut = log.Error === 'States.Timeout';
          const integration = this.integration(name);
          if (integration && timedOut) this.push('TaskTimedOut', t, { taskTimedOutEventDetails: { ...integration, error: log.Error, cause: causeText(log.Cause) } });
          else if (integration) this.push('TaskFailed', t, { taskFailedEventDetails: { ...integration, error: log.Error, cause: causeText(log.Cause) } });
          else if (timedOut) this.push('LambdaFunctionTimedOut', t, { lambdaFunctionTimedOutEventDetails: { error: log.Error, cause: causeText(log.Cause) } });
          else this.push('LambdaFunctionFailed', t, { lambdaFunctionFailedEventDetails: { error: log.Error, cause: causeText(log.Cause) } });
        }
        if (type === 'Parallel') this.push('ParallelStateFailed', t, { executionFailedEventDetails: { error: log.Error, cause: causeText(log.Cause) } });
        break;
      }
      case 'StateRetried':
        // AWS records a retry as the next attempt being scheduled again.
        if (log.state.type === 'Task') this.lambdaScheduled(log.state.name, log.state.input, t);
        if (log.state.type === 'Parallel') this.push('ParallelStateStarted', t, {});
        break;
      case 'StateCaught':
        break; // the engine then reports the exit with the catcher's output, as AWS records it
      default:
        break; // Parallel branch and Map iteration events: AWS has no counterpart.
    }
    return this.events.slice(before);
  }
}

/** AWS history causes are strings. */
function causeText(cause: unknown): string {
  if (cause === undefined || cause === null) return '';
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}
