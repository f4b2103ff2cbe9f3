import './polyfills';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { functionArnPlaceholder, REGISTRY_TABLE_PLACEHOLDER } from '../shared/constants';
import { localFunctions, type LocalHandler } from './functions';
import { HistoryBuilder } from './history';
import { invokeLocal, localFunctionArn } from './lambda-runtime';
import { ExecutionStore, executionArn, isValidExecutionName, LOCAL_REGION, stateMachineArn, type ExecutionRecord } from './executions';
import { localRegistryTable } from './registry';
import { isServiceIntegration, serviceIntegrationHandler } from './service-integrations';

type LocalHandlers = NonNullable<NonNullable<NonNullable<Parameters<StateMachine['run']>[1]>['overrides']>['taskResourceLocalHandlers']>;
type JsonValue = Parameters<LocalHandlers[string]>[0];

/** The workflows, by local state machine name, and their ASL files. */
export const WORKFLOWS = {
  'byoc-provision': 'provision.asl.json',
  'byoc-teardown': 'teardown.asl.json',
} as const;
export type WorkflowName = keyof typeof WORKFLOWS;

const STATEMACHINE_DIR = join(__dirname, '..', 'statemachine');

/** How often a running execution's record is written to the store at most (ms); its end is written at once. */
const SAVE_EVERY_MS = 200;

/** State machines already validated, by definition text (a StateMachine runs any number of executions). */
const VALIDATED_MACHINES = new Map<string, StateMachine>();

type AnyState = { Type: string; Resource?: string; Seconds?: number; SecondsPath?: string; ResultPath?: string | null; Retry?: { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number; BackoffRate?: number; MaxDelaySeconds?: number; JitterStrategy?: string }[]; Branches?: StateMachineDefinition[]; ItemProcessor?: StateMachineDefinition; Iterator?: StateMachineDefinition };

/** Every state of a definition, nested Parallel branches and Map processors included (names are unique machine-wide). */
export function allStates(definition: { States: Record<string, unknown> }): [string, AnyState][] {
  const out: [string, AnyState][] = [];
  for (const [name, raw] of Object.entries(definition.States)) {
    const state = raw as AnyState;
    out.push([name, state]);
    for (const branch of state.Branches ?? []) out.push(...allStates(branch as never));
    if (state.ItemProcessor) out.push(...allStates(state.ItemProcessor as never));
    if (state.Iterator) out.push(...allStates(state.Iterator as never));
  }
  return out;
}

