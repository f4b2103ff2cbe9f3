import {
  AllocateAddressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { SimulatePrincipalPolicyCommand, type ContextEntry, type EvaluationResult } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { ProvisioningConfig } from '../config';
import { TAG_PROVISIONING_ID } from '../constants';
import { RetryableAwsError } from '../errors';
import { awsErrorCode, translateAwsError } from '../aws/translate-error';
import { tagSpecification } from '../tags';
import type { Finding, PermissionProbe, PreflightDeps } from './types';

/**
 * One EC2 call the provisioning makes that takes `DryRun`, with the parameters it will be made with (tags at
 * creation included: AWS then also checks `ec2:CreateTags` for the call). The calls into a VPC are probed only in
 * this provisioning's own VPC (an earlier attempt made it): a role narrowed to our VPC (`ec2:Vpc`, our tag) rightly
 * refuses them in any other, so a probe in the customer's default VPC would report a refusal the provisioning never
 * meets. Before our VPC exists they go to the policy simulation instead.
 */
interface DryRunProbe {
  action: string;
  /** Acts in a VPC (or subnet) the provisioning makes: probed only against this provisioning's own, once it exists. */
  inVpc?: boolean;
  send: (ec2: EC2Client) => Promise<unknown>;
}

/** Placeholder IDs for resources the provisioning makes first: AWS may answer `*.NotFound` to them (then the simulation decides). */
/** IDs of what the provisioning makes later in the same call (the NAT gateway's address, the route table): AWS may answer `*.NotFound` (then the simulation decides). */
const PLACEHOLDER = { vpc: 'vpc-0000000000000000a', subnet: 'subnet-0000000000000000a', allocation: 'eipalloc-0000000000000000a', routeTable: 'rtb-0000000000000000a' };

function dryRunProbes(config: ProvisioningConfig, ids: { vpcId: string; subnetId: string }): DryRunProbe[] {
  const DryRun = true;
  const net = config.network;
  const probes: DryRunProbe[] = [
    { action: 'ec2:CreateVpc', send: (ec2) => ec2.send(new CreateVpcCommand({ DryRun, CidrBlock: net.vpcCidr, TagSpecifications: tagSpecification(config, 'vpc', 'vpc') })) },
    {
      action: 'ec2:CreateSubnet', inVpc: true,
      send: (ec2) =>
        ec2.send(
          new CreateSubnetCommand({
            DryRun,
            VpcId: ids.vpcId,
            CidrBlock: net.publicSubnet.cidr,
            ...(net.publicSubnet.availabilityZoneId ? { AvailabilityZoneId: net.publicSubnet.availabilityZoneId } : { AvailabilityZone: net.publicSubnet.availabilityZone }),
            TagSpecifications: tagSpecification(config, 'subnet', 'public-subnet'),
          }),
        ),
    },
    { action: 'ec2:CreateInternetGateway', send: (ec2) => ec2.send(new CreateInternetGatewayCommand({ DryRun, TagSpecifications: tagSpecification(config, 'internet-gateway', 'internet-gateway') })) },
    { action: 'ec2:AllocateAddress', send: (ec2) => ec2.send(new AllocateAddressCommand({ DryRun, Domain: 'vpc', TagSpecifications: tagSpecification(config, 'elastic-ip', 'nat-eip') })) },
    {
      action: 'ec2:CreateNatGateway', inVpc: true,
      send: (ec2) => ec2.send(new CreateNatGatewayCommand({ DryRun, SubnetId: ids.subnetId, AllocationId: PLACEHOLDER.allocation, TagSpecifications: tagSpecification(config, 'natgateway', 'nat-gateway') })),
    },
    { action: 'ec2:CreateRouteTable', inVpc: true, send: (ec2) => ec2.send(new CreateRouteTableCommand({ DryRun, VpcId: ids.vpcId, TagSpecifications: tagSpecification(config, 'route-table', 'private-route-table') })) },
    {
      action: 'ec2:CreateSecurityGroup', inVpc: true,
      send: (ec2) =>
        ec2.send(new CreateSecurityGroupCommand({ DryRun, VpcId: ids.vpcId, GroupName: `${config.projectName}-preflight`, Description: 'preflight (DryRun)', TagSpecifications: tagSpecification(config, 'security-group', 'security-group') })),
    },
  ];
  if (net.s3GatewayEndpoint) {
    probes.push({
      action: 'ec2:CreateVpcEndpoint', inVpc: true,
      send: (ec2) =>
        ec2.send(
          new CreateVpcEndpointCommand({ DryRun, VpcEndpointType: 'Gateway', VpcId: ids.vpcId, ServiceName: net.s3GatewayEndpoint!.serviceName, RouteTableIds: [PLACEHOLDER.routeTable], TagSpecifications: tagSpecification(config, 'vpc-endpoint', 's3-gateway-endpoint') }),
        ),
    });
  } else if (net.vpcEndpoint) {
    probes.push({
      action: 'ec2:CreateVpcEndpoint', inVpc: true,
      send: (ec2) =>
        ec2.send(new CreateVpcEndpointCommand({ DryRun, VpcEndpointType: 'Interface', VpcId: ids.vpcId, ServiceName: net.vpcEndpoint!.serviceName, SubnetIds: [ids.subnetId], TagSpecifications: tagSpecification(config, 'vpc-endpoint', 'vpc-endpoint') })),
    });
  }
  return probes;
}

/** Which of the provisioner's roles makes the calls of a group (in its own account, each kind of step has its own role). */
export type StepRoleKind = 'network' | 'iam' | 'storage';

/**
 * Environment variables naming the provisioner's step roles (serverless.yml sets them on the Preflight function):
 * without `targetAccount`, the steps act as these roles, so the simulation asks about them.
 */
export const STEP_ROLE_ENV: Record<StepRoleKind, string> = { network: 'BYOC_NETWORK_STEPS_ROLE_ARN', iam: 'BYOC_IAM_STEPS_ROLE_ARN', storage: 'BYOC_STORAGE_STEPS_ROLE_ARN' };

/**
 * The actions the provisioning needs that no DryRun can probe, by the resources they act on (IAM, S3, Route 53, and
 * the EC2 calls on resources that do not exist before the provisioning makes them), for iam:SimulatePrincipalPolicy.
 * `created`: the calls that make the resource, which carries no tag yet (no `*:ResourceTag` in their context: a
 * policy allowing a create only of an untagged name, `Null iam:ResourceTag/...: true`, is judged as AWS will).
 */
function simulationGroups(config: ProvisioningConfig): { kind: StepRoleKind; resources?: string[]; actions: string[]; created?: boolean }[] {
  const p = config.partition;
  const roleArn = (name: string) => `arn:${p}:iam::${config.accountId}:role/${name}`;
  const boundary = Boolean(config.iamRole.permissionsBoundaryArn || config.storageRole.permissionsBoundaryArn || config.crossAccountRole.permissionsBoundaryArn);
  const roles = [config.iamRole.name, config.storageRole.name, config.crossAccountRole.name].map(roleArn);
  return [
    { kind: 'iam', resources: roles, actions: ['iam:CreateRole'], created: true },
    {
      kind: 'iam',
      resources: roles,
      actions: ['iam:GetRole', 'iam:TagRole', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', ...(boundary ? ['iam:PutRolePermissionsBoundary'] : [])],
    },
    {
      kind: 'storage',
      resources: [`arn:${p}:s3:::${config.bucket.name}`],
      actions: config.bucket.existing
        ? ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListAllMyBuckets']
        : ['s3:CreateBucket', 's3:ListBucket', 's3:GetBucketLocation', 's3:PutBucketTagging', 's3:PutBucketPublicAccessBlock', 's3:PutBucketOwnershipControls', 's3:PutEncryptionConfiguration', 's3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:ListAllMyBuckets'],
    },
    {
      kind: 'network',
      actions: [
        'ec2:ModifyVpcAttribute',
        'ec2:AttachInternetGateway',
        'ec2:CreateRoute',
        'ec2:AssociateRouteTable',
        'ec2:AuthorizeSecurityGroupIngress',
        'ec2:AuthorizeSecurityGroupEgress',
        'ec2:RevokeSecurityGroupEgress',
        ...(config.network.privateDns ? ['route53:CreateHostedZone', 'route53:ChangeResourceRecordSets', 'route53:GetChange', 'route53:ChangeTagsForResource'] : []),
      ],
    },
  ];
}

/**
 * The IAM principal whose policies decide: the customer's role when the provisioning acts through `targetAccount`;
 * otherwise the caller, with an assumed-role session turned into its role (`arn:aws:sts::A:assumed-role/R/s` ->
 * `arn:aws:iam::A:role/R`). Undefined for the account's root user (which is allowed everything).
 */
export function simulationPrincipal(config: Pick<ProvisioningConfig, 'targetAccount'>, callerArn: string | undefined): string | undefined {
  if (config.targetAccount?.roleArn) return config.targetAccount.roleArn;
  if (!callerArn) return undefined;
  const assumed = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  if (assumed) return `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`;
  if (/:root$/.test(callerArn)) return undefined;
  return callerArn;
}

/** What the request's resources will carry, as context keys the policies may test (aws:RequestTag, aws:TagKeys, aws:ResourceTag...; for a create, the request's tags only). */
function contextEntries(config: ProvisioningConfig, created = false): ContextEntry[] {
  const tags = Object.entries(config.tags);
  return [
    ...tags.flatMap(([k, v]) => (created ? ['aws:RequestTag'] : ['aws:RequestTag', 'aws:ResourceTag', 'ec2:ResourceTag', 'iam:ResourceTag']).map((prefix) => ({ ContextKeyName: `${prefix}/${k}`, ContextKeyValues: [v], ContextKeyType: 'string' as const }))),
    { ContextKeyName: 'aws:TagKeys', ContextKeyValues: tags.map(([k]) => k), ContextKeyType: 'stringList' },
  ];
}

const isTransient = (error: unknown): boolean => translateAwsError(error, 'probe a permission') instanceof RetryableAwsError;

/** The decision for one simulated action: denied only when no context key the policies test was missing. */
function decisionOf(result: EvaluationResult): PermissionProbe['result'] {
  const missing = [...(result.MissingContextValues ?? []), ...(result.ResourceSpecificResults ?? []).flatMap((r) => r.MissingContextValues ?? [])];
  const decisions = [result.EvalDecision, ...(result.ResourceSpecificResults ?? []).map((r) => r.EvalResourceDecision)].filter(Boolean);
  if (decisions.every((d) => d === 'allowed')) return 'allowed';
  return missing.length > 0 ? 'unchecked' : 'denied';
}

/** Where a missing permission goes: the customer's role template, or the provisioner's own roles. */
function grantFix(config: ProvisioningConfig, action: string, principal: string | undefined): string {
  return config.targetAccount
    ? `allow ${action} to the customer role ${config.targetAccount.roleArn} (deploy/customer-role.yaml grants every action the provisioning needs: update the stack with the current template)`
    : `allow ${action} to ${principal ?? 'the role the provisioner runs as'} (serverless.yml gives each step's role the actions it calls: deploy the current version)`;
}

/**
 * Permissions, before anything is made:
 * - the EC2 creates of the provisioning that take `DryRun` are sent with it, as the steps will send them (tags at
 *   creation included): `DryRunOperation` means allowed, `UnauthorizedOperation` missing (an error naming the
 *   action); any other answer (an ID AWS cannot find) leaves the action to the simulation. The creates into a VPC
 *   are probed in this provisioning's own VPC once an earlier attempt made it, and simulated before (never probed in
 *   someone else's VPC, which a role narrowed to ours rightly refuses);
 * - the rest (IAM, S3, Route 53, and EC2 calls on resources not made yet) through `iam:SimulatePrincipalPolicy` on
 *   the principal the steps act as, with our tags as request context; an action is missing only when the
 *   simulation denies it without lacking a context key (for EC2 actions on resources not made yet, simulated on
 *   '*', only an explicit Deny is certain: an implicit one is a warning). If the simulation itself is refused (or not offered by
 *   the endpoint), a warning lists what could not be checked: those are checked when the steps run.
 * Transient errors (throttling, 5xx) are thrown (the state machine retries the step).
 */
export async function checkPermissions(
  config: ProvisioningConfig,
  deps: PreflightDeps,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ findings: Finding[]; probes: PermissionProbe[]; principal?: string }> {
  const findings: Finding[] = [];
  const probes: PermissionProbe[] = [];
  let callerArn: string | undefined;
  try {
    callerArn = (await deps.sts.send(new GetCallerIdentityCommand({}))).Arn;
  } catch (error) {
    throw translateAwsError(error, config.targetAccount ? `assume ${config.targetAccount.roleArn}` : 'read the caller identity');
  }
  const principal = simulationPrincipal(config, callerArn);
  const who = principal ?? callerArn ?? 'the caller';
  /** Whose policies decide a group: the customer's role, else the step role of that kind (when deployed), else the caller. */
  const principalOf = (kind: StepRoleKind): string | undefined => (config.targetAccount ? principal : env[STEP_ROLE_ENV[kind]] || principal);

  // This provisioning's own VPC and a subnet of it, when an earlier attempt made them (found by our tag).
  let ids: { vpcId: string; subnetId: string } | undefined;
  try {
    const ours = [{ Name: `tag:${TAG_PROVISIONING_ID}`, Values: [config.provisioningId] }];
    const vpc = ((await deps.ec2.send(new DescribeVpcsCommand({ Filters: ours }))).Vpcs ?? [])[0];
    const subnet = vpc?.VpcId ? ((await deps.ec2.send(new DescribeSubnetsCommand({ Filters: [...ours, { Name: 'vpc-id', Values: [vpc.VpcId] }] }))).Subnets ?? [])[0] : undefined;
    if (vpc?.VpcId && subnet?.SubnetId) ids = { vpcId: vpc.VpcId, subnetId: subnet.SubnetId };
  } catch (error) {
    if (isTransient(error)) throw translateAwsError(error, 'look for the VPC of this provisioning');
    // Without ec2:Describe* the calls into the VPC go to the simulation.
  }

  const toSimulate: string[] = [];
  const probesNow = dryRunProbes(config, ids ?? { vpcId: PLACEHOLDER.vpc, subnetId: PLACEHOLDER.subnet });
  toSimulate.push(...probesNow.filter((p) => p.inVpc && !ids).map((p) => p.action));
  for (const probe of probesNow.filter((p) => !p.inVpc || ids)) {
    try {
      const answer = (await probe.send(deps.ec2)) as Record<string, unknown>;
      // Only an endpoint that ignores DryRun answers with a result: AWS never does. Say so: it may have made something.
      probes.push({ action: probe.action, via: 'dry-run', result: 'allowed' });
      findings.push({
        check: 'permission',
        severity: 'warning',
        action: probe.action,
        message: `the endpoint answered ${probe.action} with DryRun as if it had run it (${JSON.stringify(answer).slice(0, 200)}): it ignores DryRun, so the preflight may have made a resource.`,
        fix: 'use an endpoint that honours DryRun (AWS, or the local stack with its realism layer); remove what the answer names',
      });
    } catch (error) {
      const code = awsErrorCode(error);
      if (code === 'DryRunOperation') probes.push({ action: probe.action, via: 'dry-run', result: 'allowed' });
      else if (code === 'UnauthorizedOperation' || /AccessDenied/.test(code)) {
        probes.push({ action: probe.action, via: 'dry-run', result: 'denied' });
        findings.push({
          check: 'permission',
          severity: 'error',
          action: probe.action,
          message: `${probe.action} is not allowed for ${who} (EC2 answered the DryRun call with ${code}; the provisioning would fail there).`,
          fix: `${grantFix(config, probe.action, principal)}. EC2's encoded message says which policy denied it: aws sts decode-authorization-message --encoded-message <message>`,
        });
      } else if (isTransient(error)) throw translateAwsError(error, `probe ${probe.action} with DryRun`);
      else toSimulate.push(probe.action);
    }
  }

  const groups = simulationGroups(config);
  if (toSimulate.length > 0) groups[groups.length - 1].actions.push(...toSimulate);
  const unchecked = (reason: string, from = 0) => {
    const actions = groups.slice(from).flatMap((g) => g.actions);
    for (const action of actions) probes.push({ action, via: 'simulation', result: 'unchecked' });
    findings.push({
      check: 'permission',
      severity: 'warning',
      message: `${reason}: these permissions were not checked before the provisioning: ${actions.join(', ')}. A missing one fails its step with AccessDeniedError naming it (and the rollback removes what was made).`,
      fix: principal
        ? `allow iam:SimulatePrincipalPolicy on ${principal} to ${who === principal ? 'the same role' : who} (deploy/customer-role.yaml grants it on the role itself)`
        : 'run the provisioner as an IAM role or user (the root user is allowed everything)',
    });
  };
  if (!principal && !(callerArn && /:root$/.test(callerArn))) {
    unchecked('the caller is unknown');
    return { findings, probes };
  }
  if (!principal) return { findings, probes, principal: callerArn };
  for (const [index, group] of groups.entries()) {
    const source = principalOf(group.kind)!;
    const context = contextEntries(config, group.created);
    let results: EvaluationResult[] = [];
    try {
      let Marker: string | undefined;
      do {
        const out = await deps.iam.send(
          new SimulatePrincipalPolicyCommand({ PolicySourceArn: source, ActionNames: group.actions, ...(group.resources ? { ResourceArns: group.resources } : {}), ContextEntries: context, Marker }),
        );
        results.push(...(out.EvaluationResults ?? []));
        Marker = out.IsTruncated ? out.Marker : undefined;
      } while (Marker);
    } catch (error) {
      if (isTransient(error) && /Throttl/.test(awsErrorCode(error))) throw translateAwsError(error, 'simulate the policies');
      const code = awsErrorCode(error);
      unchecked(/AccessDenied|Unauthorized/.test(code) ? `iam:SimulatePrincipalPolicy was refused for ${who} (${code})` : `iam:SimulatePrincipalPolicy could not be used (${code})`, index);
      return { findings, probes, principal };
    }
    results = results.filter((r) => r.EvalActionName);
    const unconfirmed: string[] = [];
    for (const action of group.actions) {
      const forAction = results.filter((r) => r.EvalActionName?.toLowerCase() === action.toLowerCase());
      let result: PermissionProbe['result'] = forAction.length === 0 ? 'unchecked' : forAction.some((r) => decisionOf(r) === 'denied') ? 'denied' : forAction.every((r) => decisionOf(r) === 'allowed') ? 'allowed' : 'unchecked';
      // EC2 resources not made yet are simulated on '*': a policy narrowed to our VPC's ARNs cannot match that, so
      // only an explicit Deny is certain; an implicit one is reported as not confirmed.
      if (result === 'denied' && !group.resources && forAction.every((r) => r.EvalDecision !== 'explicitDeny')) {
        result = 'unchecked';
        unconfirmed.push(action);
      }
      probes.push({ action, via: 'simulation', result });
      if (result === 'denied') {
        const decision = forAction.map((r) => r.EvalDecision).find((d) => d !== 'allowed') ?? 'implicitDeny';
        findings.push({
          check: 'permission',
          severity: 'error',
          action,
          message: `${action} is not allowed for ${source} (iam:SimulatePrincipalPolicy: ${decision}${group.resources ? ` on ${group.resources.join(', ')}` : ''}; the provisioning would fail there).`,
          fix: grantFix(config, action, source),
        });
      }
    }
    if (unconfirmed.length > 0) {
      findings.push({
        check: 'permission',
        severity: 'warning',
        message: `${unconfirmed.join(', ')}: the policy simulation of ${source} did not allow ${unconfirmed.length === 1 ? 'it' : 'them'} on resources that do not exist yet ('*'); a policy narrowed to the provisioning's own VPC allows them only once it exists, so this is not confirmed either way.`,
        fix: `make sure ${source} allows ${unconfirmed.join(', ')} in the VPC the provisioning makes (deploy/customer-role.yaml does)`,
      });
    }
  }
  return { findings, probes, principal };
}
