import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ApiError, startProvisioning, startTeardown, type ProvisioningSummary, type StartedExecution } from '../../shared/api/provisionings';
import { updateProvisioningOidc } from '../../shared/api/oidc';
import { ec2Client, iamClient, route53Client } from '../../shared/aws/clients';
import { checkExistingVpc } from '../../shared/network/verify';
import { executionsOf, provisionRuns } from '../../shared/registry/record';
import { getRecord } from '../../shared/registry/store';
import { parseRequest } from '../../shared/request';
import type { RequirementCheck } from '../../shared/requirements';
import type { ProvisioningOutputs } from '../../shared/state';
import { readableError, summarizeHistory } from '../../shared/status';
import { ExecutionStore, executionArn, LOCAL_REGION, stateMachineArn, type ExecutionRecord } from '../executions';
import { ProgressPrinter } from '../progress';
import { ProvisioningIndex, type ProvisioningView } from '../provisionings';
import { startLocalStack, type LocalStack } from '../stack';
import type { Backend, Ended, LocalStackFlags, StatusSummary, TeardownReport } from './backend';
import { OperationFailed, stateDirOf, UsageError, type Io } from './context';

/** True when an AWS endpoint still answers (any HTTP answer counts). */
const answers = (endpoint: string): Promise<boolean> => fetch(endpoint).then(
  () => true,
  () => false,
);

/**
 * Point the SDK at the endpoint whose registry holds the provisioning (unless AWS_ENDPOINT_URL says where): false
 * when that endpoint is gone (an embedded moto ends with the command that started it, unless --keep).
 */
async function attachToRegistryOf(view: ProvisioningView | undefined): Promise<boolean> {
  if (process.env.AWS_ENDPOINT_URL) return true;
  if (!view) return true; // nothing known: a new embedded moto
  if (!(await answers(view.awsEndpoint))) return false;
  process.env.AWS_ENDPOINT_URL = view.awsEndpoint;
  return true;
}

/** The requirement checks the Verify step made (from its output in the history). */
function verifiedRequirements(record: ExecutionRecord): RequirementCheck[] {
  const exit = record.history.find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Verify');
  const output = exit?.stateExitedEventDetails?.output ? (JSON.parse(exit.stateExitedEventDetails.output) as { verification?: { checks?: RequirementCheck[] } }) : undefined;
  return output?.verification?.checks ?? [];
}

/** What each undo step reports (`deleted`: it deleted that now; `notFound`: it was not there), collected. */
export function teardownReportOf(output: unknown): TeardownReport {
  const o = output as { deleted?: Record<string, { deleted?: unknown; notFound?: unknown }>; kept?: TeardownReport['kept'] } | null;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const steps = Object.values(o?.deleted ?? {});
  return { deleted: steps.flatMap((s) => strings(s?.deleted)), notFound: [...new Set(steps.flatMap((s) => strings(s?.notFound)))], kept: o?.kept ?? [] };
}

/** Refresh a view from the registry when its endpoint still answers (a view is only a copy of the last read). */
async function refreshed(view: ProvisioningView): Promise<ProvisioningView> {
  const endpoint = process.env.AWS_ENDPOINT_URL || view.awsEndpoint;
  if (!view.record || !(await answers(endpoint))) return view;
  const dynamodb = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'testing', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing', sessionToken: process.env.AWS_SESSION_TOKEN },
    maxAttempts: 1,
  });
  try {
    const record = await getRecord(view.provisioningId, { dynamodb, tableName: view.registryTable });
    return record ? new ProvisioningIndex(stateDirOf()).put({ ...view, record }) : view;
  } catch {
    return view; // not our registry any more (another moto on that port): keep the copy
  } finally {
    dynamodb.destroy();
  }
}

/**
 * The local stack: an embedded moto (or `AWS_ENDPOINT_URL`), the local Step Functions engine and API, the registry
 * on that endpoint, and the CLI's copies of registry records in the state folder (`BYOC_STATE_DIR`, `.byoc`).
 * The stack is started by `open()` (or by the first operation that needs it) and stopped by `close()`.
 */
export class LocalBackend implements Backend {
  readonly mode = 'local' as const;
  private stack?: LocalStack;
  private readonly index = new ProvisioningIndex(stateDirOf());

  constructor(
    private readonly flags: LocalStackFlags,
    private readonly options: { sfnServer?: boolean; defaultProfile?: string } = {},
  ) {}

  async open(): Promise<void> {
    this.stack ??= await startLocalStack({ profile: this.flags.profile ?? this.options.defaultProfile, faults: this.flags.faults, seed: this.flags.seed, iam: this.flags.iam, sfnServer: this.options.sfnServer });
  }

  private async running(): Promise<LocalStack> {
    await this.open();
    return this.stack!;
  }

  where(form: 'short' | 'long' = 'short'): string {
    const stack = this.stack!;
    return `AWS endpoint: ${stack.awsEndpoint}${form === 'long' && stack.moto ? ' (embedded moto)' : ''}`;
  }

