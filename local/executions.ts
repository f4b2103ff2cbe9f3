import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
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
  constructor(readonly dir: string) {}

  private file(stateMachine: string, name: string): string {
    return join(this.dir, 'executions', stateMachine, `${name}.json`);
  }

  save(record: ExecutionRecord): void {
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
