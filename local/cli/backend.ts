import type { ProvisioningSummary, StartedExecution } from '../../shared/api/provisionings';
import type { UpdateRoleOidcResult } from '../../shared/iam/oidc';
import type { RequirementCheck } from '../../shared/requirements';
import type { ProvisioningOutputs } from '../../shared/state';
import type { ReadableError, StepProgress } from '../../shared/status';
import { UsageError, type Io } from './context';
import { LocalBackend } from './local-backend';
import { RemoteBackend } from './remote-backend';

/**
 * "Where provisionings run", as the commands see it: the local stack (this machine's moto or `AWS_ENDPOINT_URL`,
 * the local Step Functions engine) or a deployed API (`--api URL` / `BYOC_API_URL`, requests signed with the
 * caller's AWS credentials). Every command talks to one of these and prints the same output for both.
 *
 * Errors: the provisioning service's refusals are `ApiError` (404, 409...) and bad input `InvalidInputError`,
 * in both modes (the remote backend turns the API's problem answers back into them); `UsageError` (exit 2) and
 * `OperationFailed` (exit 1) for what the CLI itself cannot do.
 */
export interface Backend {
  readonly mode: 'local' | 'remote';
  /** Get ready: the local backend starts its stack (moto, engine, Step Functions API); the remote one does nothing. */
  open(): Promise<void>;
  /** Where it runs, for the header lines: `AWS endpoint: http://...` or `API: https://...` (`long`: with `(embedded moto)`). */
  where(form?: 'short' | 'long'): string;
  /** More header lines (the local stack's profile and seed). */
  describe(): string[];
  /** Lines after a run (what the local realism layer injected). */
  notes(): string[];
  /** Start a provisioning or an in-place update, by the lifecycle rules (or find the same one). */
  startProvisioning(request: Record<string, unknown>): Promise<StartedExecution>;
  /** False when there is nothing to follow here: it already ended (or, locally, it runs in another process). */
  canFollow(started: StartedExecution): boolean;
  /** Follow an execution to its end (see `canFollow`), writing progress lines as it goes. */
  waitForEnd(started: StartedExecution, progress: (line: string) => void): Promise<Ended>;
  /** The provisioning as the registry has it now (the local backend also rewrites its copy in the state folder). */
  current(provisioningId: string, extra?: { region?: string }): Promise<{ status?: string; outputs?: ProvisioningOutputs | null; region?: string }>;
  /** Status, per-step progress, outputs and error. @throws OperationFailed when it knows no such provisioning. */
  status(provisioningId: string): Promise<StatusSummary>;
  /** Provisionings it knows, newest change first. */
  list(query: { status?: string }): Promise<ProvisioningSummary[]>;
  /**
   * Start a teardown (or find the one that ran); `{ gone }` when what held it no longer exists (nothing to remove).
   * `onReady` is called once the backend is ready, before the service decides (for the header lines).
   */
  startTeardown(provisioningId: string, options: { region?: string; force?: boolean; onReady?: () => void }): Promise<StartedExecution | { gone: string }>;
  /** R1 later: the EKS cluster's OIDC issuer into the roles' trust policies. */
  updateOidc(provisioningId: string, issuerUrl: string): Promise<UpdateRoleOidcResult>;
  /** V12: an existing VPC against V2-V10. */
  checkVpc(vpcId: string, region: string): Promise<RequirementCheck[]>;
  /** Check a request without starting anything. @throws InvalidInputError naming each bad field. */
  validate(request: unknown): Promise<void>;
  /** Local only: keep the stack up until Ctrl-C, printing how to look at it. */
  holdOpen?(provisioningId: string, region: string, io: Io): Promise<void>;
  /** Release what `open` started. */
  close(): Promise<void>;
}

/** How an execution ended, as the commands print it. */
export interface Ended {
  /** The execution succeeded. */
  ok: boolean;
  /** The registry status it led to (`SUCCEEDED`, `ROLLED_BACK`, `TORN_DOWN`...). */
  status: string;
  outputs?: ProvisioningOutputs;
  error?: ReadableError;
  /** The requirement checks the Verify step made, when known. */
  checks: RequirementCheck[];
  /** For a teardown: what it deleted, what was not there, what it kept on purpose (when known). */
  teardown?: TeardownReport;
  /** How long it took, in seconds (one decimal). */
  seconds: string;
}

export interface TeardownReport {
  deleted: string[];
  notFound: string[];
  kept: { type: string; id: string; detail?: string }[];
}

/** What `byoc status` prints (and `--json` prints as is). */
export interface StatusSummary {
  provisioningId: string;
  status: string;
  execution?: string;
  startedAt?: string;
  stoppedAt?: string;
  steps: StepProgress[];
  outputs?: unknown;
  error?: ReadableError;
  teardown?: { execution: string; status: string; stoppedAt?: string };
  executions: { kind: string; name: string; status: string; outcome?: string | null; startedAt: string; stoppedAt?: string | null }[];
  /** Where it was read: the registry on an AWS endpoint (local), or the API (remote). */
  registry: { awsEndpoint?: string; table?: string; api?: string; readAt: string };
}

/** The local stack's realism options (`--profile`, `--faults`, `--seed`, `--iam`). */
export interface LocalStackFlags {
  profile?: string;
  faults?: string;
  seed?: number;
  /** IAM enforcement on or off (default: the profile's). */
  iam?: 'on' | 'off';
}

/** The options every command that can run remotely takes. */
export interface BackendFlags extends LocalStackFlags {
  api?: string;
}

/** The deployed API's URL: `--api`, else `BYOC_API_URL`; undefined for the local stack. */
export function apiUrlOf(flags: { api?: string }): string | undefined {
  const given = flags.api || process.env.BYOC_API_URL || undefined; // empty counts as unset, as a shell may export it
  if (given === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new UsageError(`--api must be the API's URL (http or https), e.g. https://abc123.execute-api.us-west-2.amazonaws.com; got "${given}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--api must be an http or https URL; got "${given}"`);
  return given;
}

/**
 * The backend the flags ask for: the remote API when `--api` / `BYOC_API_URL` is given, else the local stack. The
 * local stack's options have no meaning for a deployed API: giving them with `--api` is a usage error.
 * @example const backend = await backendFor({ api: opts.api, profile: opts.profile }, { sfnServer: true });
 */
export async function backendFor(flags: BackendFlags & { keep?: boolean }, local: { sfnServer?: boolean; defaultProfile?: string } = {}): Promise<Backend> {
  const api = apiUrlOf(flags);
  if (api) {
    const localOnly = (['profile', 'faults', 'seed', 'keep'] as const).filter((k) => flags[k] !== undefined && flags[k] !== false);
    if (localOnly.length > 0) throw new UsageError(`${localOnly.map((k) => `--${k}`).join(', ')} ${localOnly.length > 1 ? 'are' : 'is'} for the local stack, not for a deployed API (--api / BYOC_API_URL)`);
    return new RemoteBackend(api);
  }
  return new LocalBackend(flags, local);
}
