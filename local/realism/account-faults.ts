import { randomUUID } from 'node:crypto';
import { registerClientCustomizer, type ServiceName } from '../../shared/aws/clients';
import { QUOTAS, quotaByName } from '../../shared/preflight/quotas';
import { errorResponse, type AwsErrorAnswer, type RawHttpResponse, type RealismService } from './aws-errors';
import { matchesOperation, parseAccountFaults, type AccountFaults, type DenyRule } from './fault-spec';
import { S3_ACTIONS } from './iam/requests';
import { evaluationResult, requestedResources, simulatedResultsOf, simulationResponse, withDenies } from './iam/simulation';

/**
 * The account-level faults of the fault spec (`deny:SERVICE:ACTION`, `quota:QUOTA=N`): the local stack refuses a
 * permission or has exhausted a quota, so that each finding of the preflight can be produced on demand, and a
 * provisioning can be shown to fail in Preflight, before anything is made.
 *
 * This is an explicit deny injection, not an IAM evaluation: a `deny:` rule refuses that action to every caller,
 * with AWS's own error for the service (EC2 `UnauthorizedOperation`, for a DryRun call too; IAM, Route 53, STS
 * `AccessDenied`; S3 `AccessDenied`; Service Quotas `AccessDeniedException`). IAM enforcement
 * (local/realism/iam/, the profile's `iam`) evaluates the real policies; both can be on, and an explicit deny wins
 * (its middleware runs first, as an explicit Deny statement would).
 *
 * It also answers what moto does not:
 * - EC2 `DryRun` (moto ignores the flag on most calls and acts): {@link dryRunAnswer}, the last word of the layer's
 *   attempt judgement when nothing refused the call, is `DryRunOperation`: the call never reaches moto;
 * - `iam:SimulatePrincipalPolicy` (moto does not implement it): with IAM enforcement on, the enforcement answers it
 *   from the `PolicySourceArn` principal's real policies, and a `deny:` rule naming an action turns that action's
 *   result into `explicitDeny`; without enforcement (or for a principal it knows no policies of, e.g. a user),
 *   every action allowed unless a `deny:` rule names it;
 * - Service Quotas' `GetServiceQuota` for a `quota:` rule (moto knows only the VPC quotas, at their defaults).
 */

/** The IAM action a call needs (S3's actions differ from its operations: S3_ACTIONS). @example iamActionOf('s3', 'HeadBucket') // 's3:ListBucket' */
export const iamActionOf = (service: string, operation: string): string => `${service}:${service === 's3' ? (S3_ACTIONS[operation] ?? operation) : operation}`;

/** The services the rules can refuse (Service Quotas besides the realism layer's own). */
type AccountService = RealismService | 'servicequotas';
const SERVICES = new Set<ServiceName>(['ec2', 'iam', 's3', 'route53', 'sts', 'servicequotas']);

/** EC2's answer to an allowed DryRun call. */
export const DRY_RUN_ALLOWED: AwsErrorAnswer = { code: 'DryRunOperation', message: 'Request would have succeeded, but DryRun flag is set.', status: 412 };

/** AWS's answer to a DryRun EC2 call nothing refused: `DryRunOperation`. Undefined for any other call. */
export function dryRunAnswer(service: string, input: Record<string, unknown>): AwsErrorAnswer | undefined {
  return service === 'ec2' && input.DryRun === true ? DRY_RUN_ALLOWED : undefined;
}

/** The refusal of an action as the service words it. */
function deniedAnswer(service: AccountService, action: string, rule: DenyRule): AwsErrorAnswer {
  const because = `the local stack refuses it (${rule.text})`;
  if (service === 'ec2') {
    // EC2 encodes why; `aws sts decode-authorization-message` reads AWS's. Ours is base64 JSON.
    const encoded = Buffer.from(JSON.stringify({ allowed: false, explicitDeny: true, action, reason: because })).toString('base64');
    return { code: 'UnauthorizedOperation', message: `You are not authorized to perform this operation. User is not authorized to perform: ${action}. Encoded authorization failure message: ${encoded}`, status: 403 };
  }
  if (service === 's3') return { code: 'AccessDenied', message: 'Access Denied', status: 403 };
  return { code: 'AccessDenied', message: `User is not authorized to perform: ${action} with an explicit deny: ${because}`, status: 403 };
}

/** A JSON-protocol answer (Service Quotas speaks awsJson1_1). */
function jsonResponse(status: number, body: unknown, errorType?: string): RawHttpResponse {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), ...(errorType ? { 'x-amzn-errortype': errorType } : {}) },
    body: Buffer.from(JSON.stringify(body)),
  };
}

/**
 * IAM's SimulatePrincipalPolicy answer without IAM enforcement: each action allowed (on each resource asked about)
 * unless a rule denies it.
 */
function simulationByRules(input: Record<string, unknown>, denied: (action: string) => DenyRule | undefined): RawHttpResponse {
  const actions = Array.isArray(input.ActionNames) ? (input.ActionNames as unknown[]).map(String) : [];
  const resources = requestedResources(input);
  const results = actions.map((action) =>
    evaluationResult(
      action,
      resources,
      (resources ?? ['*']).map((resource) => ({ resource, decision: 'allowed' as const, matchedStatements: [], missingContextValues: [] })),
    ),
  );
  return simulationResponse(withDenies(results, denied));
}

