import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalEngine, type WorkflowName } from '../../local/engine';
import { ExecutionStore, type ExecutionRecord } from '../../local/executions';
import type { LocalHandler } from '../../local/functions';
import { installAccountFaults } from '../../local/realism/account-faults';
import { useMoto } from './moto';

/**
 * moto + the local Step Functions engine for one test file. `run()` executes a workflow to its end.
 * Waits and retries run `timeScale` times faster than on AWS (default: no waiting at all).
 *
 * @example const stack = useLocalStack(); const record = await stack.run('byoc-provision', request);
 */
export function useLocalStack(options: { timeScale?: number } = {}) {
  const moto = useMoto();
  // moto acts on EC2 DryRun calls (the Preflight step's probes) and lacks iam:SimulatePrincipalPolicy: answer them as
  // AWS does, as the local stack's realism layer always does (local/realism/account-faults.ts).
  let guard: ReturnType<typeof installAccountFaults> | undefined;
  beforeAll(() => void (guard = installAccountFaults([], () => undefined, { answerDryRun: true })));
  afterAll(() => guard?.uninstall());
  const store = new ExecutionStore(mkdtempSync(join(tmpdir(), 'byoc-test-')));
  let counter = 0;
  return {
    moto,
    store,
    /** An engine, optionally with some functions replaced (e.g. to make a step fail). */
    engine(functions?: Record<string, LocalHandler>, timeScale = options.timeScale ?? Infinity): LocalEngine {
      return new LocalEngine({ store, timeScale, functions });
    },
    /** Run a workflow to its end and return the execution record. */
    async run(workflow: WorkflowName, input: unknown, opts: { name?: string; functions?: Record<string, LocalHandler>; timeScale?: number } = {}): Promise<ExecutionRecord> {
      const engine = this.engine(opts.functions, opts.timeScale);
      return engine.start(workflow, opts.name ?? `test-${process.pid}-${++counter}-${Date.now()}`, input).done;
    },
  };
}

/** The parsed output of a succeeded execution. */
export function outputOf<T = Record<string, unknown>>(record: ExecutionRecord): T {
  if (record.status !== 'SUCCEEDED') throw new Error(`execution ${record.name} ${record.status}: ${record.error} ${record.cause}`);
  return JSON.parse(record.output!) as T;
}
