import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ApiError, type ProvisioningStatus, type ProvisioningSummary, type StartedExecution } from '../../shared/api/provisionings';
import type { VpcCheckResult } from '../../shared/api/vpc-check';
import { InvalidInputError, type FieldProblem } from '../../shared/errors';
import type { UpdateRoleOidcResult } from '../../shared/iam/oidc';
import type { RequirementCheck } from '../../shared/requirements';
import type { ProvisioningOutputs } from '../../shared/state';
import type { ReadableError, StepProgress } from '../../shared/status';
import type { Backend, Ended, StatusSummary } from './backend';
import { OperationFailed } from './context';

/** How often the remote backend reads the status while it follows an execution (`BYOC_POLL_MS`, default 2 s). */
const pollMs = (): number => {
  const n = Number(process.env.BYOC_POLL_MS);
  return Number.isFinite(n) && n >= 10 ? n : 2000;
};

const RUNNING = new Set(['PROVISIONING', 'UPDATING', 'TEARING_DOWN']);
const REQUEST_TIMEOUT_MS = 35_000;

/** The region to sign for: an execute-api host names it, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1. */
export function signingRegionOf(url: URL): string {
  const m = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(url.hostname);
  return m?.[1] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

interface Answer {
  status: number;
  body: unknown;
}

const nameOf = (arn: string | null | undefined): string | undefined => (arn ? arn.split(':').pop() : undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Live progress from polled status: the per-step summaries of GET /provisionings/{id} turned into the same lines
 * the local stack prints from the execution history (`▶ Step`, `✔ Step (1.20 s)`, `↻ Step retrying`...), each
 * with the time the step reports, relative to the execution's start.
 */
export class PolledProgress {
  private readonly seen = new Map<string, { ended: boolean; attempts: number; visits: number }>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly t0: number,
  ) {}

  private line(at: number, text: string): void {
    this.write(`[${((at - this.t0) / 1000).toFixed(2).padStart(7)} s] ${text}`);
  }

  started(): void {
    this.line(this.t0, 'execution started');
  }

  update(steps: StepProgress[]): void {
    const now = Date.now();
    const lines: { at: number; text: string }[] = [];
    for (const s of steps) {
      const before = this.seen.get(s.name);
      const startedAt = Date.parse(s.startedAt) || now;
      if (!before || (before.ended && s.status === 'running' && s.visits > before.visits)) {
        lines.push({ at: startedAt, text: `${s.name.startsWith('Wait') ? '…' : '▶'} ${s.name}` });
      }
      if (before && s.attempts > before.attempts && s.lastError) {
        lines.push({ at: now, text: `  ${s.name}: ${s.lastError.name}: ${s.lastError.message}` });
        if (s.status === 'running') lines.push({ at: now, text: `↻ ${s.name} retrying` });
      }
      const ended = s.status !== 'running';
      if (ended && !(before?.ended && before.visits === s.visits)) {
        const at = s.endedAt ? Date.parse(s.endedAt) : now;
        const took = s.durationMs !== undefined ? ` (${(s.durationMs / 1000).toFixed(2)} s)` : '';
        lines.push({ at, text: s.status === 'succeeded' ? `✔ ${s.name}${took}` : `✖ ${s.name}${took}` });
      }
      this.seen.set(s.name, { ended, attempts: s.attempts, visits: s.visits });
    }
    for (const l of lines.sort((a, b) => a.at - b.at)) this.line(l.at, l.text);
  }

  ended(at: number, ok: boolean, error?: ReadableError | null): void {
    if (ok) this.line(at, 'execution succeeded');
    else this.line(at, `execution failed: ${error?.name ?? 'Error'}${error?.step ? ` in ${error.step}` : ''}: ${error?.message ?? ''}`);
  }
}

/**
 * A deployed API (or `byoc serve`): every operation is one of its routes, signed with SigV4 (service
 * `execute-api`) with the caller's AWS credentials from the default provider chain (environment, profile, SSO,
 * instance role...). A running execution is followed by polling GET /provisionings/{id}.
 */
export class RemoteBackend implements Backend {
  readonly mode = 'remote' as const;
  private readonly base: URL;
  private readonly region: string;
  private readonly signer: SignatureV4;

  constructor(private readonly apiUrl: string) {
    this.base = new URL(apiUrl);
    this.region = signingRegionOf(this.base);
    this.signer = new SignatureV4({ service: 'execute-api', region: this.region, credentials: fromNodeProviderChain(), sha256: Sha256 });
  }

  async open(): Promise<void> {}

  where(): string {
    return `API: ${this.apiUrl}`;
  }

  describe(): string[] {
    return [`Signed with your AWS credentials (SigV4, execute-api, ${this.region}); progress polled every ${(pollMs() / 1000).toFixed(1)} s`];
  }

  notes(): string[] {
    return [];
  }

  /** One signed call of a route: the answer when it is 2xx, else the matching error (see {@link failure}). */
  async call<T>(method: string, path: string, options: { body?: unknown; query?: Record<string, string | undefined> } = {}): Promise<T> {
    const answer = await this.send(method, path, options);
    if (answer.status >= 200 && answer.status < 300) return answer.body as T;
    throw this.failure(method, path, answer);
  }

  private async send(method: string, path: string, options: { body?: unknown; query?: Record<string, string | undefined> }): Promise<Answer> {
    const query = Object.fromEntries(Object.entries(options.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined));
    const fullPath = `${this.base.pathname.replace(/\/$/, '')}${path}`;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { host: this.base.host, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let signed;
    try {
      signed = await this.signer.sign(new HttpRequest({ method, protocol: this.base.protocol, hostname: this.base.hostname, path: fullPath, query, headers, body }));
    } catch (error) {
      throw new OperationFailed(`Cannot sign the request to ${this.apiUrl}: no AWS credentials found (${(error as Error).message}). Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.`);
    }
    const search = new URLSearchParams(query).toString();
    const send = this.base.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Answer>((resolve, reject) => {
      const req = send(
        { method, hostname: this.base.hostname, port: this.base.port || undefined, path: `${fullPath}${search ? `?${search}` : ''}`, headers: signed.headers, timeout: REQUEST_TIMEOUT_MS },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              // not JSON: kept as text for the error message
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (error) => reject(new OperationFailed(`Cannot reach the API at ${this.apiUrl}: ${error.message}`)));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /**
   * An error answer as the error the local service would have thrown: 400 `InvalidInputError` with each field, a
   * 4xx problem `ApiError` with its code and extras; a refused signature, an unknown route or a 5xx `OperationFailed`.
   */
  private failure(method: string, path: string, answer: Answer): Error {
    const problem = (answer.body && typeof answer.body === 'object' ? answer.body : { message: String(answer.body ?? '') }) as Record<string, unknown> & { error?: string; detail?: string; message?: string; errors?: FieldProblem[] };
    const detail = problem.detail ?? problem.message ?? `HTTP ${answer.status}`;
    if (answer.status === 400 && Array.isArray(problem.errors)) return new InvalidInputError(problem.errors);
    if (answer.status === 403) {
      return new OperationFailed(`The API at ${this.apiUrl} refused the request (403): ${detail}. Check your AWS credentials, that they may call this API (execute-api:Invoke), and the region (${this.region}).`);
    }
    if (answer.status >= 500 || !problem.error || (answer.status === 404 && problem.error !== 'ProvisioningNotFound')) {
      return new OperationFailed(`The API at ${this.apiUrl} answered ${method} ${path} with ${answer.status}: ${detail}`);
    }
    const { type: _t, title: _ti, status: _s, detail: _d, error: _e, message: _m, ...extras } = problem;
    return new ApiError(answer.status, problem.error, detail, Object.keys(extras).length > 0 ? extras : undefined);
  }

  private provisioning(id: string): Promise<ProvisioningStatus> {
    return this.call<ProvisioningStatus>('GET', `/provisionings/${encodeURIComponent(id)}`);
  }

  startProvisioning(request: Record<string, unknown>): Promise<StartedExecution> {
    return this.call<StartedExecution>('POST', '/provisionings', { body: request });
  }

  canFollow(started: StartedExecution): boolean {
    return RUNNING.has(started.status);
  }

  async waitForEnd(started: StartedExecution, progress: (line: string) => void): Promise<Ended> {
    const t0 = Date.now();
    const printer = new PolledProgress(progress, Date.parse(started.startedAt) || t0);
    printer.started();
    for (;;) {
      const now = await this.provisioning(started.provisioningId);
      if (started.kind !== 'teardown' && now.executionArn === started.executionArn) printer.update(now.steps);
      const entry = now.executions.find((e) => e.executionArn === started.executionArn);
      if (entry && entry.status !== 'RUNNING') {
        const ok = entry.status === 'SUCCEEDED';
        printer.ended(Date.parse(entry.stoppedAt ?? '') || Date.now(), ok, entry.error);
        return {
          ok,
          status: entry.status,
          seconds: ((Date.now() - t0) / 1000).toFixed(1),
          checks: [],
          ...(ok && started.kind !== 'teardown' && now.outputs ? { outputs: now.outputs as ProvisioningOutputs } : {}),
          ...(ok ? {} : { error: entry.error ?? { name: entry.status, message: `the execution ended ${entry.status}` } }),
        };
      }
      await sleep(pollMs());
    }
  }

  async current(provisioningId: string): Promise<{ status?: string; outputs?: ProvisioningOutputs | null; region?: string }> {
    try {
      const now = await this.provisioning(provisioningId);
      return { status: now.status, outputs: now.outputs as ProvisioningOutputs | null, region: now.region ?? undefined };
    } catch (error) {
      if (error instanceof ApiError && error.statusCode === 404) return {};
      throw error;
    }
  }

  async status(provisioningId: string): Promise<StatusSummary> {
    let now: ProvisioningStatus;
    try {
      now = await this.provisioning(provisioningId);
    } catch (error) {
      if (error instanceof ApiError && error.statusCode === 404) throw new OperationFailed(`No provisioning ${provisioningId} is known to the API at ${this.apiUrl}.`);
      throw error;
    }
    return {
      provisioningId,
      status: now.status,
      execution: nameOf(now.executionArn),
      startedAt: now.startedAt ?? undefined,
      stoppedAt: now.stoppedAt ?? undefined,
      steps: now.steps,
      outputs: now.outputs ?? undefined,
      error: now.error ?? undefined,
      teardown: now.teardown ? { execution: nameOf(now.teardown.executionArn)!, status: now.teardown.status, stoppedAt: now.teardown.stoppedAt ?? undefined } : undefined,
      executions: now.executions.map((e) => ({ kind: e.kind, name: e.name, status: e.status, outcome: e.outcome ?? undefined, startedAt: e.startedAt, stoppedAt: e.stoppedAt ?? undefined })),
      registry: { api: this.apiUrl, readAt: new Date().toISOString() },
    };
  }

  async list(query: { status?: string }): Promise<ProvisioningSummary[]> {
    const rows: ProvisioningSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.call<{ provisionings: ProvisioningSummary[]; nextToken?: string }>('GET', '/provisionings', { query: { status: query.status, nextToken } });
      rows.push(...page.provisionings);
      nextToken = page.nextToken;
    } while (nextToken);
    return rows;
  }

  async startTeardown(provisioningId: string, options: { force?: boolean; onReady?: () => void }): Promise<StartedExecution> {
    options.onReady?.();
    return this.call<StartedExecution>('DELETE', `/provisionings/${encodeURIComponent(provisioningId)}`, { query: { force: options.force ? 'true' : undefined } });
  }

  updateOidc(provisioningId: string, issuerUrl: string): Promise<UpdateRoleOidcResult> {
    return this.call<UpdateRoleOidcResult>('POST', `/provisionings/${encodeURIComponent(provisioningId)}/oidc`, { body: { oidcIssuerUrl: issuerUrl } });
  }

  async checkVpc(vpcId: string, region: string): Promise<RequirementCheck[]> {
    return (await this.call<VpcCheckResult>('POST', '/vpc-checks', { body: { vpcId, region } })).checks;
  }

  async validate(request: unknown): Promise<void> {
    await this.call('POST', '/validate', { body: request });
  }

  async close(): Promise<void> {}
}
