import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { clearClientCache } from '../shared/aws/clients';
import { LocalEngine } from './engine';
import { ExecutionStore } from './executions';
import { startMoto, type MotoServer } from './moto';

/** The running local stack: where AWS is, and the engine that runs the state machines. */
export interface LocalStack {
  /** The AWS endpoint in use (the embedded moto, or `AWS_ENDPOINT_URL` given by the user). */
  awsEndpoint: string;
  /** The embedded moto, when we started one (undefined when `AWS_ENDPOINT_URL` was set). */
  moto?: MotoServer;
  engine: LocalEngine;
  store: ExecutionStore;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Where execution records live (default `BYOC_STATE_DIR` or `./.byoc`). */
  stateDir?: string;
  /** Real AWS durations divided by this (see {@link LocalEngine}). */
  timeScale?: number;
  /** Use this endpoint instead of starting moto (default: `AWS_ENDPOINT_URL` when set). */
  awsEndpoint?: string;
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
 * Start the local stack: moto on a free loopback port (unless an endpoint is given), the SDK pointed at it, and
 * the local Step Functions engine. `stop()` shuts moto down; it also dies with this process.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const given = options.awsEndpoint ?? process.env.AWS_ENDPOINT_URL;
  const moto = given ? undefined : await startMoto();
  const awsEndpoint = given ?? moto!.endpoint;
  process.env.AWS_ENDPOINT_URL = awsEndpoint;
  ensureCredentials();
  clearClientCache();
  const stateDir = resolve(options.stateDir ?? process.env.BYOC_STATE_DIR ?? '.byoc');
  mkdirSync(stateDir, { recursive: true });
  const store = new ExecutionStore(stateDir);
  const engine = new LocalEngine({ store, timeScale: options.timeScale });
  return {
    awsEndpoint,
    moto,
    engine,
    store,
    async stop() {
      clearClientCache();
      await moto?.stop();
    },
  };
}