type Obj = Record<string, unknown>;
type Handler = (args: { input: Obj; request?: unknown }) => Promise<{ output?: unknown; response?: unknown }>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;
interface MiddlewareStack {
  add(middleware: Middleware, options: { step: string; priority?: string; name: string; tags?: string[] }): void;
}

/** What the account faults did, for the layer's event list. */
export type AccountFaultRecorder = (kind: 'access-denied', service: RealismService, operation: string, detail: string) => void;

export interface AccountFaultHandle {
  /** The rules in force. */
  readonly rules: AccountFaults;
  /** Replace the rules (a whole fault spec: its other entries are ignored here). */
  set(specs: (string | undefined)[]): void;
  uninstall(): void;
}

let installs = 0;

/**
 * Install the account faults on every client `shared/aws/clients.ts` builds from now on (call it before the rest of
 * the realism layer registers, so that its middleware runs first: an explicit deny wins over everything).
 * `answerDryRun`: also answer every EC2 DryRun call nothing denied with `DryRunOperation` (for use without the rest
 * of the layer, e.g. tests on plain moto, which would otherwise act on a DryRun call).
 */
export function installAccountFaults(specs: (string | undefined)[], record: AccountFaultRecorder, options: { answerDryRun?: boolean } = {}): AccountFaultHandle {
  let rules: AccountFaults = { denies: [], quotas: [] };
  const set = (list: (string | undefined)[]) => {
    rules = parseAccountFaults(list.filter((s) => s && s.trim()).join(','));
  };
  set(specs);
  const id = ++installs;
  const deniedBy = (action: string): DenyRule | undefined => {
    const [service, name] = [action.slice(0, action.indexOf(':')), action.slice(action.indexOf(':') + 1)];
    return rules.denies.find((r) => r.service === service && matchesOperation(r.action, name));
  };
  const quotaValue = (code: unknown): number | undefined => {
    const rule = [...rules.quotas].reverse().find((r) => quotaByName(r.quota)?.quotaCode === code || r.quota === code);
    return rule?.value;
  };

  const middleware =
    (service: AccountService): Middleware =>
    (next, context) =>
    async (args) => {
      const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      const action = iamActionOf(service, operation);
      const rule = deniedBy(action);
      if (rule) {
        if (service === 'servicequotas') return { response: jsonResponse(400, { __type: 'AccessDeniedException', Message: `User is not authorized to perform: ${action} (${rule.text})` }, 'AccessDeniedException') };
        record('access-denied', service, operation, `${action} refused by ${rule.text}${args.input.DryRun === true ? ' (DryRun)' : ''}`);
        return { response: errorResponse(service, deniedAnswer(service, action, rule), operation) };
      }
      // Alone (without the rest of the layer, whose attempt judgement answers DryRun last): answer it here.
      const dryRun = options.answerDryRun ? dryRunAnswer(service, args.input) : undefined;
      if (dryRun) return { response: errorResponse('ec2', dryRun, operation) };
      if (service === 'servicequotas' && operation === 'GetServiceQuota') {
        const value = quotaValue(args.input.QuotaCode);
        const spec = Object.values(QUOTAS).find((q) => q.quotaCode === args.input.QuotaCode);
        if (value !== undefined) {
          const quota = {
            ServiceCode: args.input.ServiceCode,
            QuotaCode: args.input.QuotaCode,
            QuotaName: spec?.name ?? String(args.input.QuotaCode),
            QuotaArn: `arn:aws:servicequotas:::${String(args.input.ServiceCode)}/${String(args.input.QuotaCode)}`,
            Value: value,
            Unit: 'None',
            Adjustable: true,
            GlobalQuota: spec?.global ?? false,
          };
          return { response: jsonResponse(200, { Quota: quota }) };
        }
      }
      if (service === 'iam' && operation === 'SimulatePrincipalPolicy') {
        const inner = await next(args);
        // IAM enforcement answered from the principal's policies: a deny: rule still wins, as an explicit Deny would.
        const simulated = simulatedResultsOf(inner.response);
        if (simulated) return { response: simulationResponse(withDenies(simulated, deniedBy)) };
        const response = inner.response as { statusCode?: number; headers?: Record<string, string> } | undefined;
        // moto answers an HTML error page for what it does not implement; anything else inside answered for real.
        const unimplemented = response && (response.statusCode ?? 200) >= 400 && /html/i.test(response.headers?.['content-type'] ?? '');
        if (!unimplemented) return inner;
        return { response: simulationByRules(args.input, deniedBy) };
      }
      return next(args);
    };

  const unregister = registerClientCustomizer((client, service) => {
    if (!SERVICES.has(service)) return;
    const stack = (client as unknown as { middlewareStack: MiddlewareStack }).middlewareStack;
    // Below the deserializer (our answers are parsed as AWS's), and added before the rest of the layer: first to judge.
    stack.add(middleware(service as AccountService), { step: 'deserialize', priority: 'low', name: `byocAccountFaults${id}`, tags: ['BYOC_REALISM'] });
  });
  return {
    get rules() {
      return rules;
    },
    set,
    uninstall: unregister,
  };
}