  describe(): string[] {
    const stack = this.stack!;
    const scale = Number.isFinite(stack.profile.timeScale) ? `AWS time / ${stack.profile.timeScale}` : 'no waiting';
    return [`Local stack profile: ${stack.profile.name} (${scale}); seed ${stack.seed} (replay with --seed ${stack.seed}); IAM ${stack.profile.iam ? 'enforced (--iam off to skip)' : 'not enforced'}${stack.realism.faults.length ? `; faults: ${stack.realism.faults.map((f) => f.text).join(',')}` : ''}`];
  }

  /** What the realism layer did to this run (throttles, lost responses, ...), so a chaos run can be understood. */
  notes(): string[] {
    const counts = Object.entries(this.stack!.realism.counts()).filter(([, n]) => n > 0);
    return counts.length > 0 ? [`Injected by the local stack: ${counts.map(([kind, n]) => `${kind} ${n}`).join(', ')}`] : [];
  }

  async startProvisioning(request: Record<string, unknown>): Promise<StartedExecution> {
    const stack = await this.running();
    return startProvisioning(request, stack.serviceDeps());
  }

  canFollow(started: StartedExecution): boolean {
    return Boolean(this.stack?.engine.runningExecutions.has(started.executionArn));
  }

  async waitForEnd(started: StartedExecution, progress: (line: string) => void): Promise<Ended> {
    const stack = await this.running();
    const execution = stack.engine.runningExecutions.get(started.executionArn);
    if (!execution) throw new Error(`execution ${started.executionArn} is not running here`);
    const t0 = Date.now();
    const first = execution.history[0]?.timestamp;
    const printer = new ProgressPrinter(progress, first ? new Date(first).getTime() : Date.now());
    // What happened before we looked, then the rest as it comes (same tick: nothing is missed or printed twice).
    printer.print([...execution.history]);
    execution.onEvents((events) => printer.print(events));
    const record = await execution.done;
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    const output = JSON.parse(record.output ?? 'null') as unknown;
    const ok = record.status === 'SUCCEEDED';
    return {
      ok,
      status: record.status,
      seconds,
      checks: ok && started.kind !== 'teardown' ? verifiedRequirements(record) : [],
      ...(ok && started.kind !== 'teardown' ? { outputs: output as ProvisioningOutputs } : {}),
      ...(ok && started.kind === 'teardown' ? { teardown: teardownReportOf(output) } : {}),
      ...(ok ? {} : { error: readableError(record.error, record.cause) }),
    };
  }

  /** Rewrite the CLI's view of a provisioning from its registry record (the registry is the truth; the view a copy). */
  async current(provisioningId: string, extra: { region?: string } = {}) {
    const stack = await this.running();
    const record = await getRecord(provisioningId, stack.serviceDeps().registry);
    const where = { awsEndpoint: stack.awsEndpoint, embedded: Boolean(stack.moto), registryTable: stack.registryTable };
    // An embedded moto kept up (--keep) and reached from another command is still the embedded one.
    const before = this.index.get(provisioningId);
    if (before?.embedded && before.awsEndpoint === where.awsEndpoint) where.embedded = true;
    const view = this.index.put({ provisioningId, record, ...where, ...extra });
    return { status: view.record?.status, outputs: view.record?.outputs, region: view.region };
  }

  async status(provisioningId: string): Promise<StatusSummary> {
    const store = new ExecutionStore(stateDirOf());
    const found = this.index.get(provisioningId);
    const view = found ? await refreshed(found) : undefined;
    const record = view?.record;
    if (!view || !record) throw new OperationFailed(`No provisioning ${provisioningId} is recorded in ${stateDirOf()}.`);
    // The latest run of the provision state machine: an attempt or an update.
    const attempt = provisionRuns(record).at(-1);
    const teardownEntry = executionsOf(record, 'teardown').at(-1);
    // Per-step progress from the execution's history, while this machine still has it.
    const execution = attempt ? store.load(executionArn('byoc-provision', attempt.name)) : undefined;
    return {
      provisioningId,
      status: record.status,
      execution: attempt?.name,
      startedAt: attempt?.startedAt,
      stoppedAt: attempt?.stoppedAt,
      steps: execution ? summarizeHistory(execution.history) : [],
      outputs: record.outputs ?? undefined,
      error: attempt?.error ? readableError(attempt.error.error, attempt.error.cause) : undefined,
      teardown: teardownEntry ? { execution: teardownEntry.name, status: teardownEntry.status, stoppedAt: teardownEntry.stoppedAt } : undefined,
      executions: record.executions.map((e) => ({ kind: e.kind, name: e.name, status: e.status, outcome: e.outcome, startedAt: e.startedAt, stoppedAt: e.stoppedAt })),
      registry: { awsEndpoint: view.awsEndpoint, table: view.registryTable, readAt: view.viewedAt },
    };
  }

