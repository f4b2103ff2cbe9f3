import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { clearClientCache, dynamodbClient, sfnClient } from '../shared/aws/clients';
import type { ProvisioningServiceDeps } from '../shared/api/provisionings';
import { ENV } from '../shared/constants';
import { LocalEngine } from './engine';
import { ExecutionStore, LOCAL_REGION, stateMachineArn } from './executions';
import { startMoto, type MotoServer } from './moto';
import { ensureRegistryTable, localRegistryTable } from './registry';
import { installRealism, randomSeed, type ProfileName, type ProfileOverrides, type RealismHandle, type RealismProfile } from './realism';
import type { IamEnforcementSettings } from './realism/iam';
import { localStepRoleArns } from './realism/iam/enforcement';
import { STEP_ROLE_ENV, type StepRoleKind } from '../shared/preflight/permissions';
import { startSfnServer, within, type SfnServer } from './sfn-server';

/** The running local stack: where AWS is, and the engine that runs the state machines. */
export interface LocalStack {
  /** The AWS endpoint in use (the embedded moto, or `AWS_ENDPOINT_URL` given by the user). */
  awsEndpoint: string;
  /** The embedded moto, when we started one (undefined when `AWS_ENDPOINT_URL` was set). */
  moto?: MotoServer;
  engine: LocalEngine;
  store: ExecutionStore;
  /** The realism layer on every AWS client the steps build: its events, `setFaults()`, ... */
  realism: RealismHandle;
  /** The profile in force (after overrides), with its `timeScale` - the engine runs on the same one. */
  profile: RealismProfile;
  /** The seed of every random choice: pass it back as `seed` to replay a chaos run. */
  seed: number;
  /** The local Step Functions API, when `sfnServer` was asked for (also in `AWS_ENDPOINT_URL_SFN`). */
  sfnEndpoint?: string;
  /** The registry table (DynamoDB, on the same endpoint), also in `REGISTRY_TABLE_NAME` while the stack runs. */
  registryTable: string;
  /**
   * The provisioning service's dependencies on this stack (needs `sfnServer`): the local Step Functions API and the
   * registry, as serverless.yml gives them to the API functions on AWS.
   */
  serviceDeps(): ProvisioningServiceDeps;
  /** Stop everything: running executions (aborted), the Step Functions API, the realism layer, moto. */
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Where execution records live (default `BYOC_STATE_DIR` or `./.byoc`). */
  stateDir?: string;
  /** Real AWS durations divided by this. Default: the profile's (instant: Infinity, realistic and chaos: 100). */
  timeScale?: number;
  /** Use this endpoint instead of starting moto (default: `AWS_ENDPOINT_URL` when set). */
  awsEndpoint?: string;
  /** How much like AWS: `instant` (moto as is), `realistic` (timing, consistency, throttling), `chaos` (+ faults). Default `instant`. */
  profile?: ProfileName | string;
  /** Profile changes on top of the named one (tests). */
  overrides?: ProfileOverrides;
  /** Faults to inject (fault-spec syntax, e.g. `CreateNatGateway:lose-response,*:throttle=0.1`). */
  faults?: string;
  /** Seed of every random choice (default: a fresh one, reported as `seed`). */
  seed?: number;
  /**
   * IAM enforcement (local/realism/iam/): `'on'` / `true` forces it on (also with the `instant` profile: fast tests),
   * `'off'` / `false` turns it off (the CLI's `--iam off`); settings (customer-role parameters, statements left
   * out) turn it on with them. Default: the profile's (on in `realistic` and `chaos`, off in `instant`).
   */
  iam?: boolean | 'on' | 'off' | IamEnforcementSettings;
  /**
   * Also serve the Step Functions API on a loopback port: sets `AWS_ENDPOINT_URL_SFN` to it, and (when unset)
   * `PROVISION_STATE_MACHINE_ARN` / `TEARDOWN_STATE_MACHINE_ARN` to the local state machines, as serverless.yml does
   * for the API functions on AWS. All restored by `stop()`. Default false.
   */
  sfnServer?: boolean;
}

/** Dummy credentials for moto; never used when the user points us at a real endpoint with their own. */
function ensureCredentials(): void {
  if (!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
    process.env.AWS_ACCESS_KEY_ID = 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  }
  process.env.AWS_REGION ??= 'us-east-1';
}

