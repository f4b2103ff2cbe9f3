import { randomUUID } from 'node:crypto';

/**
 * `iam:SimulatePrincipalPolicy` on the wire, as IAM answers it (moto does not implement it): one `EvaluationResult`
 * per action, whose top-level decision is the most restrictive over the resources asked about, with one
 * `ResourceSpecificResult` per resource when `ResourceArns` were given (then the missing context keys are listed
 * there, not at the top). Two answerers share it: IAM enforcement (the principal's real policies, evaluated by
 * evaluateIam) and, with enforcement off, the account faults (every action allowed unless a `deny:` rule names it);
 * a `deny:` rule also overrides the enforcement's answer ({@link withDenies}), as an explicit Deny would.
 */

export type EvalDecision = 'allowed' | 'implicitDeny' | 'explicitDeny';

/** A statement that decided, as IAM names it: the policy (an inline role policy: `role`) it is in. */
export interface MatchedStatement {
  sourcePolicyId: string;
  sourcePolicyType: 'role' | 'user' | 'group' | 'aws-managed' | 'user-managed' | 'resource' | 'none';
}

export interface ResourceSpecificResult {
  resource: string;
  decision: EvalDecision;
  matchedStatements: MatchedStatement[];
  missingContextValues: string[];
}

/** One `EvaluationResult`. */
export interface SimulatedResult {
  action: string;
  /** `*` when no `ResourceArns` were given. */
  resourceName: string;
  decision: EvalDecision;
  matchedStatements: MatchedStatement[];
  /** Context keys the policies test that the request did not give (only for `*`: else per resource). */
  missingContextValues: string[];
  /** One per resource asked about (only when `ResourceArns` were given). */
  resourceSpecific?: ResourceSpecificResult[];
}

const RANK: Record<EvalDecision, number> = { allowed: 0, implicitDeny: 1, explicitDeny: 2 };

/** The most restrictive of the decisions (an explicit deny over an implicit one over an allow). */
export const mostRestrictive = (decisions: EvalDecision[]): EvalDecision => decisions.reduce<EvalDecision>((a, b) => (RANK[b] > RANK[a] ? b : a), 'allowed');

/**
 * Assemble one action's result from its per-resource results (`resources` undefined: the request named none, and
 * the one result is for `*`).
 */
export function evaluationResult(action: string, resources: string[] | undefined, perResource: ResourceSpecificResult[]): SimulatedResult {
  const decision = mostRestrictive(perResource.map((r) => r.decision));
  const deciding = perResource.filter((r) => r.decision === decision);
  const matched = [...new Map(deciding.flatMap((r) => r.matchedStatements).map((s) => [`${s.sourcePolicyType}|${s.sourcePolicyId}`, s])).values()];
  if (!resources) return { action, resourceName: '*', decision, matchedStatements: matched, missingContextValues: perResource[0]?.missingContextValues ?? [] };
  return { action, resourceName: resources.length === 1 ? resources[0] : '*', decision, matchedStatements: matched, missingContextValues: [], resourceSpecific: perResource };
}

/** The `ResourceArns` of a request, or undefined when it names none (then IAM simulates on `*`). */
export const requestedResources = (input: Record<string, unknown>): string[] | undefined =>
  Array.isArray(input.ResourceArns) && input.ResourceArns.length > 0 ? (input.ResourceArns as unknown[]).map(String) : undefined;

/** The request's `ContextEntries` as a simulator context: list types as lists, the others as their one value. */
export function contextOfEntries(entries: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const entry of Array.isArray(entries) ? (entries as { ContextKeyName?: string; ContextKeyValues?: unknown[]; ContextKeyType?: string }[]) : []) {
    if (!entry.ContextKeyName) continue;
    const values = (entry.ContextKeyValues ?? []).map(String);
    out[entry.ContextKeyName] = /List$/.test(entry.ContextKeyType ?? '') ? values : (values[0] ?? '');
  }
  return out;
}

/** `deny:` rules of the local stack win over whatever the policies said: an explicit deny of the action. */
export function withDenies(results: SimulatedResult[], denied: (action: string) => unknown): SimulatedResult[] {
  return results.map((r) => {
    if (!denied(r.action)) return r;
    const none: MatchedStatement[] = [];
    return {
      ...r,
      decision: 'explicitDeny',
      matchedStatements: none,
      ...(r.resourceSpecific ? { resourceSpecific: r.resourceSpecific.map((s) => ({ ...s, decision: 'explicitDeny' as const, matchedStatements: none })) } : {}),
    };
  });
}

/** The results the response carries (so that an outer answerer can amend them and answer again). */
export const SIMULATED_RESULTS = Symbol('byocSimulatedResults');

export interface SimulationHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
  [SIMULATED_RESULTS]: SimulatedResult[];
}

const xml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const statementsXml = (list: MatchedStatement[]) =>
  list.length === 0 ? '<MatchedStatements/>' : `<MatchedStatements>${list.map((s) => `<member><SourcePolicyId>${xml(s.sourcePolicyId)}</SourcePolicyId><SourcePolicyType>${s.sourcePolicyType}</SourcePolicyType></member>`).join('')}</MatchedStatements>`;
const missingXml = (keys: string[]) => (keys.length === 0 ? '<MissingContextValues/>' : `<MissingContextValues>${keys.map((k) => `<member>${xml(k)}</member>`).join('')}</MissingContextValues>`);

/** IAM's answer: `SimulatePrincipalPolicyResponse` in the query protocol's XML, all results in one page. */
export function simulationResponse(results: SimulatedResult[]): SimulationHttpResponse {
  const members = results
    .map((r) => {
      const specific = r.resourceSpecific
        ? `<ResourceSpecificResults>${r.resourceSpecific.map((s) => `<member><EvalResourceName>${xml(s.resource)}</EvalResourceName><EvalResourceDecision>${s.decision}</EvalResourceDecision>${statementsXml(s.matchedStatements)}${missingXml(s.missingContextValues)}</member>`).join('')}</ResourceSpecificResults>`
        : '';
      return `<member><EvalActionName>${xml(r.action)}</EvalActionName><EvalResourceName>${xml(r.resourceName)}</EvalResourceName><EvalDecision>${r.decision}</EvalDecision>${statementsXml(r.matchedStatements)}${missingXml(r.missingContextValues)}${specific}</member>`;
    })
    .join('');
  const body = `<?xml version="1.0"?>\n<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>${members}</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>`;
  const response = { statusCode: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }, body: Buffer.from(body) } as unknown as SimulationHttpResponse;
  Object.defineProperty(response, SIMULATED_RESULTS, { value: results, enumerable: false });
  return response;
}

/** The results of a response {@link simulationResponse} made, if it is one. */
export const simulatedResultsOf = (response: unknown): SimulatedResult[] | undefined =>
  response && typeof response === 'object' ? (response as Partial<SimulationHttpResponse>)[SIMULATED_RESULTS] : undefined;
