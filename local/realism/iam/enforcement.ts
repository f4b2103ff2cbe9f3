import { randomUUID } from 'node:crypto';
import {
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { isWildcardOnlyAction } from '@cloud-copilot/iam-simulate';
import type { AwsTarget } from '../../../shared/aws/clients';
import { evaluateIam, type IamDecision, type IamIdentity } from './evaluate';
import { currentFunction } from './identity';
import { contextOfEntries, evaluationResult, requestedResources, type EvalDecision, type ResourceSpecificResult, type SimulatedResult } from './simulation';
import { authorizationChecks, type AuthorizationCheck, type Ec2Type, type FactFinder, type ResourceFacts } from './requests';
import { customerRolePolicies, serverlessRoles, type CustomerRolePolicies, type NamedPolicy, type ServerlessRoles } from './templates';

/** The account the provisioner runs in locally (moto's default account): the Lambda roles live there. */
export const LOCAL_ACCOUNT_ID = '123456789012';

/** How the local stack's IAM enforcement is set up (beyond on/off, which the profile says). */
export interface IamEnforcementSettings {
  /**
   * deploy/customer-role.yaml's parameters as the customer deployed it. `VendorAccountId` defaults to the local
   * account (where the provisioner runs); `ExternalId` defaults to the one the request presents (set it to prove that
   * a wrong one is refused); `RoleName` is taken from the role ARN.
   */
  customerRoleParameters?: Record<string, string>;
  /** serverless.yml deploy parameters (`--param`), e.g. `customerRoleArnPattern`. */
  serverlessParameters?: Record<string, string>;
  /**
   * Statements to leave out, as `<policy name>/<Sid>` of the customer role (`byoc-network/DeleteOnlyWhatTheProvisionerTagged`)
   * or `<RoleLogicalId>/<policy name>/<Sid or index>` of a serverless.yml role: what a test removes to show a
   * statement is needed.
   */
  withoutStatements?: string[];
}

/** What enforcement decided for one call attempt. */
export type IamVerdict =
  | { kind: 'allow' }
  | { kind: 'deny'; code: string; message: string; status: number; decision: IamDecision; identity: string }
  | { kind: 'dry-run' };

/** One authorization the enforcement made, for tests to replay against changed policies. */
export interface RecordedCheck {
  functionName: string;
  /** `customer` (deploy/customer-role.yaml, through targetAccount) or the serverless.yml role's logical ID. */
  role: string;
  check: AuthorizationCheck;
  allowed: boolean;
}

/** A client the enforcement judges calls of: its service, where it acts, and its credentials (for reading facts). */
export interface JudgedClient {
  service: string;
  target: AwsTarget;
  credentials: unknown;
}

type Obj = Record<string, unknown>;

const statementId = (policy: NamedPolicy, index: number, sid: string | undefined) => `${policy.name}/${sid ?? index}`;

function withoutStatements(policies: NamedPolicy[], dropped: Set<string>, prefix = ''): NamedPolicy[] {
  if (dropped.size === 0) return policies;
  return policies.map((p) => ({
    name: p.name,
    policy: { ...p.policy, Statement: p.policy.Statement.filter((s, i) => !dropped.has(`${prefix}${statementId(p, i, s.Sid)}`)) },
  }));
}

/** Every statement of the customer role, as `<policy name>/<Sid>` (what `withoutStatements` takes). */
export function customerRoleStatementIds(): string[] {
  const role = customerRolePolicies({ accountId: LOCAL_ACCOUNT_ID, region: 'us-east-1' }, { VendorAccountId: LOCAL_ACCOUNT_ID, ExternalId: 'x' });
  return role.policies.flatMap((p) => p.policy.Statement.map((s, i) => statementId(p, i, s.Sid)));
}

const accountOf = (arn: string): string => arn.split(':')[4] ?? '';
const roleNameOf = (arn: string): string => arn.slice(arn.indexOf(':role/') + ':role/'.length).split('/').pop() ?? '';
const partitionOf = (region: string): string => (region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws');
const b64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * IAM as AWS enforces it, for the calls the steps make on the local stack: the calling function's own role
 * (serverless.yml), or the customer role (deploy/customer-role.yaml) when the step acts through `targetAccount`,
 * whose trust policy is checked first (with the external ID). Answers AWS's own denial for the service.
 */
export function createIamEnforcement(settings: IamEnforcementSettings = {}) {
  const dropped = new Set(settings.withoutStatements ?? []);
  const provisionerRegion = process.env.AWS_REGION || 'us-east-1';
  let lambda: ServerlessRoles | undefined;
  const lambdaRoles = (): ServerlessRoles => {
    if (!lambda) {
      const loaded = serverlessRoles({ accountId: LOCAL_ACCOUNT_ID, region: provisionerRegion }, settings.serverlessParameters);
      for (const role of Object.values(loaded.roles)) role.policies = withoutStatements(role.policies, dropped, `${role.logicalId}/`);
      lambda = loaded;
    }
    return lambda;
  };
  const customerRoles = new Map<string, CustomerRolePolicies>();
  const customerRole = (roleArn: string, externalId: string | undefined, region: string): CustomerRolePolicies => {
    const key = `${roleArn}|${externalId}|${region}`;
    let role = customerRoles.get(key);
    if (!role) {
      role = customerRolePolicies(
        { accountId: accountOf(roleArn), region, partition: partitionOf(region) },
        { VendorAccountId: LOCAL_ACCOUNT_ID, ExternalId: externalId ?? 'none', RoleName: roleNameOf(roleArn), ...settings.customerRoleParameters },
      );
      role.policies = withoutStatements(role.policies, dropped);
      customerRoles.set(key, role);
    }
    return role;
  };
  const trusted = new Map<string, Promise<IamDecision>>();
  const decisions = new Map<string, Promise<IamDecision>>();
  const checks: RecordedCheck[] = [];
  /** The same identity asking the same thing gets the same answer: evaluate once. */
  const decide = (role: string, identity: IamIdentity, check: AuthorizationCheck): Promise<IamDecision> => {
    const key = `${role}|${identity.accountId}|${JSON.stringify(check)}`;
    let decision = decisions.get(key);
    if (!decision) {
      decision = evaluateIam(identity, check);
      decisions.set(key, decision);
    }
    return decision;
  };

  /** The function's own role as an identity, or undefined for a function serverless.yml does not give a role. */
  const lambdaIdentity = (functionName: string): IamIdentity | undefined => {
    const roles = lambdaRoles();
    const role = roles.roles[roles.functionRoles[functionName] ?? ''];
    if (!role) return undefined;
    return { principal: `arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${role.roleArn.split('/').pop()}/${functionName}`, accountId: LOCAL_ACCOUNT_ID, policies: role.policies };
  };

  const factClients = new Map<string, { ec2: EC2Client; iam: IAMClient }>();
  const factsFor = (client: JudgedClient): FactFinder => {
    const key = `${client.target.region}|${client.target.roleArn ?? ''}|${client.target.externalId ?? ''}`;
    let raw = factClients.get(key);
    if (!raw) {
      // Plain clients with the caller's credentials (the same account), without any middleware of ours.
      const config = { region: client.target.region, credentials: client.credentials as never, maxAttempts: 3 };
      raw = { ec2: new EC2Client(config), iam: new IAMClient(config) };
      factClients.set(key, raw);
    }
    const { ec2, iam } = raw;
    const tags = (list: { Key?: string; Value?: string }[] | undefined) => Object.fromEntries((list ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    const quiet = async <T>(read: () => Promise<T | undefined>): Promise<T | undefined> => {
      try {
        return await read();
      } catch {
        return undefined; // not found (or malformed): AWS's own answer comes from the endpoint
      }
    };
    return {
      ec2: (type: Ec2Type, id: string) =>
        quiet<ResourceFacts>(async () => {
          if (id.startsWith('rtbassoc-')) {
            const out = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.route-table-association-id', Values: [id] }] }));
            const table = out.RouteTables?.[0];
            const association = table?.Associations?.find((a) => a.RouteTableAssociationId === id);
            return table ? { tags: tags(table.Tags), vpcId: table.VpcId, routeTableId: table.RouteTableId, subnetId: association?.SubnetId } : undefined;
          }
          switch (type) {
            case 'vpc': {
              const v = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [id] }))).Vpcs?.[0];
              return v && { tags: tags(v.Tags), vpcId: v.VpcId };
            }
            case 'subnet': {
              const v = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [id] }))).Subnets?.[0];
              return v && { tags: tags(v.Tags), vpcId: v.VpcId };
            }
            case 'internet-gateway': {
              const v = (await ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] }))).InternetGateways?.[0];
              return v && { tags: tags(v.Tags), vpcId: v.Attachments?.[0]?.VpcId };
            }
            case 'elastic-ip': {
              const v = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [id] }))).Addresses?.[0];
              return v && { tags: tags(v.Tags) };
            }
            case 'natgateway': {
              const v = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways?.find((n) => n.NatGatewayId === id);
              return v && { tags: tags(v.Tags), vpcId: v.VpcId };
            }
            case 'route-table': {
              const v = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }))).RouteTables?.[0];
              return v && { tags: tags(v.Tags), vpcId: v.VpcId };
            }
            case 'security-group': {
              const v = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups?.[0];
              return v && { tags: tags(v.Tags), vpcId: v.VpcId };
            }
            case 'security-group-rule': {
              const v = (await ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [id] }))).SecurityGroupRules?.[0];
              return v && { tags: tags(v.Tags) };
            }
            case 'vpc-endpoint': {
              const v = (await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))).VpcEndpoints?.[0];
              return v && { tags: tags(v.Tags), vpcId: v.VpcId };
            }
          }
          return undefined;
        }),
      role: (name: string) =>
        quiet<ResourceFacts>(async () => {
          const role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
          return role && { arn: role.Arn, tags: tags(role.Tags), permissionsBoundary: role.PermissionsBoundary?.PermissionsBoundaryArn };
        }),
    };
  };

  /** AWS's denial message: who, what, on which resource, and why (identity policy, explicit deny, trust policy). */
  const denial = (service: string, identity: string, decision: IamDecision, because: string): IamVerdict => {
    const text = `User: ${identity} is not authorized to perform: ${decision.action} on resource: ${decision.resource} because ${because}`;
    if (service === 'ec2') {
      // EC2 adds an encoded authorization message (sts:DecodeAuthorizationMessage on AWS; base64 JSON here).
      const encoded = b64(JSON.stringify({ allowed: false, explicitDeny: decision.explicitDeny, matchedStatements: decision.statements, context: { principal: identity, action: decision.action, resource: decision.resource } }));
      return { kind: 'deny', code: 'UnauthorizedOperation', status: 403, message: `You are not authorized to perform this operation. ${text}. Encoded authorization failure message: ${encoded}`, decision, identity };
    }
    if (service === 'eks' || service === 'servicequotas') return { kind: 'deny', code: 'AccessDeniedException', status: 403, message: text, decision, identity };
    return { kind: 'deny', code: 'AccessDenied', status: 403, message: text, decision, identity };
  };

  /**
   * Judge one call attempt. `allow` lets it through to the endpoint; `deny` is AWS's answer; `dry-run` is EC2's
   * answer to an allowed `DryRun` (which never reaches the endpoint).
   */
  const judge = async (client: JudgedClient, operation: string, input: Obj): Promise<IamVerdict> => {
    const functionName = currentFunction();
    if (!functionName) return { kind: 'allow' }; // not a Lambda: the tests, the CLI, the API handlers
    const own = lambdaIdentity(functionName);
    if (!own) return { kind: 'allow' };
    const { target, service } = client;
    let identity = own;
    let roleKey = lambdaRoles().functionRoles[functionName];
    if (target.roleArn) {
      // The AssumeRole the credentials need: the function's role must allow it, and the role's trust policy too.
      const role = customerRole(target.roleArn, target.externalId, target.region);
      const key = `${own.principal}|${target.roleArn}|${target.externalId}`;
      let trust = trusted.get(key);
      if (!trust) {
        trust = evaluateIam(
          own,
          { action: 'sts:AssumeRole', resource: target.roleArn, context: target.externalId ? { 'sts:ExternalId': target.externalId } : {} },
          { resourcePolicy: role.trustPolicy, resourceAccount: accountOf(target.roleArn) },
        );
        trusted.set(key, trust);
      }
      const decision = await trust;
      if (!decision.allowed) return denial(service, own.principal, decision, 'the role cannot be assumed: no identity-based policy allows sts:AssumeRole on it, or its trust policy does not allow this principal with this external ID');
      const session = `arn:aws:sts::${accountOf(target.roleArn)}:assumed-role/${role.roleName}/${target.provisioningId ? `byoc-${target.provisioningId}`.slice(0, 64) : 'byoc-provisioner'}`;
      identity = { principal: session, accountId: accountOf(target.roleArn), policies: role.policies };
      roleKey = 'customer';
    }
    const scope = { accountId: identity.accountId, region: target.region, partition: partitionOf(target.region) };
    const needed: AuthorizationCheck[] | undefined = await authorizationChecks(service, operation, input, scope, factsFor(client));
    if (!needed) {
      const unknown: IamDecision = { allowed: false, explicitDeny: false, action: `${service}:${operation}`, resource: '*', result: 'unknown operation', statements: [], policies: [], missingContextKeys: [] };
      return denial(service, identity.principal, unknown, `the local stack does not know what AWS authorizes for ${service}:${operation} (add it to local/realism/iam/requests.ts)`);
    }
    for (const check of needed) {
      const decision = await decide(roleKey, identity, check);
      checks.push({ functionName, role: roleKey, check, allowed: decision.allowed });
      if (!decision.allowed) {
        return denial(service, identity.principal, decision, decision.explicitDeny ? `an explicit deny in an identity-based policy` : `no identity-based policy allows the ${check.action} action`);
      }
    }
    if (service === 'ec2' && input.DryRun === true) return { kind: 'dry-run' };
    return { kind: 'allow' };
  };

  /**
   * The identity whose policies `iam:SimulatePrincipalPolicy` evaluates for `PolicySourceArn`: a provisioner Lambda
   * role of serverless.yml (by its role ARN), else the customer role of deploy/customer-role.yaml resolved for that
   * ARN's account (as for a call through targetAccount). Undefined for a principal that is not a role (a user, the
   * local caller): the enforcement knows no policies of those.
   */
  const simulationIdentity = (source: string, target: AwsTarget): IamIdentity | undefined => {
    if (!/^arn:[\w-]+:iam::\d{12}:role\/./.test(source)) return undefined;
    const own = Object.values(lambdaRoles().roles).find((r) => r.roleArn === source);
    if (own) return { principal: source, accountId: LOCAL_ACCOUNT_ID, policies: own.policies };
    const role = customerRole(source, target.externalId ?? settings.customerRoleParameters?.ExternalId, target.region);
    return { principal: source, accountId: accountOf(source), policies: role.policies };
  };

  /**
   * IAM's answer to `iam:SimulatePrincipalPolicy` (the caller's right to call it is judged first, by {@link judge}):
   * each of `ActionNames` on each of `ResourceArns` (default `*`), evaluated against the `PolicySourceArn`
   * principal's policies with `ContextEntries` as the request context. Undefined when the principal is not one the
   * enforcement knows the policies of (the caller then gets whatever answers without enforcement).
   */
  const simulate = async (client: JudgedClient, input: Obj): Promise<SimulatedResult[] | undefined> => {
    const identity = simulationIdentity(String(input.PolicySourceArn ?? ''), client.target);
    if (!identity) return undefined;
    const actions = Array.isArray(input.ActionNames) ? (input.ActionNames as unknown[]).map(String) : [];
    const resources = requestedResources(input);
    const context = contextOfEntries(input.ContextEntries);
    const asDecision = (d: IamDecision): EvalDecision => (d.allowed ? 'allowed' : d.explicitDeny ? 'explicitDeny' : 'implicitDeny');
    return Promise.all(
      actions.map(async (action) => {
        // An unknown service or action: the simulator itself reports it (an invalid simulation, denied).
        const wildcardOnly = action.includes(':') && (await isWildcardOnlyAction(action.slice(0, action.indexOf(':')), action.slice(action.indexOf(':') + 1)).catch(() => false));
        const perResource: ResourceSpecificResult[] = await Promise.all(
          (resources ?? ['*']).map(async (resource) => {
            // An action that supports no resource-level permissions (s3:ListAllMyBuckets) is authorized on '*', which
            // is what a policy's Resource '*' matches whatever ARN was asked about; the simulator insists on '*'.
            const on = wildcardOnly ? '*' : resource;
            const decision = await decide(`simulation:${identity.principal}`, identity, { action, resource: on, context });
            return {
              resource,
              decision: asDecision(decision),
              // IAM lists the statements that decided (none for an implicit deny), by the policy holding them.
              matchedStatements: decision.allowed || decision.explicitDeny ? decision.policies.map((p) => ({ sourcePolicyId: p, sourcePolicyType: 'role' as const })) : [],
              missingContextValues: decision.missingContextKeys,
            };
          }),
        );
        return evaluationResult(action, resources, perResource);
      }),
    );
  };

  return {
    judge,
    simulate,
    /** Every authorization made so far, in order (what a test replays against a policy with a statement removed). */
    checks: checks as readonly RecordedCheck[],
  };
}

