import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ApiError, startProvisioning, startTeardown } from '../shared/api/provisionings';
import { updateProvisioningOidc } from '../shared/api/oidc';
import { ec2Client, iamClient, route53Client } from '../shared/aws/clients';
import { InvalidInputError } from '../shared/errors';
import { checkExistingVpc } from '../shared/network/verify';
import { executionsOf, provisionRuns } from '../shared/registry/record';
import { getRecord } from '../shared/registry/store';
import { parseRequest } from '../shared/request';
import type { RequirementCheck } from '../shared/requirements';
import type { ProvisioningOutputs } from '../shared/state';
import { readableError, summarizeHistory } from '../shared/status';
import type { FieldChange } from '../shared/update/plan';
import type { LocalExecution } from './engine';
import { ExecutionStore, executionArn, LOCAL_REGION, stateMachineArn, type ExecutionRecord } from './executions';
import { MotoMissingError } from './moto';
import { ProgressPrinter } from './progress';
import { parseFaultSpec } from './realism/fault-spec';
import { resolveProfile } from './realism/profiles';
import { ProvisioningIndex, type ProvisioningView } from './provisionings';
import { startLocalStack, type LocalStack } from './stack';

const USAGE = `byoc - provision a customer's AWS account for BYOC (VPC + EKS IAM role), on the local stack

Usage:
  byoc provision [--request FILE] [--id ID] [--keep] [--profile NAME] [--faults SPEC] [--seed N] [--verbose]
  byoc teardown ID [--region REGION] [--force] [--keep] [--profile NAME] [--faults SPEC] [--seed N] [--verbose]
  byoc status ID [--json]
  byoc update-oidc ID --issuer URL
  byoc check-vpc VPC_ID --region REGION [--json]
  byoc validate [--request FILE]
  byoc help

Options:
  --request FILE   the provisioning request (JSON); default examples/request.json
  --id ID          the provisioning ID (default: the request's provisioningId, else a new one). An ID that
                   exists with another request is updated in place when every change is in place (tags,
                   security group CIDRs, ...); a change that needs new resources is refused (exit 2)
  --keep           keep the local stack running afterwards, to inspect it with the AWS CLI (Ctrl-C stops it)
  --profile NAME   how much the local stack behaves like AWS: instant (moto as is), realistic (default: AWS
                   timing /100, eventual consistency, throttling), chaos (realistic + random faults)
  --faults SPEC    inject faults, e.g. CreateNatGateway:fail  or  *:error5xx=0.2,CreateVpc:lose-response
                   (Operation or *, then fail | throttle=RATE | error5xx=RATE | timeout=RATE | lose-response | delay=SECONDS)
  --seed N         replay the random choices of an earlier run (its seed is printed)
  --region REGION  teardown: the region, when this machine has no record of the provisioning
  --issuer URL     update-oidc: the EKS cluster's OIDC issuer (R1), e.g. https://oidc.eks.us-west-2.amazonaws.com/id/ABC
  --json           status, check-vpc: print JSON
  --verbose        show the steps' JSON logs

Environment:
  AWS_ENDPOINT_URL  use this AWS endpoint (LocalStack, a moto you started) instead of starting moto
  BYOC_STATE_DIR    where executions and the views of the registry are kept (default ./.byoc)
`;

/** A CLI usage or input error: printed without a stack trace, exit code 2. */
class UsageError extends Error {}

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

const stateDirOf = () => resolve(process.env.BYOC_STATE_DIR ?? '.byoc');

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Print a value as indented `key: value` lines (arrays of objects one per line). */
function printOutputs(value: unknown, io: Io, indent = '  '): void {
  if (value === null || typeof value !== 'object') {
    io.out(`${indent}${String(value)}`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) {
      io.out(`${indent}${key}:`);
      for (const item of v) io.out(`${indent}  - ${typeof item === 'object' && item ? Object.entries(item).map(([k, x]) => `${k}=${String(x)}`).join('  ') : String(item)}`);
    } else if (v && typeof v === 'object') {
      io.out(`${indent}${key}:`);
      printOutputs(v, io, `${indent}  `);
    } else {
      io.out(`${indent}${key}: ${v === null ? '-' : String(v)}`);
    }
  }
}

/**
 * C1: what the customer pastes into the vendor console's BYOC project form, grouped as the console groups it, and
 * the same values as the vendor API's `awsParam` body (for a control plane).
 */
