import { randomUUID } from 'node:crypto';
import { registerClientCustomizer } from '../../shared/aws/clients';
import {
  accessDeniedAnswer,
  connectionTimeoutError,
  errorResponse,
  lostResponseError,
  serverErrorAnswer,
  throttlingAnswer,
  type AwsErrorAnswer,
  type RealismService,
} from './aws-errors';
import { matchesOperation, parseFaultSpec, type FaultRule } from './fault-spec';
import { dryRunAnswer, installAccountFaults } from './account-faults';
import { simulationResponse } from './iam/simulation';
import { createIamEnforcement, jsonOrQueryErrorResponse, type IamEnforcementSettings, type RecordedCheck } from './iam/enforcement';
import type { AwsTarget } from '../../shared/aws/clients';
import { resolveProfile, scaledMs, type ProfileOverrides, type RealismProfile } from './profiles';
import { randomSeed, randomStreams } from './random';
import { Throttler } from './throttling';
import { SimulatedWorld, stableJson } from './world';

/**
 * The realism layer: AWS SDK v3 middleware that makes moto behave like AWS where it does not (time to become
 * ready, eventual consistency, throttling, 5xx, timeouts, lost responses, idempotency tokens, dependencies).
 * Only the local stack and the tests install it; the deployed Lambdas never do.
 *
 * Two middlewares per client, on purpose on both sides of the SDK's retry middleware:
 *
 * ```
 * send() -> [initialize] realism call  -> serialize -> build -> [finalizeRequest] retry -> signing
 *                                                               -> [deserialize] deserializer -> realism attempt -> HTTP to moto
 * ```
 *
 * - **per attempt** (inside the retries, below the deserializer): throttling buckets, injected throttle / 5xx /
 *   timeout / fail / delay, eventual-consistency NotFound, dependency errors. AWS judges each attempt, so each
 *   SDK retry meets the buckets and the dice again; the answer is AWS's wire format, which the SDK's own
 *   deserializer turns into its real exception, so its retry strategy treats it exactly as on AWS.
 * - **per call** (outside the retries): idempotency tokens, what the answer says (pending states), and lost
 *   responses. A lost response is the "crash after create" case: AWS acted, and the caller - the step - gets a
 *   network error after the SDK is done, as when a Lambda dies or times out right after the call. (Were it
 *   inside the retries, the SDK would silently retry a non-idempotent create and hide the duplicate from the step.)
 */

/** What the layer did, for tests to assert on and the CLI to report. */
export type RealismEventKind =
  | 'throttle'
  | 'error5xx'
  | 'timeout'
  | 'fail'
  | 'delay'
  | 'lose-response'
  | 'not-ready'
  | 'eventual-consistency'
  | 'dependency'
  | 'idempotent-replay'
  | 'idempotent-mismatch'
  | 'access-denied'
  | 'dry-run';

export interface RealismEvent {
  /** 1, 2, 3... in the order the layer acted. */
  seq: number;
  /** When, on the layer's clock (ms since the epoch; the wall clock unless a test gave its own). */
  time: number;
  kind: RealismEventKind;
  /** The service; IAM enforcement also judges the read-only EKS and ELB calls. */
  service: RealismService | 'eks' | 'elbv2' | 'servicequotas';
  /** The AWS API operation, e.g. `CreateNatGateway`. */
  operation: string;
  /** What happened, in words (`bucket ec2:DescribeVpcs empty`, `nat-0abc pending (available in 0.82 s)`). */
  detail: string;
}