export type IamEnforcement = ReturnType<typeof createIamEnforcement>;

/**
 * The provisioner's step roles as the enforcement names them (`arn:aws:iam::123456789012:role/<service>-local-<logical
 * ID>`), by the preflight's kinds: what serverless.yml gives the Preflight function as `BYOC_*_STEPS_ROLE_ARN` on AWS.
 */
export function localStepRoleArns(region = process.env.AWS_REGION || 'us-east-1'): Record<'network' | 'iam' | 'storage', string> {
  const { roles } = serverlessRoles({ accountId: LOCAL_ACCOUNT_ID, region });
  return { network: roles.NetworkStepsRole.roleArn, iam: roles.IamStepsRole.roleArn, storage: roles.StorageStepsRole.roleArn };
}

/** The raw error answer of a service AWS answers in JSON (EKS) or query XML (ELB): the realism layer's other services. */
export function jsonOrQueryErrorResponse(service: string, code: string, message: string, status: number) {
  const requestId = randomUUID();
  if (service === 'eks' || service === 'servicequotas') {
    // EKS speaks REST-JSON, Service Quotas awsJson1_1: both name the error in x-amzn-errortype.
    return { statusCode: status, headers: { 'content-type': service === 'eks' ? 'application/json' : 'application/x-amz-json-1.1', 'x-amzn-errortype': code, 'x-amzn-requestid': requestId }, body: Buffer.from(JSON.stringify({ message })) };
  }
  const xml = `<?xml version="1.0"?>\n<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { statusCode: status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body: Buffer.from(xml) };
}