function printConsoleBlock(outputs: ProvisioningOutputs, io: Io): void {
  const c = outputs.console;
  io.out('');
  io.out('Paste into the vendor console (BYOC project):');
  io.out('  Storage settings');
  io.out(`    Bucket name             ${c.storage.bucketName}`);
  io.out(`    Storage role ARN        ${c.storage.storageRoleArn}`);
  io.out('  EKS settings');
  io.out(`    IAM role ARN            ${c.eks.eksRoleArn}`);
  io.out('  Cross-account settings');
  io.out(`    Role ARN                ${c.crossAccount.crossAccountRoleArn}`);
  io.out(`    External ID             ${c.crossAccount.externalId}`);
  io.out('  Network settings');
  io.out(`    VPC ID                  ${c.network.vpcId}`);
  io.out(`    Subnet IDs              ${c.network.subnetIds.join(', ')}`);
  io.out(`    Security group ID       ${c.network.securityGroupId}`);
  io.out(`    VPC endpoint ID         ${c.network.vpcEndpointId ?? '(none: network.vpcEndpoint is off)'}`);
  io.out('');
  io.out(`Vendor API awsParam: ${JSON.stringify(outputs.vendorApi)}`);
}

const REALISM_OPTIONS = { profile: { type: 'string' }, faults: { type: 'string' }, seed: { type: 'string' } } as const;

/** The local stack options the realism flags ask for; `realistic` unless told otherwise. */
function realismOf(values: { profile?: string; faults?: string; seed?: string }) {
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed <= 0) throw new UsageError(`--seed must be a positive whole number, got "${values.seed}"`);
  }
  const profile = values.profile ?? 'realistic';
  try {
    resolveProfile(profile);
    parseFaultSpec(values.faults);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { profile, faults: values.faults, seed };
}

function describeStack(stack: LocalStack, io: Io): void {
  const scale = Number.isFinite(stack.profile.timeScale) ? `AWS time / ${stack.profile.timeScale}` : 'no waiting';
  io.out(`Local stack profile: ${stack.profile.name} (${scale}); seed ${stack.seed} (replay with --seed ${stack.seed})${stack.realism.faults.length ? `; faults: ${stack.realism.faults.map((f) => f.text).join(',')}` : ''}`);
}