  /** The copies in the state folder (each as last read from its registry), newest change first. */
  async list(query: { status?: string }): Promise<ProvisioningSummary[]> {
    let files: string[] = [];
    try {
      files = readdirSync(join(stateDirOf(), 'provisionings')).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
    const rows: ProvisioningSummary[] = [];
    for (const file of files) {
      const record = this.index.get(file.slice(0, -'.json'.length))?.record;
      if (!record || (query.status && record.status !== query.status)) continue;
      rows.push({
        provisioningId: record.provisioningId,
        status: record.status,
        projectName: typeof record.request?.projectName === 'string' ? record.request.projectName : null,
        region: typeof record.request?.region === 'string' ? record.request.region : null,
        createdAt: record.createdAt,
        updatedAt: record.updatedAt,
        currentExecution: null,
        attempts: executionsOf(record, 'provision').length,
        updates: executionsOf(record, 'update').length,
        teardowns: executionsOf(record, 'teardown').length,
      });
    }
    return rows.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }

  async startTeardown(provisioningId: string, options: { region?: string; force?: boolean; onReady?: () => void }): Promise<StartedExecution | { gone: string }> {
    const view = this.index.get(provisioningId);
    if (!view && !options.region) throw new UsageError(`no record of provisioning ${provisioningId} here: give its region with --region`);
    if (!this.stack && !(await attachToRegistryOf(view))) {
      return { gone: `Provisioning ${provisioningId} was built on ${view!.embedded ? 'an embedded moto' : 'an endpoint'} (${view!.awsEndpoint}) that has stopped; nothing of it is left to remove.` };
    }
    const stack = await this.running();
    options.onReady?.();
    try {
      return await startTeardown(provisioningId, stack.serviceDeps(), { whileTearingDown: 'refuse', force: Boolean(options.force) });
    } catch (error) {
      if (!(error instanceof ApiError) || error.statusCode !== 404) throw error;
      // The registry here never saw it (made elsewhere, or before the registry): remove what carries its tag.
      const region = options.region ?? view?.region;
      if (!region) throw new UsageError(`the registry at ${stack.awsEndpoint} has no provisioning ${provisioningId}: give its region with --region to remove what carries its tag`);
      let n = 1;
      while (stack.store.load(executionArn('byoc-teardown', `${provisioningId}--teardown-${n}`))) n++;
      const started = stack.engine.start('byoc-teardown', `${provisioningId}--teardown-${n}`, { provisioningId, region });
      return { provisioningId, executionArn: started.executionArn, status: 'TEARING_DOWN', startedAt: new Date().toISOString(), kind: 'teardown' };
    }
  }

  async updateOidc(provisioningId: string, issuerUrl: string) {
    const view = this.index.get(provisioningId);
    if (!view) throw new UsageError(`no record of provisioning ${provisioningId} in ${stateDirOf()}`);
    if (!this.stack && !(await attachToRegistryOf(view))) {
      throw new OperationFailed(`Provisioning ${provisioningId} was built on an embedded moto that has stopped; run provision with --keep, or set AWS_ENDPOINT_URL.`);
    }
    const stack = await this.running();
    // The same service as POST /provisionings/{id}/oidc: role names, region and account from the registry.
    const result = await updateProvisioningOidc(provisioningId, { oidcIssuerUrl: issuerUrl }, { ...stack.serviceDeps(), iam: iamClient });
    await this.current(provisioningId);
    return result;
  }

  async checkVpc(vpcId: string, region: string): Promise<RequirementCheck[]> {
    if (!process.env.AWS_ENDPOINT_URL) throw new UsageError('check-vpc reads an existing VPC: set AWS_ENDPOINT_URL to the endpoint that has it (the embedded moto starts empty)');
    await this.running();
    const target = { region };
    return checkExistingVpc(vpcId, { ec2: ec2Client(target), route53: route53Client(target), region });
  }

  async validate(request: unknown): Promise<void> {
    parseRequest(request);
  }

  /** Keep the stack up until Ctrl-C, printing how to look at it. */
  async holdOpen(provisioningId: string, region: string, io?: Io): Promise<void> {
    const stack = this.stack!;
    const out = io?.out ?? ((l: string) => process.stdout.write(`${l}\n`));
    out('');
    out(`The local stack stays up (--keep). AWS endpoint: ${stack.awsEndpoint}`);
    out('Inspect it from another shell, e.g.:');
    out(`  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url ${stack.awsEndpoint} --region ${region} \\`);
    out(`    ec2 describe-vpcs --filters Name=tag:byoc:provisioning-id,Values=${provisioningId}`);
    out(`  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url ${stack.awsEndpoint} --region us-east-1 \\`);
    out(`    dynamodb get-item --table-name ${stack.registryTable} --key '{"provisioningId":{"S":"${provisioningId}"}}'`);
    if (stack.sfnEndpoint) {
      out('The local Step Functions API answers too, e.g.:');
      out(`  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url ${stack.sfnEndpoint} --region us-east-1 \\`);
      out(`    stepfunctions list-executions --state-machine-arn ${stateMachineArn('byoc-provision')}`);
    }
    out(`Tear it down from another shell:  AWS_ENDPOINT_URL=${stack.awsEndpoint} npx byoc teardown ${provisioningId}`);
    out('Press Ctrl-C to stop the local stack.');
    await new Promise<void>((done) => {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    });
  }

  async close(): Promise<void> {
    await this.stack?.stop();
  }
}