/** The value at a dotted path (`a.b`) of a JSON value, or undefined. */
function valueAt(value: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

/** The `${...FunctionArn}` placeholders of an ASL text, by function name. */
export function placeholdersOf(aslText: string): string[] {
  return [...new Set([...aslText.matchAll(/\$\{(\w+)FunctionArn\}/g)].map((m) => m[1]))].sort();
}

/**
 * Load an ASL file and substitute its placeholders, as CloudFormation's DefinitionSubstitutions does on AWS with
 * the real values: Lambda ARNs with local ones, the registry table's name with the local table's. The file itself
 * is never changed.
 */
export function loadDefinition(workflow: WorkflowName, options: { registryTable?: string } = {}): StateMachineDefinition {
  let text = readFileSync(join(STATEMACHINE_DIR, WORKFLOWS[workflow]), 'utf8');
  for (const name of placeholdersOf(text)) text = text.split(`\${${functionArnPlaceholder(name)}}`).join(localFunctionArn(name));
  text = text.split(`\${${REGISTRY_TABLE_PLACEHOLDER}}`).join(options.registryTable ?? localRegistryTable());
  return JSON.parse(text) as StateMachineDefinition;
}

export interface EngineOptions {
  store: ExecutionStore;
  /**
   * Real AWS durations are divided by this: Wait states and Retry intervals run `timeScale` times faster, keeping
   * their shape (backoff, jitter). 1 = real time; Infinity = no waiting at all.
   */
  timeScale?: number;
  /** The functions Task states call, by name (default: every step of the product). */
  functions?: Record<string, LocalHandler>;
  /** The registry table the `dynamodb:updateItem` tasks write (default `REGISTRY_TABLE_NAME`, else the local table). */
  registryTable?: string;
  /**
   * Handlers for SDK service-integration Tasks, by Resource (`arn:aws:states:::dynamodb:updateItem`), instead of the
   * real call to the AWS endpoint (tests that run without moto).
   */
  serviceIntegrations?: Record<string, (parameters: unknown) => Promise<unknown>>;
}

export interface LocalExecution {
  executionArn: string;
  /** Resolves with the final record when the execution ends (it never rejects for a failed execution). */
  done: Promise<ExecutionRecord>;
  /** Stop the execution (StopExecution). */
  stop(error?: string, cause?: string): void;
  /** Called with each batch of history events as they are recorded (live progress). */
  onEvents(listener: (events: HistoryEvent[]) => void): void;
  /** The history so far (a live array: read it and subscribe with `onEvents` in the same tick to miss nothing). */
  readonly history: readonly HistoryEvent[];
}

/**
 * Runs the product's real ASL files on aws-local-stepfunctions, with the step handlers in this process, and
 * records each execution (status, output, AWS-shaped history) in an {@link ExecutionStore}.
 */
export class LocalEngine {
  readonly store: ExecutionStore;
  private readonly timeScale: number;
  private readonly baseFunctions: Record<string, LocalHandler>;
  private functions: Record<string, LocalHandler>;
  private readonly registryTable?: string;
  private readonly serviceIntegrations: Record<string, (parameters: unknown) => Promise<unknown>>;
  private readonly running = new Map<string, LocalExecution>();

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.timeScale = options.timeScale ?? 1;
    this.baseFunctions = options.functions ?? localFunctions;
    this.functions = this.baseFunctions;
    this.registryTable = options.registryTable;
    this.serviceIntegrations = options.serviceIntegrations ?? {};
  }

  /**
   * Replace some step functions for the executions started from now on (tests: a step that fails, on a stack whose
   * engine the API drives), or go back to the ones given at construction with no argument. Running executions keep
   * the handlers they started with, as a deploy would (published versions).
   *
   * @example stack.engine.overrideFunctions({ Verify: failing }); ...; stack.engine.overrideFunctions();
   */
  overrideFunctions(overrides?: Record<string, LocalHandler>): void {
    this.functions = { ...this.baseFunctions, ...(overrides ?? {}) };
  }

  /** Executions still running in this process, by ARN. */
  get runningExecutions(): ReadonlyMap<string, LocalExecution> {
    return this.running;
  }

  private scaled(seconds: number): number {
    return Number.isFinite(this.timeScale) ? Math.round((seconds * 1000) / this.timeScale) : 0;
  }

  /** Start an execution. The name must be unused (the caller decides AWS's name semantics). */
  start(workflow: WorkflowName, name: string, input: unknown): LocalExecution {
    if (!isValidExecutionName(name)) {
      throw new Error(`Invalid execution name ${JSON.stringify(name)}: 1-80 characters, no whitespace, brackets, wildcards or special characters`);
    }
    if (!(workflow in WORKFLOWS)) throw new Error(`Unknown workflow ${String(workflow)}`);
    const arn = executionArn(workflow, name);
    const definition = loadDefinition(workflow, { registryTable: this.registryTable });
    const states = allStates(definition);
    const byArn = new Map(Object.keys(this.functions).map((fn) => [localFunctionArn(fn), fn]));

    const taskResourceLocalHandlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number[]> = {};
    const attempts = new Map<string, number[]>();
    // The error of each Task's latest attempt (what the library's Retry matching sees), and the backoff chosen
    // before each retry in AWS seconds: the record keeps them, so the timeline re-times a retry exactly (as it does
    // a Wait) instead of scaling back a measured gap that the local event loop may have stretched.
    const lastError = new Map<string, { name: string; seq: number }>();
    let failures = 0;
    const retryBackoffs: { state: string; seconds: number }[] = [];
    const attempt = async <T>(stateName: string, run: () => Promise<T>): Promise<T> => {
      lastError.delete(stateName);
      try {
        return await run();
      } catch (error) {
        lastError.set(stateName, { name: error instanceof Error ? error.name : 'Error', seq: ++failures });
        throw error;
      }
    };
    // A Wait with `SecondsPath` (the wait loops: the check step returns the next wait, shared/waiting.ts) waits the
    // scaled value its path reads in the latest result of the Task whose ResultPath it points into. The library
    // reads the override when the Wait starts, right after that Task and its Choice in the same branch.
    const latestResults = new Map<string, unknown>();
    const remember = (resultPath: string | null | undefined, result: unknown): unknown => {
      if (typeof resultPath === 'string' && resultPath.startsWith('$.')) latestResults.set(resultPath, result);
      return result;
    };
    for (const [stateName, state] of states) {
      if (state.Type === 'Task' && state.Resource && isServiceIntegration(state.Resource)) {
        // An SDK service integration (the registry's `dynamodb:updateItem`, the completion events' `events:putEvents`):
        // Step Functions itself calls the service.
        const handler =
          this.serviceIntegrations[state.Resource] ??
          serviceIntegrationHandler(stateName, state.Resource, LOCAL_REGION, { executionArn: arn, stateMachineArn: stateMachineArn(workflow), stateDir: this.store.dir });
        taskResourceLocalHandlers[stateName] = (input: JsonValue) => attempt(stateName, () => (handler as (input: JsonValue) => Promise<JsonValue>)(input));
      } else if (state.Type === 'Task' && state.Resource) {
        const fn = byArn.get(state.Resource);
        if (!fn) throw new Error(`State ${stateName} calls ${state.Resource}, which has no local function`);
        const handler = this.functions[fn];
        taskResourceLocalHandlers[stateName] = (taskInput) => attempt(stateName, async () => remember(state.ResultPath, await invokeLocal(fn, handler, taskInput)) as JsonValue);
      }
      if (state.Type === 'Wait' && typeof state.Seconds === 'number') waitTimeOverrides[stateName] = this.scaled(state.Seconds);
      if (state.Type === 'Wait' && typeof state.SecondsPath === 'string') {
        const path = state.SecondsPath;
        Object.defineProperty(waitTimeOverrides, stateName, {
          enumerable: true,
          get: () => {
            const [resultPath, value] = [...latestResults].map(([prefix, result]) => [prefix, path.startsWith(`${prefix}.`) ? valueAt(result, path.slice(prefix.length + 1)) : undefined] as const).find(([, v]) => v !== undefined) ?? [];
            if (typeof value !== 'number') throw new Error(`Wait state ${stateName}: ${path} is not a number in the latest result of ${resultPath ?? 'any Task'}`);
            return this.scaled(value);
          },
        });
      }
      if (state.Retry) {
        // On a failed attempt the library reads `override[i]` of every retrier in turn until one matches the error
        // (several times each, and before it checks MaxAttempts). Answer with AWS's backoff (interval *
        // rate^retries, capped, full jitter when asked), scaled, drawn once per failure and retrier; count a retry
        // only for the retrier AWS chooses: the first whose ErrorEquals matches, while it has attempts left. Counts
        // reset when the state is entered.
        const retriers = state.Retry;
        const counts = retriers.map(() => 0);
        attempts.set(stateName, counts);
        const matches = (r: (typeof retriers)[number], name: string) => r.ErrorEquals.some((e) => e === name || e === 'States.ALL' || e === 'States.TaskFailed');
        let drawn: { seq: number; seconds: Map<number, number> } = { seq: 0, seconds: new Map() };
        retryIntervalOverrides[stateName] = new Proxy([] as number[], {
          get: (target, key) => {
            const i = typeof key === 'string' ? Number(key) : NaN;
            if (!Number.isInteger(i) || !retriers[i]) return Reflect.get(target, key);
            const failure = lastError.get(stateName);
            if (failure && failure.seq !== drawn.seq) drawn = { seq: failure.seq, seconds: new Map() };
            let seconds = drawn.seconds.get(i);
            if (seconds === undefined) {
              const r = retriers[i];
              const ceiling = Math.min((r.IntervalSeconds ?? 1) * Math.pow(r.BackoffRate ?? 2, counts[i]), r.MaxDelaySeconds ?? Infinity);
              seconds = r.JitterStrategy === 'FULL' ? Math.random() * ceiling : ceiling;
              if (failure) drawn.seconds.set(i, seconds);
              const chosen = failure && matches(r, failure.name) && !retriers.slice(0, i).some((earlier) => matches(earlier, failure.name));
              if (chosen && counts[i] < (r.MaxAttempts ?? 3)) {
                counts[i]++;
                retryBackoffs.push({ state: stateName, seconds });
              }
            }
            return this.scaled(seconds);
          },
        });
      }
    }

    // Validating a definition compiles asl-validator's schema (tens of ms): once per definition, not per execution.
    const definitionText = JSON.stringify(definition);
    let machine = VALIDATED_MACHINES.get(definitionText);
    if (!machine) {
      machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
      VALIDATED_MACHINES.set(definitionText, machine);
    }
    const startDate = new Date();
    const inputText = JSON.stringify(input ?? null);
    const record: ExecutionRecord = {
      executionArn: arn,
      stateMachineArn: stateMachineArn(workflow),
      name,
      status: 'RUNNING',
      input: inputText,
      startDate: startDate.toISOString(),
      history: [],
      runnerPid: process.pid,
      ...(Number.isFinite(this.timeScale) ? { timeScale: this.timeScale } : {}),
      retryBackoffs,
    };
    const resourceByState = new Map(states.filter(([, s]) => s.Resource).map(([n, s]) => [n, s.Resource!]));
    const history = new HistoryBuilder((stateName) => resourceByState.get(stateName));
    record.history = history.events;
    this.store.save(record);

    const listeners: ((events: HistoryEvent[]) => void)[] = [];
    const run = machine.run(JSON.parse(inputText), {
      overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: arn, Name: name, Input: JSON.parse(inputText), StartTime: startDate.toISOString(), RoleArn: `arn:aws:iam::123456789012:role/byoc-local` },
        StateMachine: { Id: stateMachineArn(workflow), Name: workflow },
        // `$$.State.EnteredTime`: the library's context is fixed for the whole run, so this is read when a state
        // evaluates its Parameters, within milliseconds of entering it (the registry's timestamps use it).
        State: {
          get EnteredTime() {
            return new Date().toISOString();
          },
        },
      },
    });
    let stopped: { error?: string; cause?: string } | undefined;

    // The record (with its whole history) is rewritten as events come: at most every SAVE_EVERY_MS while it runs (a
    // save per event made the store, not the workflow, the cost of many executions at once), at once when it ends.
    let lastSave = Date.now();
    let pendingSave: NodeJS.Timeout | undefined;
    const persist = (now: boolean) => {
      const wait = SAVE_EVERY_MS - (Date.now() - lastSave);
      if (now || wait <= 0) {
        if (pendingSave) clearTimeout(pendingSave);
        pendingSave = undefined;
        lastSave = Date.now();
        this.store.save(record);
      } else {
        pendingSave ??= setTimeout(() => persist(true), wait);
      }
    };

    const done = (async () => {
      for await (const log of run.eventLogs) {
        if (log.type === 'StateEntered') {
          const counts = attempts.get(log.state.name);
          if (counts) counts.fill(0);
        }
        const added = history.add(log);
        if (log.type === 'ExecutionSucceeded') {
          record.status = 'SUCCEEDED';
          record.output = JSON.stringify(log.output ?? null);
        } else if (log.type === 'ExecutionFailed') {
          record.status = 'FAILED';
          record.error = log.Error;
          record.cause = typeof log.Cause === 'string' ? log.Cause : JSON.stringify(log.Cause ?? '');
        } else if (log.type === 'ExecutionAborted') {
          record.status = 'ABORTED';
          record.error = stopped?.error;
          record.cause = stopped?.cause;
          // AWS records StopExecution's error and cause on the ExecutionAborted event too.
          for (const event of added) if (event.type === 'ExecutionAborted') event.executionAbortedEventDetails = { error: stopped?.error, cause: stopped?.cause };
        } else if (log.type === 'ExecutionTimeout') {
          record.status = 'TIMED_OUT';
        }
        if (record.status !== 'RUNNING') record.stopDate = new Date(log.timestamp).toISOString();
        persist(record.status !== 'RUNNING');
        if (added.length > 0) for (const listener of listeners) listener(added);
      }
      try {
        await run.result;
      } catch {
        // The failure is already in the record through the ExecutionFailed event.
      }
      if (record.status === 'RUNNING') {
        // Defensive: the engine ended without a terminal event.
        record.status = 'FAILED';
        record.error = 'States.Runtime';
        record.stopDate = new Date().toISOString();
      }
      persist(true);
      this.running.delete(arn);
      return record;
    })();

    const execution: LocalExecution = {
      executionArn: arn,
      done,
      stop: (error, cause) => {
        stopped = { error, cause };
        run.abort();
      },
      onEvents: (listener) => listeners.push(listener),
      history: history.events,
    };
    this.running.set(arn, execution);
    return execution;
  }
}