/** What the realism layer did to this run (throttles, lost responses, ...), so a chaos run can be understood. */
function reportRealism(stack: LocalStack, io: Io): void {
  const counts = Object.entries(stack.realism.counts()).filter(([, n]) => n > 0);
  if (counts.length > 0) io.out(`Injected by the local stack: ${counts.map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
}

/** The requirement checks the Verify step made (from its output in the history). */
function verifiedRequirements(record: ExecutionRecord): RequirementCheck[] {
  const exit = record.history.find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Verify');
  const output = exit?.stateExitedEventDetails?.output ? (JSON.parse(exit.stateExitedEventDetails.output) as { verification?: { checks?: RequirementCheck[] } }) : undefined;
  return output?.verification?.checks ?? [];
}

/** Follow an execution running on this stack's engine with live progress, to its end. */
async function follow(execution: LocalExecution, io: Io): Promise<ExecutionRecord> {
  const first = execution.history[0]?.timestamp;
  const printer = new ProgressPrinter(io.out, first ? new Date(first).getTime() : Date.now());
  // What happened before we looked, then the rest as it comes (same tick: nothing is missed or printed twice).
  printer.print([...execution.history]);
  execution.onEvents((events) => printer.print(events));
  return execution.done;
}

/** Where the registry of this stack lives (kept in the view, so a later command finds it). */
const registryOf = (stack: LocalStack) => ({ awsEndpoint: stack.awsEndpoint, embedded: Boolean(stack.moto), registryTable: stack.registryTable });

/** Rewrite the CLI's view of a provisioning from its registry record (the registry is the truth; the view a copy). */
async function rememberFromRegistry(stack: LocalStack, provisioningId: string, extra: { region?: string } = {}): Promise<ProvisioningView> {
  const index = new ProvisioningIndex(stateDirOf());
  const record = await getRecord(provisioningId, stack.serviceDeps().registry);
  const where = registryOf(stack);
  // An embedded moto kept up (--keep) and reached from another command is still the embedded one.
  const before = index.get(provisioningId);
  if (before?.embedded && before.awsEndpoint === where.awsEndpoint) where.embedded = true;
  return index.put({ provisioningId, record, ...where, ...extra });
}

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

/** Keep the stack up until Ctrl-C, printing how to look at it. */
async function holdOpen(stack: LocalStack, io: Io, provisioningId: string, region: string): Promise<void> {
  io.out('');
  io.out(`The local stack stays up (--keep). AWS endpoint: ${stack.awsEndpoint}`);
  io.out('Inspect it from another shell, e.g.:');
  io.out(`  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url ${stack.awsEndpoint} --region ${region} \\`);
  io.out(`    ec2 describe-vpcs --filters Name=tag:byoc:provisioning-id,Values=${provisioningId}`);
  io.out(`  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url ${stack.awsEndpoint} --region us-east-1 \\`);
  io.out(`    dynamodb get-item --table-name ${stack.registryTable} --key '{"provisioningId":{"S":"${provisioningId}"}}'`);
  if (stack.sfnEndpoint) {
    io.out('The local Step Functions API answers too, e.g.:');
    io.out(`  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url ${stack.sfnEndpoint} --region us-east-1 \\`);
    io.out(`    stepfunctions list-executions --state-machine-arn ${stateMachineArn('byoc-provision')}`);
  }
  io.out(`Tear it down from another shell:  AWS_ENDPOINT_URL=${stack.awsEndpoint} npx byoc teardown ${provisioningId}`);
  io.out('Press Ctrl-C to stop the local stack.');
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
}

/** Print the flat outputs and the console block of a provisioning that succeeded (C1). */
function printProvisioned(outputs: ProvisioningOutputs, io: Io): void {
  // The grouped forms follow as the console block: print the flat fields here, each once.
  const { console: _console, vendorApi: _vendorApi, ...flat } = outputs;
  printOutputs(flat, io);
  printConsoleBlock(outputs, io);
}

async function provision(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { request: { type: 'string' }, id: { type: 'string' }, keep: { type: 'boolean' }, verbose: { type: 'boolean' }, ...REALISM_OPTIONS }, allowPositionals: false });
  const requestFile = resolve(values.request ?? 'examples/request.json');
  const raw = readJson(requestFile) as Record<string, unknown>;
  const provisioningId = values.id ?? (raw.provisioningId as string | undefined) ?? `p-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
  const request = { ...raw, provisioningId };
  // Validate before starting anything: a bad request changes nothing and costs no moto start-up.
  const parsed = parseRequest(request);

  // The provisioning service runs here as it does behind the API: the registry on the endpoint, the local Step
  // Functions API in front of the engine; the lifecycle rules are the same.
  const stack = await startLocalStack({ ...realismOf(values), sfnServer: true });
  try {
    io.out(`Provisioning ${provisioningId} in ${parsed.region} (request: ${requestFile})`);
    io.out(`AWS endpoint: ${stack.awsEndpoint}${stack.moto ? ' (embedded moto)' : ''}`);
    describeStack(stack, io);
    let started;
    try {
      started = await startProvisioning(request, stack.serviceDeps());
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      await rememberFromRegistry(stack, provisioningId);
      io.err(`Provisioning ${provisioningId} refused (${error.code}): ${error.message}`);
      for (const f of (error.details?.fields ?? []) as FieldChange[]) io.err(`  - ${f.field}: ${JSON.stringify(f.before)} -> ${JSON.stringify(f.after)} (${f.why})`);
      return 2;
    }
    const running = stack.engine.runningExecutions.get(started.executionArn);
    if (!running) {
      // The same request as a provisioning this registry has (lifecycle rule "start"): nothing new runs.
      const view = await rememberFromRegistry(stack, provisioningId);
      io.out(`Provisioning ${provisioningId} is already ${started.status} (execution ${started.executionArn}); nothing new was started.`);
      if (view.record?.status === 'SUCCEEDED' && view.record.outputs) printProvisioned(view.record.outputs, io);
      return view.record?.status === 'SUCCEEDED' || view.record?.status === 'PROVISIONING' || view.record?.status === 'UPDATING' ? 0 : 1;
    }
    if (started.kind === 'update') {
      io.out(`Updating ${provisioningId} in place (execution ${started.executionArn.split(':').pop()}); nothing is rolled back if it fails:`);
      for (const c of started.changes ?? []) io.out(`  - ${c.field}: ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)} (${c.why})`);
    }
    const t0 = Date.now();
    const execution = await follow(running, io);
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    const view = await rememberFromRegistry(stack, provisioningId);
    const registryStatus = view.record?.status ?? execution.status;
    reportRealism(stack, io);
    let code = 0;
    if (execution.status === 'SUCCEEDED') {
      io.out('');
      const checks = verifiedRequirements(execution);
      if (checks.length > 0) io.out(`Verified against what AWS reports: ${checks.map((c) => `${CHECK_MARK[c.status]} ${c.id}`).join('  ')}`);
      io.out(`${started.kind === 'update' ? 'Updated' : 'Provisioned'} ${provisioningId} in ${seconds} s. Outputs:`);
      printProvisioned(view.record?.outputs ?? (JSON.parse(execution.output ?? 'null') as ProvisioningOutputs), io);
    } else {
      const err = readableError(execution.error, execution.cause);
      io.err('');
      io.err(`Provisioning ${provisioningId} ${registryStatus} after ${seconds} s: ${err.name}${err.step ? ` in ${err.step}` : ''}: ${err.message}`);
      code = 1;
    }
    if (values.keep) await holdOpen(stack, io, provisioningId, parsed.region);
    return code;
  } finally {
    await stack.stop();
  }
}

/** What each undo step reports (`deleted`: it deleted that now; `notFound`: it was not there), collected. */
function teardownReport(output: { deleted?: Record<string, { deleted?: unknown; notFound?: unknown }> } | null): { deleted: string[]; notFound: string[] } {
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const steps = Object.values(output?.deleted ?? {});
  return { deleted: steps.flatMap((s) => strings(s?.deleted)), notFound: [...new Set(steps.flatMap((s) => strings(s?.notFound)))] };
}

async function teardown(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { region: { type: 'string' }, keep: { type: 'boolean' }, verbose: { type: 'boolean' }, force: { type: 'boolean' }, ...REALISM_OPTIONS }, allowPositionals: true });
  const [provisioningId] = positionals;
  if (!provisioningId) throw new UsageError('teardown needs the provisioning ID: byoc teardown ID');
  const view = new ProvisioningIndex(stateDirOf()).get(provisioningId);
  if (!view && !values.region) throw new UsageError(`no record of provisioning ${provisioningId} here: give its region with --region`);
  if (!(await attachToRegistryOf(view))) {
    io.out(`Provisioning ${provisioningId} was built on ${view!.embedded ? 'an embedded moto' : 'an endpoint'} (${view!.awsEndpoint}) that has stopped; nothing of it is left to remove.`);
    return 0;
  }
  const stack = await startLocalStack({ ...realismOf(values), sfnServer: true });
  try {
    io.out(`Tearing down ${provisioningId} (AWS endpoint: ${stack.awsEndpoint})`);
    describeStack(stack, io);
    let executionArnStarted: string;
    try {
      executionArnStarted = (await startTeardown(provisioningId, stack.serviceDeps(), { whileTearingDown: 'refuse', force: Boolean(values.force) })).executionArn;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.statusCode !== 404) {
        await rememberFromRegistry(stack, provisioningId);
        io.err(`Teardown of ${provisioningId} refused (${error.code}): ${error.message}`);
        return 2;
      }
      // The registry here never saw it (made elsewhere, or before the registry): remove what carries its tag.
      const region = values.region ?? view?.region;
      if (!region) throw new UsageError(`the registry at ${stack.awsEndpoint} has no provisioning ${provisioningId}: give its region with --region to remove what carries its tag`);
      let n = 1;
      while (stack.store.load(executionArn('byoc-teardown', `${provisioningId}--teardown-${n}`))) n++;
      executionArnStarted = stack.engine.start('byoc-teardown', `${provisioningId}--teardown-${n}`, { provisioningId, region }).executionArn;
    }
    const running = stack.engine.runningExecutions.get(executionArnStarted);
    if (!running) {
      const again = await rememberFromRegistry(stack, provisioningId);
      io.out(`Provisioning ${provisioningId} is already ${again.record?.status ?? 'torn down'} (teardown ${executionArnStarted}); nothing is left to remove.`);
      return 0;
    }
    const record = await follow(running, io);
    await rememberFromRegistry(stack, provisioningId, { region: values.region ?? view?.region });
    if (record.status === 'SUCCEEDED') {
      const output = JSON.parse(record.output ?? 'null') as { deleted?: Record<string, { deleted?: unknown; notFound?: unknown }>; kept?: { type: string; id: string; detail?: string }[] } | null;
      const report = teardownReport(output);
      io.out('');
      io.out(`Removed everything tagged byoc:provisioning-id=${provisioningId}${output?.kept?.length ? ', except what holds data' : ''}.`);
      io.out(`Deleted now (${report.deleted.length}):${report.deleted.length ? '' : ' nothing'}`);
      for (const d of report.deleted) io.out(`  - ${d}`);
      if (report.notFound.length) io.out(`Not there (already gone, or never made): ${report.notFound.join(', ')}`);
      for (const k of output?.kept ?? []) io.out(`Kept ${k.type} ${k.id}: ${k.detail ?? 'kept on purpose'}. Empty it and run the teardown again to delete it, or keep it.`);
      if (values.keep) await holdOpen(stack, io, provisioningId, view?.region ?? values.region ?? 'us-west-2');
      return 0;
    }
    const err = readableError(record.error, record.cause);
    io.err(`Teardown of ${provisioningId} ${record.status}: ${err.name}${err.step ? ` in ${err.step}` : ''}: ${err.message}`);
    return 1;
  } finally {
    await stack.stop();
  }
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