/**
 * The steps' JSON logs follow `POWERTOOLS_LOG_LEVEL`, read when the logger is created: the CLI and jest set it
 * (SILENT unless asked) before anything imports the steps.
 *
 * Start the local stack with one call: moto on a free loopback port (unless an endpoint is given), the SDK
 * pointed at it, the realism layer of the chosen profile on every client the steps build, the local Step
 * Functions engine on the profile's time scale, and optionally the Step Functions API. `stop()` shuts it all
 * down; moto also dies with this process.
 *
 * @example
 * const stack = await startLocalStack({ profile: 'chaos', seed: 42, sfnServer: true });
 * try { ... } finally { await stack.stop(); }
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const seed = options.seed ?? randomSeed();
  // Check the profile and the faults before starting anything, so a typo costs nothing.
  const iam = options.iam === undefined ? undefined : options.iam === 'off' ? false : options.iam === 'on' ? true : typeof options.iam === 'object' ? true : options.iam;
  const overrides: ProfileOverrides = {
    ...options.overrides,
    ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    ...(iam !== undefined ? { iam } : {}),
  };
  const realism = installRealism({
    profile: options.profile ?? 'instant',
    overrides,
    faults: options.faults,
    seed,
    ...(typeof options.iam === 'object' ? { iam: options.iam } : {}),
  });

  let moto: MotoServer | undefined;
  let sfn: SfnServer | undefined;
  const previous = {
    endpoint: process.env.AWS_ENDPOINT_URL,
    sfnEndpoint: process.env.AWS_ENDPOINT_URL_SFN,
    provisionArn: process.env[ENV.provisionStateMachineArn],
    teardownArn: process.env[ENV.teardownStateMachineArn],
    registryTable: process.env[ENV.registryTable],
    stepRoles: Object.fromEntries(Object.values(STEP_ROLE_ENV).map((name) => [name, process.env[name]])),
  };
  /** Undo what start did, in reverse: the API and its variables, the layer, then moto and its endpoint. */
  const shutDown = async () => {
    if (sfn) {
      await sfn.stop();
      restoreEnv('AWS_ENDPOINT_URL_SFN', previous.sfnEndpoint);
      restoreEnv(ENV.provisionStateMachineArn, previous.provisionArn);
      restoreEnv(ENV.teardownStateMachineArn, previous.teardownArn);
    }
    restoreEnv(ENV.registryTable, previous.registryTable);
    for (const [name, value] of Object.entries(previous.stepRoles)) restoreEnv(name, value);
    realism.uninstall();
    // Our moto is going away: leave no endpoint pointing at it.
    if (moto) restoreEnv('AWS_ENDPOINT_URL', previous.endpoint);
    clearClientCache();
    await moto?.stop();
  };
  try {
    // An empty AWS_ENDPOINT_URL means none (a shell may export it empty).
    const given = options.awsEndpoint || process.env.AWS_ENDPOINT_URL || undefined;
    moto = given ? undefined : await startMoto({ stateDir: options.stateDir });
    const awsEndpoint = given ?? moto!.endpoint;
    process.env.AWS_ENDPOINT_URL = awsEndpoint;
    ensureCredentials();
    clearClientCache();
    const stateDir = resolve(options.stateDir ?? process.env.BYOC_STATE_DIR ?? '.byoc');
    mkdirSync(stateDir, { recursive: true });
    // One local Step Functions per AWS account: an embedded moto is a new account each run.
    const store = new ExecutionStore(stateDir, moto ? `${awsEndpoint}#${Date.now()}` : awsEndpoint);
    // The registry lives on the same AWS endpoint (moto's DynamoDB), in the local state machines' region.
    const registryTable = localRegistryTable();
    process.env[ENV.registryTable] = registryTable;
    await ensureRegistryTable(dynamodbClient(LOCAL_REGION), registryTable);
    // What serverless.yml gives the Preflight function on AWS: the step roles, whose policies the simulation asks
    // about when the provisioning acts in its own account (the same ARNs IAM enforcement names those roles by).
    const stepRoles = localStepRoleArns();
    for (const kind of Object.keys(STEP_ROLE_ENV) as StepRoleKind[]) process.env[STEP_ROLE_ENV[kind]] = stepRoles[kind];
    const engine = new LocalEngine({ store, timeScale: realism.profile.timeScale, registryTable });
    if (options.sfnServer) {
      sfn = await startSfnServer({ engine });
      process.env.AWS_ENDPOINT_URL_SFN = sfn.endpoint;
      // What serverless.yml gives the API functions on AWS, so the API handlers run here unchanged.
      process.env[ENV.provisionStateMachineArn] ??= stateMachineArn('byoc-provision');
      process.env[ENV.teardownStateMachineArn] ??= stateMachineArn('byoc-teardown');
      clearClientCache();
    }

    let stopping: Promise<void> | undefined;
    const stop = async () => {
      const running = [...engine.runningExecutions.values()];
      for (const execution of running) execution.stop('States.Aborted', 'The local stack was stopped');
      await within(Promise.all(running.map((e) => e.done)), 5000);
      await shutDown();
    };
    return {
      awsEndpoint,
      moto,
      engine,
      store,
      realism,
      profile: realism.profile,
      seed,
      sfnEndpoint: sfn?.endpoint,
      registryTable,
      serviceDeps: () => {
        if (!sfn) throw new Error('serviceDeps() needs the local Step Functions API: start the stack with sfnServer: true');
        return {
          sfn: sfnClient(LOCAL_REGION),
          provisionStateMachineArn: stateMachineArn('byoc-provision'),
          teardownStateMachineArn: stateMachineArn('byoc-teardown'),
          registry: { dynamodb: dynamodbClient(LOCAL_REGION), tableName: registryTable },
        };
      },
      stop: () => (stopping ??= stop()),
    };
  } catch (error) {
    await shutDown();
    throw error;
  }
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
