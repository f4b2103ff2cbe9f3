import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';

/**
 * The IAM policies the product deploys, read from the templates it deploys them with (deploy/customer-role.yaml and
 * serverless.yml) and resolved as CloudFormation and the Serverless Framework would resolve them for one account,
 * region and partition. What the realism layer's IAM enforcement (and the tests) evaluate: the files themselves,
 * never a copy that could drift.
 */

const ROOT = join(__dirname, '..', '..', '..');
export const CUSTOMER_ROLE_TEMPLATE = join(ROOT, 'deploy', 'customer-role.yaml');
export const SERVERLESS_TEMPLATE = join(ROOT, 'serverless.yml');

/** An IAM policy document as JSON. */
export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}
export interface NamedPolicy {
  name: string;
  policy: PolicyDocument;
}

/** Where CloudFormation would deploy: the pseudo parameters. */
export interface DeployTarget {
  accountId: string;
  region: string;
  partition?: string;
}

const INTRINSICS = ['Ref', 'Sub', 'GetAtt', 'Join', 'If', 'Equals', 'Not', 'And', 'Or', 'Select', 'Split', 'ImportValue', 'Condition'];
const SCHEMA = yaml.DEFAULT_SCHEMA.extend(
  INTRINSICS.flatMap((name) =>
    (['scalar', 'sequence', 'mapping'] as const).map(
      (kind) => new yaml.Type(`!${name}`, { kind, construct: (data: unknown) => (name === 'Ref' || name === 'Condition' ? { [name === 'Ref' ? 'Ref' : 'Condition']: data } : { [`Fn::${name}`]: data }) }),
    ),
  ),
);

/** A template file, parsed with CloudFormation's short-form tags kept as `{ "Fn::X": ... }` / `{ Ref }`. */
export function loadTemplate(path: string): Record<string, unknown> {
  return yaml.load(readFileSync(path, 'utf8'), { schema: SCHEMA }) as Record<string, unknown>;
}

/** The raw text of a template (for reading the comments beside `*` resources). */
export const templateText = (path: string): string => readFileSync(path, 'utf8');

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Resolve CloudFormation intrinsics the way CloudFormation would for `target`: `Ref` (parameters, pseudo
 * parameters, and resources as `ref`), `Fn::Sub` (both forms), `Fn::GetAtt` (as `getAtt`), `Fn::Join`, `Fn::If` with
 * the template's `Conditions`, `Fn::Select`, `Fn::Split`, and `AWS::NoValue`.
 */
export function resolveIntrinsics(
  value: unknown,
  scope: {
    target: DeployTarget;
    parameters: Record<string, string | string[]>;
    conditions?: Record<string, unknown>;
    ref?: (logicalId: string) => string;
    getAtt?: (logicalId: string, attribute: string) => string;
  },
): unknown {
  const partition = scope.target.partition ?? 'aws';
  const pseudo: Record<string, string> = {
    'AWS::AccountId': scope.target.accountId,
    'AWS::Region': scope.target.region,
    'AWS::Partition': partition,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'local',
  };
  const refOf = (name: string): unknown => {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in pseudo) return pseudo[name];
    if (name in scope.parameters) return scope.parameters[name];
    if (scope.ref) return scope.ref(name);
    throw new Error(`Ref to ${name}: not a parameter of the template`);
  };
  const conditionOf = (name: string): boolean => {
    const expression = scope.conditions?.[name];
    if (expression === undefined) throw new Error(`Condition ${name} is not defined`);
    return Boolean(walk(expression));
  };
  const sub = (text: string, vars: Record<string, unknown> = {}): string =>
    text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in vars) return String(vars[name]);
      if (name.includes('.')) {
        const [id, attribute] = name.split('.');
        if (!scope.getAtt) throw new Error(`Fn::Sub ${name}: no GetAtt resolver`);
        return scope.getAtt(id, attribute);
      }
      return String(refOf(name));
    });
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk).filter((x) => x !== NO_VALUE);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys;
      const arg = o[k];
      switch (k) {
        case 'Ref':
          return refOf(String(arg));
        case 'Condition':
          return conditionOf(String(arg));
        case 'Fn::Sub':
          if (typeof arg === 'string') return sub(arg);
          {
            const [text, vars] = arg as [string, Record<string, unknown>];
            return sub(text, Object.fromEntries(Object.entries(vars).map(([n, x]) => [n, walk(x)])));
          }
        case 'Fn::GetAtt': {
          const [id, attribute] = typeof arg === 'string' ? arg.split('.') : (arg as [string, string]);
          if (!scope.getAtt) throw new Error(`Fn::GetAtt ${id}.${attribute}: no resolver`);
          return scope.getAtt(id, attribute);
        }
        case 'Fn::Join': {
          const [separator, items] = arg as [string, unknown[]];
          return (walk(items) as unknown[]).join(separator);
        }
        case 'Fn::If': {
          const [name, yes, no] = arg as [string, unknown, unknown];
          return walk(conditionOf(name) ? yes : no);
        }
        case 'Fn::Equals': {
          const [a, b] = (arg as unknown[]).map(walk);
          return JSON.stringify(a) === JSON.stringify(b);
        }
        case 'Fn::Not':
          return !walk((arg as unknown[])[0]);
        case 'Fn::And':
          return (arg as unknown[]).every((x) => Boolean(walk(x)));
        case 'Fn::Or':
          return (arg as unknown[]).some((x) => Boolean(walk(x)));
        case 'Fn::Select': {
          const [index, items] = arg as [number, unknown];
          return (walk(items) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, unknown];
          return String(walk(text)).split(separator);
        }
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      const r = walk(x);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  };
  return walk(value);
}