async function status(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
  const [provisioningId] = positionals;
  if (!provisioningId) throw new UsageError('status needs the provisioning ID: byoc status ID');
  const store = new ExecutionStore(stateDirOf());
  const found = new ProvisioningIndex(stateDirOf()).get(provisioningId);
  const view = found ? await refreshed(found) : undefined;
  const record = view?.record;
  if (!record) {
    io.err(`No provisioning ${provisioningId} is recorded in ${stateDirOf()}.`);
    return 1;
  }
  // The latest run of the provision state machine: an attempt or an update.
  const attempt = provisionRuns(record).at(-1);
  const teardownEntry = executionsOf(record, 'teardown').at(-1);
  // Per-step progress from the execution's history, while this machine still has it.
  const execution = attempt ? store.load(executionArn('byoc-provision', attempt.name)) : undefined;
  const steps = execution ? summarizeHistory(execution.history) : [];
  const error = attempt?.error ? readableError(attempt.error.error, attempt.error.cause) : undefined;
  const summary = {
    provisioningId,
    status: record.status,
    execution: attempt?.name,
    startedAt: attempt?.startedAt,
    stoppedAt: attempt?.stoppedAt,
    steps,
    outputs: record.outputs ?? undefined,
    error,
    teardown: teardownEntry ? { execution: teardownEntry.name, status: teardownEntry.status, stoppedAt: teardownEntry.stoppedAt } : undefined,
    executions: record.executions.map((e) => ({ kind: e.kind, name: e.name, status: e.status, outcome: e.outcome, startedAt: e.startedAt, stoppedAt: e.stoppedAt })),
    registry: { awsEndpoint: view.awsEndpoint, table: view.registryTable, readAt: view.viewedAt },
  };
  if (values.json) {
    io.out(JSON.stringify(summary, null, 2));
    return 0;
  }
  io.out(`Provisioning ${provisioningId}: ${record.status}${attempt ? ` (execution ${attempt.name}, started ${attempt.startedAt}${attempt.stoppedAt ? `, ended ${attempt.stoppedAt}` : ''})` : ''}`);
  for (const s of steps) {
    const took = s.durationMs !== undefined ? `${(s.durationMs / 1000).toFixed(2)} s` : 'running';
    const extra = [s.attempts > 1 ? `${s.attempts} attempts` : '', s.lastError ? `last error ${s.lastError.name}: ${s.lastError.message}` : ''].filter(Boolean).join('; ');
    io.out(`  ${s.status === 'succeeded' ? '✔' : s.status === 'failed' ? '✖' : '…'} ${s.name.padEnd(28)} ${took.padStart(9)}${extra ? `  (${extra})` : ''}`);
  }
  if (summary.outputs) {
    io.out('Outputs:');
    printOutputs(summary.outputs, io);
  }
  if (error) io.out(`Error: ${error.name}${error.step ? ` in ${error.step}` : ''}: ${error.message}`);
  if (summary.teardown) io.out(`Teardown: ${summary.teardown.status} (execution ${summary.teardown.execution})`);
  io.out(`(from the registry at ${view.awsEndpoint}, read ${view.viewedAt})`);
  return 0;
}