export interface RealismOptions {
  /** A profile name (`instant`, `realistic`, `chaos`) or a full profile. Default `realistic`. */
  profile?: string | RealismProfile;
  /** Changes on top of the profile (e.g. `{ timeScale: 1000, throttling: false }`). */
  overrides?: ProfileOverrides;
  /** Extra faults (fault-spec syntax, see fault-spec.ts), after the profile's own. */
  faults?: string;
  /** Seed of every random choice; the same seed replays the same faults. Default: a fresh one (see `seed`). */
  seed?: number;
  /** The clock (wall ms). Default `Date.now`. */
  now?: () => number;
  /** Install on every client `shared/aws/clients.ts` builds from now on (default true). */
  global?: boolean;
  /** How IAM enforcement reads the templates (when the profile has `iam` on): parameters, statements left out. */
  iam?: IamEnforcementSettings;
}

export interface RealismHandle {
  readonly profile: RealismProfile;
  /** The seed in use: pass it back to replay a chaos run. */
  readonly seed: number;
  /** Every injected or simulated event, in order. */
  readonly events: readonly RealismEvent[];
  /** The fault rules in force (the profile's, then the caller's). */
  readonly faults: readonly FaultRule[];
  /** Replace the caller's faults (the profile's stay); resets the `@N` attempt counts. */
  setFaults(spec: string | undefined): void;
  /** How many events of each kind. */
  counts(): Partial<Record<RealismEventKind, number>>;
  clearEvents(): void;
  /**
   * Install on a client that was not built by `shared/aws/clients.ts`. Returns the client. With `target` (where the
   * client acts, and the role it assumes), IAM enforcement judges its calls too.
   */
  attach<C extends object>(client: C, service: RealismService, target?: AwsTarget): C;
  /** Remove the layer from every client built from now on (cached clients are dropped). */
  uninstall(): void;
  /** Every IAM authorization the enforcement made since it was (re)configured (empty when the profile has `iam` off). */
  readonly iamChecks: readonly RecordedCheck[];
  /**
   * Judge the calls made from now on with other template parameters or statements left out (tests: a statement
   * removed). Only when the profile has `iam` on; the recorded checks start again.
   */
  setIamSettings(settings: IamEnforcementSettings): void;
}

// The few pieces of the SDK's middleware stack we touch, typed here rather than importing transitive packages.
type Obj = Record<string, unknown>;
interface HandlerArgs {
  input: Obj;
  request?: unknown;
}
interface HandlerResult {
  output?: unknown;
  response?: unknown;
}
type Handler = (args: HandlerArgs) => Promise<HandlerResult>;
interface HandlerContext {
  commandName?: string;
}
type Middleware = (next: Handler, context: HandlerContext) => Handler;
interface MiddlewareStack {
  add(middleware: Middleware, options: { step: string; priority?: string; name: string; tags?: string[] }): void;
}

const REALISM_SERVICES = new Set<string>(['ec2', 'iam', 'route53', 's3', 'sts']);
const operationOf = (context: HandlerContext): string => (context.commandName ?? 'Unknown').replace(/Command$/, '');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
let installs = 0;

/**
 * Install the realism layer. Returns a handle with the events it recorded, `setFaults()` and `uninstall()`.
 *
 * @example
 * const realism = installRealism({ profile: 'realistic', faults: 'CreateNatGateway:lose-response', seed: 42 });
 * ... // run steps or call ec2Client(...) directly
 * expect(realism.events.map((e) => e.kind)).toContain('lose-response');
 * realism.uninstall();
 */