/** A template's parameters: their defaults, overridden by `given`. */
function parametersOf(template: Record<string, unknown>, given: Record<string, string> = {}): Record<string, string | string[]> {
  const declared = (template.Parameters ?? {}) as Record<string, { Default?: unknown; Type?: string }>;
  const out: Record<string, string | string[]> = {};
  for (const [name, p] of Object.entries(declared)) {
    const value = given[name] ?? (p.Default === undefined ? undefined : String(p.Default));
    if (value === undefined) continue;
    out[name] = p.Type?.startsWith('List<') || p.Type === 'CommaDelimitedList' ? (value === '' ? [] : value.split(',')) : value;
  }
  for (const [name, value] of Object.entries(given)) out[name] ??= value;
  return out;
}

/** The customer role (deploy/customer-role.yaml) as deployed in the customer's account. */
export interface CustomerRolePolicies {
  roleName: string;
  roleArn: string;
  /** Its inline policies, one per `Policies` entry. */
  policies: NamedPolicy[];
  /** Its trust policy (who may assume it, and with which external ID). */
  trustPolicy: PolicyDocument;
  /** The permissions boundary the role must create roles under (the template's `PermissionsBoundaryArn`), if any. */
  permissionsBoundaryArn?: string;
}

/**
 * The customer role of deploy/customer-role.yaml, resolved for the customer's account (`target`) with the
 * template's parameters (`VendorAccountId` and `ExternalId` are required; the others default as in the template).
 */
export function customerRolePolicies(target: DeployTarget, parameters: Record<string, string>): CustomerRolePolicies {
  const template = loadTemplate(CUSTOMER_ROLE_TEMPLATE);
  const params = parametersOf(template, parameters);
  const resources = template.Resources as Record<string, { Properties: Record<string, unknown> }>;
  const role = resolveIntrinsics(resources.ProvisionerRole.Properties, { target, parameters: params, conditions: template.Conditions as Record<string, unknown> }) as {
    RoleName: string;
    AssumeRolePolicyDocument: PolicyDocument;
    Policies: { PolicyName: string; PolicyDocument: PolicyDocument }[];
  };
  const partition = target.partition ?? 'aws';
  return {
    roleName: role.RoleName,
    roleArn: `arn:${partition}:iam::${target.accountId}:role/${role.RoleName}`,
    policies: role.Policies.map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument })),
    trustPolicy: role.AssumeRolePolicyDocument,
    permissionsBoundaryArn: (params.PermissionsBoundaryArn as string | undefined) || undefined,
  };
}