/** R1 later: put the EKS cluster's OIDC issuer into the role's trust policy. */
async function updateOidc(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { issuer: { type: 'string' } }, allowPositionals: true });
  const [provisioningId] = positionals;
  if (!provisioningId || !values.issuer) throw new UsageError('update-oidc needs the provisioning ID and --issuer URL');
  const view = new ProvisioningIndex(stateDirOf()).get(provisioningId);
  if (!view) throw new UsageError(`no record of provisioning ${provisioningId} in ${stateDirOf()}`);
  if (!(await attachToRegistryOf(view))) {
    io.err(`Provisioning ${provisioningId} was built on an embedded moto that has stopped; run provision with --keep, or set AWS_ENDPOINT_URL.`);
    return 1;
  }
  const stack = await startLocalStack({ sfnServer: true });
  try {
    let result;
    try {
      // The same service as POST /provisionings/{id}/oidc: role names, region and account from the registry.
      result = await updateProvisioningOidc(provisioningId, { oidcIssuerUrl: values.issuer }, { ...stack.serviceDeps(), iam: iamClient });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      io.err(`byoc: ${error.message}`);
      return 1;
    }
    await rememberFromRegistry(stack, provisioningId);
    io.out(`Set the OIDC issuer of ${result.roleArn}; its web-identity statements now trust:`);
    for (const st of result.trustPolicy.Statement.filter((x) => x.Principal?.Federated)) io.out(`  ${String(st.Principal!.Federated)}`);
    if (result.storageRole) io.out(`and of the storage role ${result.storageRole.roleArn} (S2).`);
    return 0;
  } finally {
    await stack.stop();
  }
}

