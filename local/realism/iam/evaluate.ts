import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { AuthorizationCheck } from './requests';
import type { NamedPolicy, PolicyDocument } from './templates';

/**
 * One IAM decision, by the maintained policy simulator (@cloud-copilot/iam-simulate: AWS's evaluation logic,
 * every condition operator, each action's resource types and condition keys from the Service Authorization
 * Reference). Development only (AGPL-3.0): the local stack and the tests use it, a Lambda bundle never does
 * (docs/decisions.md, 22).
 */

/** Who makes the request: the principal and the policies attached to it. */
export interface IamIdentity {
  /** The principal ARN (a role, or an assumed-role session). */
  principal: string;
  /** The principal's account. */
  accountId: string;
  /** Its identity-based policies. */
  policies: NamedPolicy[];
  /** Its permissions boundary, if it has one. */
  permissionsBoundary?: NamedPolicy[];
}

export interface IamDecision {
  allowed: boolean;
  /** Denied by a Deny statement (rather than for want of an Allow). */
  explicitDeny: boolean;
  action: string;
  resource: string;
  /** The simulator's verdict: `Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`, or its validation error. */
  result: string;
  /** Identity statements that decided it (denying ones, else allowing ones), as `<policy name>/<Sid or index>`. */
  statements: string[];
  /** The policies those statements are in (what IAM's simulation names as `MatchedStatements`). */
  policies: string[];
  /**
   * Context keys that statements for this action and resource test but the request did not give (what IAM's
   * simulation reports as `MissingContextValues`).
   */
  missingContextKeys: string[];
}

/**
 * Evaluate one check for an identity (and a resource policy, e.g. a role's trust policy for `sts:AssumeRole`).
 * `resourceAccount` is the account owning the resource (default: the identity's).
 *
 * @example
 * const decision = await evaluateIam(identity, { action: 'ec2:DeleteVpc', resource: 'arn:aws:ec2:us-west-2:111122223333:vpc/vpc-1', context: {} });
 * if (!decision.allowed) ...
 */
export async function evaluateIam(identity: IamIdentity, check: AuthorizationCheck, options: { resourcePolicy?: PolicyDocument; resourceAccount?: string } = {}): Promise<IamDecision> {
  const simulation: Simulation = {
    request: {
      principal: identity.principal,
      action: check.action,
      resource: { resource: check.resource, accountId: options.resourceAccount ?? identity.accountId },
      contextVariables: check.context,
    },
    identityPolicies: identity.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(options.resourcePolicy ? { resourcePolicy: options.resourcePolicy } : {}),
    ...(identity.permissionsBoundary ? { permissionBoundaryPolicies: identity.permissionsBoundary } : {}),
  };
  const outcome = await runSimulation(simulation, {});
  if (outcome.resultType === 'error') {
    return { allowed: false, explicitDeny: false, action: check.action, resource: check.resource, result: `invalid simulation: ${outcome.errors.message}`, statements: [], policies: [], missingContextKeys: [] };
  }
  const result = outcome.overallResult;
  const analyses = outcome.resultType === 'single' ? [outcome.result] : outcome.results;
  type Found = {
    policyId?: string;
    statement?: { Sid?: string };
    actionMatch?: boolean;
    resourceMatch?: boolean;
    explain?: { identifier?: string; conditions?: { operator?: string; conditionKeyValue?: string; matches?: boolean; failedBecauseMissing?: boolean }[] };
  };
  type Analysis = { allowStatements?: Found[]; denyStatements?: Found[]; unmatchedStatements?: Found[] };
  const identityAnalyses = analyses.map((a) => a.analysis?.identityAnalysis as Analysis | undefined);
  const deciding = identityAnalyses.flatMap((identityAnalysis) => (identityAnalysis?.denyStatements?.length ? identityAnalysis.denyStatements : (identityAnalysis?.allowStatements ?? [])));
  const statements = deciding.map((s) => `${s.policyId ?? '?'}/${s.statement?.Sid ?? s.explain?.identifier ?? '?'}`);
  const policies = [...new Set(deciding.map((s) => s.policyId ?? '?'))];
  // A statement for this action and resource whose condition failed for want of a key the request did not carry
  // (a `Null` test of an absent key fails without being "missing" to the simulator: IAM lists it all the same).
  const given = new Set(Object.keys(check.context).map((k) => k.toLowerCase()));
  const missingKey = (c: { operator?: string; conditionKeyValue?: string; matches?: boolean; failedBecauseMissing?: boolean }) =>
    Boolean(c.conditionKeyValue) && !c.matches && (Boolean(c.failedBecauseMissing) || (/^Null$/i.test(c.operator ?? '') && !given.has(c.conditionKeyValue!.toLowerCase())));
  const missingContextKeys = [
    ...new Set(
      identityAnalyses
        .flatMap((ia) => [...(ia?.allowStatements ?? []), ...(ia?.denyStatements ?? []), ...(ia?.unmatchedStatements ?? [])])
        .filter((s) => s.actionMatch && s.resourceMatch)
        .flatMap((s) => (s.explain?.conditions ?? []).filter(missingKey).map((c) => c.conditionKeyValue!)),
    ),
  ];
  return { allowed: result === 'Allowed', explicitDeny: result === 'ExplicitlyDenied', action: check.action, resource: check.resource, result, statements, policies, missingContextKeys };
}