/** Serverless variables (`${self:...}`, `${sls:stage}`, `${param:x, default}`, `${opt:...}`) resolved as the Framework would. */
function resolveServerlessVariables(config: Record<string, unknown>, stage: string, params: Record<string, string>): Record<string, unknown> {
  const lookup = (path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], config);
  const one = (expression: string): unknown => {
    const [source, ...fallbacks] = expression.split(/,\s*/);
    const resolved = (ref: string): unknown => {
      if (/^'.*'$/.test(ref)) return ref.slice(1, -1);
      if (ref === 'sls:stage' || ref === 'opt:stage') return stage;
      if (ref.startsWith('self:')) return resolveText(lookup(ref.slice(5)));
      if (ref.startsWith('param:')) return params[ref.slice(6)];
      if (ref.startsWith('opt:')) return undefined;
      return undefined;
    };
    for (const ref of [source, ...fallbacks]) {
      const value = resolved(ref.trim());
      if (value !== undefined) return value;
    }
    return undefined;
  };
  const resolveText = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const whole = /^\$\{((?:self|sls|param|opt):[^}]*)\}$/.exec(v);
      if (whole) return one(whole[1]);
      return v.replace(/\$\{((?:self|sls|param|opt):[^}]*)\}/g, (_, e: string) => String(one(e)));
    }
    if (Array.isArray(v)) return v.map(resolveText);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveText(x)]));
    return v;
  };
  return resolveText(config) as Record<string, unknown>;
}

/** One Lambda role of serverless.yml, resolved for the provisioner's account. */
export interface LambdaRolePolicies {
  /** The logical ID in serverless.yml (`NetworkStepsRole`). */
  logicalId: string;
  /** The role's ARN as the simulator names the principal (CloudFormation generates the real name). */
  roleArn: string;
  policies: NamedPolicy[];
}

/** The Lambda roles of serverless.yml, and which function uses which. */
export interface ServerlessRoles {
  roles: Record<string, LambdaRolePolicies>;
  /** serverless.yml `functions.<Name>.role`, by function name. */
  functionRoles: Record<string, string>;
}

/**
 * Every IAM role of serverless.yml, with its inline policies resolved for `target` (stage `local`; deploy
 * parameters as `--param` would give them). Managed policies (the basic execution role: logs) are left out: the
 * steps call no service they govern.
 */
export function serverlessRoles(target: DeployTarget, params: Record<string, string> = {}, stage = 'local'): ServerlessRoles {
  const raw = loadTemplate(SERVERLESS_TEMPLATE);
  const config = resolveServerlessVariables(raw, stage, params);
  const service = String(config.service);
  const partition = target.partition ?? 'aws';
  const resources = ((config.resources as Record<string, unknown>).Resources ?? {}) as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const ref = (id: string): string => {
    if (/StateMachine$/.test(id)) return `arn:${partition}:states:${target.region}:${target.accountId}:stateMachine:${service}-${stage}-${id}`;
    if (/Table$/.test(id)) return `${service}-${stage}-${id}`;
    return `${id}-local`;
  };
  const roleArnOf = (logicalId: string) => `arn:${partition}:iam::${target.accountId}:role/${service}-${stage}-${logicalId}`;
  const getAtt = (id: string, attribute: string): string => {
    // A role's ARN (`!GetAtt NetworkStepsRole.Arn`, e.g. what the Preflight role may simulate): the name as below.
    if (resources[id]?.Type === 'AWS::IAM::Role' && attribute === 'Arn') return roleArnOf(id);
    if (/Table$/.test(id)) return `arn:${partition}:dynamodb:${target.region}:${target.accountId}:table/${service}-${stage}-${id}`;
    if (/LambdaFunction$/.test(id)) return `arn:${partition}:lambda:${target.region}:${target.accountId}:function:${service}-${stage}-${id.replace(/LambdaFunction$/, '')}`;
    return `arn:${partition}:local:${target.region}:${target.accountId}:${id}/${attribute}`;
  };
  const roles: Record<string, LambdaRolePolicies> = {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const props = resolveIntrinsics(resource.Properties, { target, parameters: {}, ref, getAtt }) as { Policies?: { PolicyName: string; PolicyDocument: PolicyDocument }[] };
    roles[logicalId] = {
      logicalId,
      roleArn: roleArnOf(logicalId),
      policies: (props.Policies ?? []).map((p) => ({ name: p.PolicyName, policy: p.PolicyDocument })),
    };
  }
  const functions = config.functions as Record<string, { role?: string }>;
  const functionRoles = Object.fromEntries(Object.entries(functions).flatMap(([name, f]) => (f.role ? [[name, f.role]] : [])));
  return { roles, functionRoles };
}