export function installRealism(options: RealismOptions = {}): RealismHandle {
  const profile = resolveProfile(options.profile ?? 'realistic', options.overrides);
  const seed = options.seed ?? randomSeed();
  const now = options.now ?? Date.now;
  const random = randomStreams(seed);
  const world = new SimulatedWorld(profile, random.durations, now);
  const throttler = new Throttler(profile, now);
  const profileRules = parseFaultSpec(profile.faults);
  let rules = [...profileRules, ...parseFaultSpec(options.faults)];
  let attemptCounts = new Map<string, number>();
  const lossesConsidered = new Set<string>();
  const events: RealismEvent[] = [];
  const forced = new WeakMap<HandlerContext, AwsErrorAnswer>();
  const id = ++installs;
  let enforcement = profile.iam ? createIamEnforcement(options.iam) : undefined;

  const record = (kind: RealismEventKind, service: RealismEvent['service'], operation: string, detail: string) => {
    events.push({ seq: events.length + 1, time: now(), kind, service, operation, detail });
  };

  /** Decide one attempt: an AWS error answer, a thrown network error, or undefined to let it through to moto. */
  const judgeAttempt = async (service: RealismService, operation: string, input: Obj): Promise<AwsErrorAnswer | undefined> => {
    const attempt = (attemptCounts.get(operation) ?? 0) + 1;
    attemptCounts.set(operation, attempt);

    const emptyBucket = throttler.take(service, operation);
    if (emptyBucket) {
      record('throttle', service, operation, `bucket ${emptyBucket} empty`);
      return throttlingAnswer(service);
    }
    for (const rule of rules) {
      if (rule.kind === 'lose-response' || !matchesOperation(rule.operation, operation)) continue;
      if (rule.nth !== undefined && rule.nth !== attempt) continue;
      if (rule.rate < 1 && random.faults() >= rule.rate) continue;
      const because = `injected by ${rule.text}`;
      switch (rule.kind) {
        case 'fail': {
          const answer = accessDeniedAnswer(service, operation);
          record('fail', service, operation, `${answer.code} (HTTP ${answer.status}), ${because}`);
          return answer;
        }
        case 'throttle': {
          const answer = throttlingAnswer(service);
          record('throttle', service, operation, `${answer.code} (HTTP ${answer.status}), ${because}`);
          return answer;
        }
        case 'error5xx': {
          const answer = serverErrorAnswer(service, random.choices() < 0.5 ? 500 : 503);
          record('error5xx', service, operation, `${answer.code} (HTTP ${answer.status}), ${because}`);
          return answer;
        }
        case 'timeout':
          record('timeout', service, operation, `connection timed out, ${because}`);
          throw connectionTimeoutError();
        case 'delay': {
          const ms = scaledMs(rule.seconds ?? 0, profile.timeScale);
          record('delay', service, operation, `${rule.seconds} s on AWS = ${Math.round(ms)} ms here, ${because}`);
          await sleep(ms);
          break;
        }
      }
    }
    const invisible = world.notYetVisible(service, operation, input);
    if (invisible) {
      record('eventual-consistency', service, operation, `${invisible.code}: just created, not visible yet`);
      return invisible;
    }
    const dependency = world.dependencyViolation(service, operation, input);
    if (dependency) {
      record('dependency', service, operation, `${dependency.code}: ${dependency.message}`);
      return dependency;
    }
    // EC2 DryRun that nothing refused: AWS answers DryRunOperation without acting; moto would act (account-faults.ts).
    const dryRun = dryRunAnswer(service, input);
    if (dryRun) {
      record('dry-run', service, operation, 'DryRunOperation: allowed, nothing done');
      return dryRun;
    }
    return undefined;
  };

  /** The first matching lose-response rule hits a call site (operation + parameters) at most once. */
  const losesResponse = (service: RealismService, operation: string, input: Obj): FaultRule | undefined => {
    const rule = rules.find((r) => r.kind === 'lose-response' && matchesOperation(r.operation, operation));
    if (!rule) return undefined;
    const site = `${service}:${operation}:${stableJson(input)}`;
    if (lossesConsidered.has(site)) return undefined;
    lossesConsidered.add(site);
    return rule.rate >= 1 || random.faults() < rule.rate ? rule : undefined;
  };

  /**
   * IAM, before anything else of the attempt: AWS authorizes a request before it acts on it (or counts it). A denial
   * is the service's own error; an allowed EC2 DryRun is `DryRunOperation`, and neither reaches the endpoint.
   */
  const iamMiddleware =
    (service: RealismEvent['service'], target: AwsTarget, client: { config?: { credentials?: unknown } }): Middleware =>
    (next, context) =>
    async (args) => {
      if (!enforcement) return next(args);
      const operation = operationOf(context);
      const judged = { service, target, credentials: client.config?.credentials };
      const verdict = await enforcement.judge(judged, operation, args.input);
      if (verdict.kind === 'allow' && service === 'iam' && operation === 'SimulatePrincipalPolicy') {
        // IAM's simulation, by the enforcement's own evaluation of the principal's policies (moto has none). The
        // attempt is judged first (a throttle or 5xx still answers); a `deny:` rule outside amends the answer.
        const live = enforcement;
        const inner = await next(args);
        const response = inner.response as { statusCode?: number; headers?: Record<string, string> } | undefined;
        if (response && (response.statusCode ?? 200) >= 400 && !/html/i.test(response.headers?.['content-type'] ?? '')) return inner;
        const results = await live.simulate(judged, args.input);
        return results ? { response: simulationResponse(results) } : inner;
      }
      if (verdict.kind === 'allow') return next(args);
      const answer =
        verdict.kind === 'deny'
          ? { code: verdict.code, message: verdict.message, status: verdict.status }
          : { code: 'DryRunOperation', message: 'Request would have succeeded, but DryRun flag is set.', status: 412 };
      record(verdict.kind === 'deny' ? 'access-denied' : 'dry-run', service, operation, verdict.kind === 'deny' ? `${verdict.decision.action} on ${verdict.decision.resource} by ${verdict.identity}` : 'DryRun allowed');
      const response = service === 'eks' || service === 'elbv2' || service === 'servicequotas' ? jsonOrQueryErrorResponse(service, answer.code, answer.message, answer.status) : errorResponse(service, answer, operation);
      return { response };
    };

  const attemptMiddleware =
    (service: RealismService): Middleware =>
    (next, context) =>
    async (args) => {
      const operation = operationOf(context);
      const answer = forced.get(context) ?? (await judgeAttempt(service, operation, args.input));
      if (answer) return { response: errorResponse(service, answer, operation) };
      return next(args);
    };

  const callMiddleware =
    (service: RealismService): Middleware =>
    (next, context) =>
    async (args) => {
      const operation = operationOf(context);
      const input = args.input;
      const replay = (output: Obj): HandlerResult => {
        record('idempotent-replay', service, operation, 'same token and parameters: the first answer, nothing created');
        world.rewrite(service, operation, input, output);
        return { output: { ...output, $metadata: { httpStatusCode: 200, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 } } };
      };

      let decision = world.checkToken(service, operation, input);
      if (decision.kind === 'wait') {
        const first = await decision.pending;
        decision = first ? { kind: 'replay', output: first } : world.checkToken(service, operation, input);
      }
      if (decision.kind === 'replay') return replay(decision.output);
      if (decision.kind === 'mismatch') {
        record('idempotent-mismatch', service, operation, `${decision.answer.code}: ${decision.answer.message}`);
        forced.set(context, decision.answer);
      }

      // A state filter is applied here, to the states AWS would show; moto would match its own instant states.
      let callArgs = args;
      let stateFilter: string[] | undefined;
      const filterKey = profile.readiness ? SimulatedWorld.stateFilterKey(operation) : undefined;
      const filters = filterKey && Array.isArray(input[filterKey.param]) ? (input[filterKey.param] as { Name?: string; Values?: string[] }[]) : undefined;
      if (filterKey && filters?.some((f) => f.Name === filterKey.name)) {
        stateFilter = filters.filter((f) => f.Name === filterKey.name).flatMap((f) => f.Values ?? []);
        callArgs = { ...args, input: { ...input, [filterKey.param]: filters.filter((f) => f.Name !== filterKey.name) } };
      }

      // The first call with a token: calls repeating it meanwhile wait for this answer.
      let settle: ((output: Obj | undefined) => void) | undefined;
      if (decision.kind === 'first') {
        const key = decision.key;
        let resolvePending: (output: Obj | undefined) => void = () => undefined;
        world.tokenPending(key, new Promise((resolve) => (resolvePending = resolve)));
        settle = (output) => {
          world.tokenSettled(key, output);
          resolvePending(output && structuredClone(output));
        };
      }
      let result: HandlerResult;
      try {
        result = await next(callArgs);
      } catch (error) {
        settle?.(undefined);
        // Where moto errs for want of knowledge (the vendor's endpoint services), the world answers as AWS would.
        const instead = world.answerInstead(service, operation, input, error);
        if (!instead) throw error;
        result = { output: { ...instead, $metadata: { httpStatusCode: 200, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 } } };
      }
      const output = result.output as Obj;
      world.learn(service, operation, input, output);
      settle?.(output);
      for (const note of world.rewrite(service, operation, input, output, stateFilter)) record('not-ready', service, operation, note.detail);

      const lost = losesResponse(service, operation, input);
      if (lost) {
        record('lose-response', service, operation, `AWS acted, the answer was lost (${lost.text})`);
        const metadata = (output.$metadata ?? {}) as { attempts?: number };
        throw lostResponseError(metadata.attempts ?? 1);
      }
      return result;
    };

  const attachIam = (client: object, service: RealismEvent['service'], target: AwsTarget | undefined): void => {
    if (!enforcement || !target) return;
    const stack = (client as unknown as { middlewareStack: MiddlewareStack }).middlewareStack;
    // Below the deserializer, above the attempt middleware: judged on every attempt, like AWS, before any fault.
    stack.add(iamMiddleware(service, target, client as { config?: { credentials?: unknown } }), { step: 'deserialize', priority: 'low', name: `byocRealismIam${id}`, tags: ['BYOC_REALISM'] });
  };

  const attach = <C extends object>(client: C, service: RealismService, target?: AwsTarget): C => {
    attachIam(client, service, target);
    const stack = (client as unknown as { middlewareStack: MiddlewareStack }).middlewareStack;
    stack.add(callMiddleware(service), { step: 'initialize', priority: 'low', name: `byocRealismCall${id}`, tags: ['BYOC_REALISM'] });
    // Low priority in the deserialize step = below the deserializer: our answer is parsed like AWS's.
    stack.add(attemptMiddleware(service), { step: 'deserialize', priority: 'low', name: `byocRealismAttempt${id}`, tags: ['BYOC_REALISM'] });
    return client;
  };

  // deny: and quota: entries of the fault spec; registered first, so that an explicit deny is judged before anything.
  const accountFaults = options.global === false ? undefined : installAccountFaults([profile.faults, options.faults], record);
  const unregister =
    options.global === false
      ? undefined
      : registerClientCustomizer((client, service, target) => {
          if (REALISM_SERVICES.has(service)) attach(client, service as RealismService, target);
          else if (service === 'eks' || service === 'elbv2' || service === 'servicequotas') attachIam(client, service, target);
        });

  return {
    profile,
    seed,
    events,
    get faults() {
      return rules;
    },
    setFaults(spec) {
      rules = [...profileRules, ...parseFaultSpec(spec)];
      accountFaults?.set([profile.faults, spec]);
      attemptCounts = new Map();
    },
    counts() {
      const out: Partial<Record<RealismEventKind, number>> = {};
      for (const e of events) out[e.kind] = (out[e.kind] ?? 0) + 1;
      return out;
    },
    clearEvents() {
      events.length = 0;
    },
    attach,
    get iamChecks() {
      return enforcement?.checks ?? [];
    },
    setIamSettings(settings) {
      if (!profile.iam) throw new Error('IAM enforcement is off in this profile: start the stack with iam: "on"');
      enforcement = createIamEnforcement(settings);
    },
    uninstall() {
      unregister?.();
      accountFaults?.uninstall();
    },
  };
}
