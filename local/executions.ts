import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution as the local stack records it: the fields DescribeExecution returns, plus the history. */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: string;
  stopDate?: string;
  history: HistoryEvent[];
  /** The process that runs the execution on its local engine (a RUNNING record whose process is gone was cut off). */
  runnerPid?: number;
  /** The AWS account (local endpoint) the execution ran against; see {@link ExecutionStore}. */
  scope?: string;
  /** The local engine ran AWS's waits this many times faster (absent: not at all, the `instant` profile); the timeline scales back with it. */
  timeScale?: number;
  /**
   * The backoff the local engine chose before each retry, in AWS seconds, in order (the timeline uses them: a
   * measured gap, scaled back, would also scale up whatever delayed the local event loop).
   */
  retryBackoffs?: { state: string; seconds: number }[];
}

/** True while the process that runs a RUNNING record is alive. */
export function runnerAlive(record: Pick<ExecutionRecord, 'runnerPid'>): boolean {
  if (!record.runnerPid) return true;
  try {
    process.kill(record.runnerPid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Characters Step Functions refuses in execution names: whitespace, brackets, wildcards and specials. */
const BAD_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControl = (c: string): boolean => {
  const code = c.charCodeAt(0);
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
};

/** AWS's rule for execution names: 1-80 characters, none of whitespace, brackets, wildcards, specials or control characters. */
export function isValidExecutionName(name: unknown): name is string {
  return typeof name === 'string' && name.length >= 1 && name.length <= 80 && !BAD_NAME_CHARACTER.test(name) && ![...name].some(isControl);
}

export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';
export const stateMachineArn = (name: string): string => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
export const executionArn = (stateMachine: string, name: string): string => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${stateMachine}:${name}`;

/** Step Functions keeps a closed execution (status, input, output, history) this many days, then forgets it. */
export const CLOSED_EXECUTION_RETENTION_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Parse `arn:aws:states:...:execution:<machine>:<name>`. */
export function parseExecutionArn(arn: string): { stateMachine: string; name: string } | undefined {
  const m = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:([^:]+):([^:]+)$/.exec(arn);
  return m ? { stateMachine: m[1], name: m[2] } : undefined;
}

/**
 * Executions recorded on disk, one JSON file each under `<dir>/executions/<stateMachine>/<name>.json`, so that
 * `byoc status` works from a new process. Writes go to a temporary file first and are renamed into place, so a
 * reader never sees half a record.
 */
export class ExecutionStore {
  /**
   * @param scope the AWS account the executions belong to (the local stack's endpoint; an embedded moto is a new
   * account each run). A store with a scope sees only its own executions (and those recorded without one), as the
   * Step Functions of one account sees only that account's, so an execution of a moto that is gone never answers
   * for the account of another. Without a scope (`byoc status`), every execution is seen.
   */
  constructor(
    readonly dir: string,
    readonly scope?: string,
  ) {}

  private file(stateMachine: string, name: string): string {
    return join(this.dir, 'executions', stateMachine, `${name}.json`);
  }

  save(record: ExecutionRecord): void {
    if (this.scope) record.scope ??= this.scope;
    const parsed = parseExecutionArn(record.executionArn);
    if (!parsed) throw new Error(`not an execution ARN: ${record.executionArn}`);
    const file = this.file(parsed.stateMachine, parsed.name);
    mkdirSync(join(this.dir, 'executions', parsed.stateMachine), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(record, null, 1));
    renameSync(tmp, file);
  }

  load(arn: string): ExecutionRecord | undefined {
    const parsed = parseExecutionArn(arn);
    if (!parsed) return undefined;
    const file = this.file(parsed.stateMachine, parsed.name);
    if (!existsSync(file)) return undefined;
    const record = JSON.parse(readFileSync(file, 'utf8')) as ExecutionRecord;
    if (this.scope && record.scope && record.scope !== this.scope) return undefined; // another account's
    for (const e of record.history) e.timestamp = new Date(e.timestamp as unknown as string);
    if (record.status === 'RUNNING' && record.runnerPid !== process.pid && !runnerAlive(record)) {
      // The process that ran it on its local engine stopped (Ctrl-C, a crash): nothing will ever finish it.
      record.status = 'ABORTED';
      record.error = 'States.Aborted';
      record.cause = `the process that ran it (pid ${record.runnerPid}) stopped before it ended; a teardown removes what it made`;
      record.stopDate = (record.history.length ? new Date(record.history[record.history.length - 1].timestamp!) : new Date()).toISOString();
    }
    return record;
  }

  /**
   * Forget the closed executions that stopped more than `olderThanDays` days before `now`, as Step Functions does
   * 90 days after an execution closes: DescribeExecution and GetExecutionHistory then answer ExecutionDoesNotExist,
   * and ListExecutions no longer lists it. Running executions are never forgotten. Tests simulate the passing of
   * time with `now` (e.g. 91 days ahead). Returns the ARNs forgotten.
   *
   * @example store.forgetClosed({ olderThanDays: 90, now: Date.now() + 91 * 24 * 3600 * 1000 })
   */
  forgetClosed(options: { olderThanDays?: number; now?: Date | number } = {}): string[] {
    const days = options.olderThanDays ?? CLOSED_EXECUTION_RETENTION_DAYS;
    const now = options.now === undefined ? Date.now() : new Date(options.now).getTime();
    const root = join(this.dir, 'executions');
    if (!existsSync(root)) return [];
    const forgotten: string[] = [];
    for (const machine of readdirSync(root)) {
      for (const record of this.list(machine)) {
        if (record.status === 'RUNNING' || !record.stopDate || now - Date.parse(record.stopDate) <= days * DAY_MS) continue;
        const parsed = parseExecutionArn(record.executionArn)!;
        rmSync(this.file(parsed.stateMachine, parsed.name), { force: true });
        forgotten.push(record.executionArn);
      }
    }
    return forgotten;
  }

  /** Every execution of a state machine, newest first. */
  list(stateMachine: string): ExecutionRecord[] {
    const folder = join(this.dir, 'executions', stateMachine);
    if (!existsSync(folder)) return [];
    return readdirSync(folder)
      .filter((f) => f.endsWith('.json'))
      .map((f) => this.load(executionArn(stateMachine, f.slice(0, -'.json'.length)))!)
      .filter(Boolean)
      .sort((a, b) => b.startDate.localeCompare(a.startDate));
  }
}