const CHECK_MARK: Record<RequirementCheck['status'], string> = { pass: '✔', warning: '⚠', fail: '✖' };

/** V12: check an existing VPC against V2-V10 and report each requirement by number, with its fix when it did not pass. */
async function checkVpc(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { region: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  const [vpcId] = positionals;
  if (!vpcId || !values.region) throw new UsageError('check-vpc needs the VPC ID and --region');
  if (!process.env.AWS_ENDPOINT_URL) throw new UsageError('check-vpc reads an existing VPC: set AWS_ENDPOINT_URL to the endpoint that has it (the embedded moto starts empty)');
  const stack = await startLocalStack({});
  try {
    const target = { region: values.region };
    const checks = await checkExistingVpc(vpcId, { ec2: ec2Client(target), route53: route53Client(target), region: values.region });
    const failed = checks.filter((c) => c.status === 'fail');
    const warnings = checks.filter((c) => c.status === 'warning');
    if (values.json) io.out(JSON.stringify(checks, null, 2));
    else {
      for (const c of checks) {
        io.out(`${CHECK_MARK[c.status]} ${c.id}: ${c.detail}`);
        if (c.fix && c.status !== 'pass') io.out(`    fix: ${c.fix}`);
      }
      const warned = warnings.length > 0 ? ` (warnings: ${warnings.map((c) => c.id).join(', ')})` : '';
      io.out(failed.length === 0 ? `${vpcId} meets V2-V10${warned}.` : `${vpcId} fails ${failed.map((c) => c.id).join(', ')}${warned}.`);
    }
    return failed.length === 0 ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

function validate(args: string[], io: Io): number {
  const { values } = parseArgs({ args, options: { request: { type: 'string' } } });
  const file = resolve(values.request ?? 'examples/request.json');
  parseRequest(readJson(file));
  io.out(`${file}: valid`);
  return 0;
}

/**
 * The `byoc` command. Returns the exit code: 0 success, 1 the provisioning/teardown failed, 2 bad usage or input.
 */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'provision':
        return await provision(rest, io);
      case 'teardown':
        return await teardown(rest, io);
      case 'status':
        return await status(rest, io);
      case 'validate':
        return validate(rest, io);
      case 'update-oidc':
        return await updateOidc(rest, io);
      case 'check-vpc':
        return await checkVpc(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof InvalidInputError) {
      io.err('The request is invalid; nothing was created:');
      for (const p of error.problems) io.err(`  - ${p.field}: ${p.rule}`);
      return 2;
    }
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      io.err(`byoc: ${error.message}`);
      io.err('Run "byoc help" for usage.');
      return 2;
    }
    if (error instanceof MotoMissingError) {
      io.err(error.message);
      return 2;
    }
    throw error;
  }
}
