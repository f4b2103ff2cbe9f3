import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, type EC2Client, type Tag as Ec2Tag } from '@aws-sdk/client-ec2';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { GetBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { ec2Client, iamClient, s3Client, type AwsTarget } from '../shared/aws/clients';
import { TAG_VENDOR_KEY, TAG_VENDOR_VALUE, VENDOR_CONTROL_PLANE_ROLE_ARN } from '../shared/constants';
import { OIDC_PLACEHOLDER } from '../shared/iam/trust-policy';
import { getRecord } from '../shared/registry/store';
import type { ProvisioningOutputs } from '../shared/state';
import { ProvisioningIndex } from './provisionings';
import { startLocalStack } from './stack';

/**
 * The vendor's side, simulated (issue 11): after a provisioning, act as the vendor's control plane and as the roles
 * we hand it, and ask an IAM policy simulator whether AWS would let each of them do what the vendor does next:
 * assume the cross-account role (only with the right external ID), pass the EKS role to EKS, update the EKS and
 * storage roles' trust policies, launch tagged instances into each private subnet with our security group, read the
 * bucket's location, and let a Milvus service account use the storage role to read and write our bucket (and no
 * other). The policies judged are the ones AWS (here: the local stack's moto) actually holds, read back with the
 * same SDK calls an auditor would make, not the ones our code meant to write.
 *
 * The simulator is `@cloud-copilot/iam-simulate` (AGPL-3.0): a development dependency used by the CLI and the tests on
 * this machine, never bundled into a Lambda (decision 22).
 */

/** Who acts in a check. */
export type AcceptanceActor = 'vendor control plane' | 'cross-account role' | 'storage role' | 'service account' | 'another principal';

export interface AcceptanceCheck {
  /** The requirement the vendor relies on (docs/requirements.md). */
  requirement: 'X1' | 'S1' | 'S2' | 'R4' | 'V7' | 'V8';
  actor: AcceptanceActor;
  /** What the vendor does, in words. */
  description: string;
  action: string;
  resource: string;
  expected: 'allowed' | 'denied';
  decision: 'allowed' | 'denied';
  pass: boolean;
  /** For a failed check: why the simulator decided as it did (the statements that did not match). */
  reason?: string;
}

export interface AcceptanceReport {
  provisioningId: string;
  pass: boolean;
  checks: AcceptanceCheck[];
  /** Checks that could not run yet, with why (e.g. the storage role has no OIDC issuer until the cluster exists). */
  skipped: string[];
}

export interface AcceptanceDeps {
  iam: IAMClient;
  ec2: EC2Client;
  s3: S3Client;
}

export interface AcceptanceOptions {
  /** The vendor control plane's role (default: the vendor's published one). */
  vendorPrincipalArn?: string;
  /** The Kubernetes service account that uses the storage role (default: a Milvus one, as the vendor deploys). */
  serviceAccount?: string;
}

export const DEFAULT_SERVICE_ACCOUNT = 'system:serviceaccount:milvus-abc:milvus-x';
/** A principal that is neither the vendor nor the customer: the cross-account role must refuse it. */
const STRANGER_ARN = 'arn:aws:iam::111122223333:role/zilliz-byoc';
const OTHER_BUCKET = 'someone-elses-bucket';

interface RolePolicies {
  arn: string;
  name: string;
  trust: unknown;
  identity: { name: string; policy: unknown }[];
}

const decode = (document: string | undefined): unknown => (document ? JSON.parse(decodeURIComponent(document)) : undefined);

async function rolePolicies(roleArn: string, iam: IAMClient): Promise<RolePolicies> {
  const name = roleArn.split('/').pop() as string;
  const { Role } = await iam.send(new GetRoleCommand({ RoleName: name }));
  const identity: { name: string; policy: unknown }[] = [];
  const { PolicyNames = [] } = await iam.send(new ListRolePoliciesCommand({ RoleName: name }));
  for (const policyName of PolicyNames) {
    const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
    identity.push({ name: policyName, policy: decode(PolicyDocument) });
  }
  const { AttachedPolicies = [] } = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
  for (const attached of AttachedPolicies) {
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: attached.PolicyArn }));
    const { PolicyVersion } = await iam.send(new GetPolicyVersionCommand({ PolicyArn: attached.PolicyArn, VersionId: Policy?.DefaultVersionId }));
    identity.push({ name: attached.PolicyName ?? String(attached.PolicyArn), policy: decode(PolicyVersion?.Document) });
  }
  return { arn: roleArn, name, trust: decode(Role?.AssumeRolePolicyDocument), identity };
}

const tagContext = (prefix: string, tags: Ec2Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [`${prefix}/${t.Key}`, t.Value ?? '']));

/** The federated issuer in a trust policy (`oidc.eks.<region>.amazonaws.com/id/<ID>`), or undefined while it is the vendor's placeholder. */
function webIdentityIssuer(trust: unknown): string | undefined {
  const statements = [(trust as { Statement?: unknown })?.Statement ?? []].flat() as { Principal?: { Federated?: string | string[] } }[];
  for (const statement of statements) {
    for (const federated of [statement.Principal?.Federated ?? []].flat()) {
      const issuer = federated.split(':oidc-provider/')[1];
      if (issuer && !issuer.includes(OIDC_PLACEHOLDER)) return issuer;
    }
  }
  return undefined;
}

interface Ask {
  requirement: AcceptanceCheck['requirement'];
  actor: AcceptanceActor;
  description: string;
  principal: string;
  action: string;
  resource: string;
  accountId: string;
  expected: 'allowed' | 'denied';
  identity?: { name: string; policy: unknown }[];
  resourcePolicy?: unknown;
  context?: Record<string, string | string[]>;
  /**
   * The OIDC issuer whose `<issuer>:sub` and `<issuer>:aud` keys the request carries (`sts:AssumeRoleWithWebIdentity`
   * only): see withProviderKeysRenamed.
   */
  providerKeys?: string;
}

function whyNot(result: unknown): string {
  const analysis = (result as { analysis?: Record<string, { unmatchedStatements?: { explain?: unknown }[]; result?: string } | undefined> })?.analysis;
  if (!analysis) return 'no analysis';
  const parts: string[] = [];
  for (const key of ['identityAnalysis', 'resourceAnalysis'] as const) {
    const part = analysis[key];
    if (!part) continue;
    parts.push(`${key.replace('Analysis', '')}: ${part.result}`);
  }
  return parts.join('; ');
}

/**
 * The simulator accepts only the context keys the Service Authorization Reference lists for an action, and for
 * `sts:AssumeRoleWithWebIdentity` it lists the keys of named providers (`accounts.google.com:sub`...), not those of
 * an EKS cluster's issuer (`oidc.eks.<region>.amazonaws.com/id/<ID>:sub`), which it would silently ignore (and so
 * deny). The keys are renamed to a listed provider's, in the trust policy's conditions and in the request alike: the
 * operators and values, and the `Federated` principal, are judged unchanged.
 */
function withProviderKeysRenamed(simulation: Simulation, issuer: string): Simulation {
  const rename = (key: string) => (key.startsWith(`${issuer}:`) ? `accounts.google.com:${key.slice(issuer.length + 1)}` : key);
  const renamedPolicy = JSON.parse(JSON.stringify(simulation.resourcePolicy ?? {}).split(`"${issuer}:`).join('"accounts.google.com:'));
  const context = Object.fromEntries(Object.entries(simulation.request.contextVariables).map(([key, value]) => [rename(key), value]));
  return { ...simulation, resourcePolicy: renamedPolicy, request: { ...simulation.request, contextVariables: context } } as Simulation;
}

async function judge(ask: Ask): Promise<AcceptanceCheck> {
  const simulation = {
    identityPolicies: ask.identity ?? [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(ask.resourcePolicy ? { resourcePolicy: ask.resourcePolicy } : {}),
    request: {
      principal: ask.principal,
      action: ask.action,
      resource: { resource: ask.resource, accountId: ask.accountId },
      contextVariables: ask.context ?? {},
    },
  } as unknown as Simulation;
  const response = await runSimulation(ask.providerKeys ? withProviderKeysRenamed(simulation, ask.providerKeys) : simulation, {});
  if (response.resultType === 'error') throw new Error(`the IAM simulator refused the request for ${ask.action} on ${ask.resource}: ${JSON.stringify(response.errors)}`);
  const allowed = response.overallResult === 'Allowed';
  const reason = response.resultType === 'single' ? whyNot(response.result) : String(response.overallResult);
  const decision = allowed ? 'allowed' : 'denied';
  const pass = decision === ask.expected;
  return {
    requirement: ask.requirement,
    actor: ask.actor,
    description: ask.description,
    action: ask.action,
    resource: ask.resource,
    expected: ask.expected,
    decision,
    pass,
    ...(pass ? {} : { reason }),
  };
}

/** The vendor's own identity policy is not ours to see: assume it lets the control plane assume roles anywhere. */
const VENDOR_IDENTITY = [{ name: 'vendor-control-plane', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] } }];

/**
 * Run the vendor-side acceptance simulation on a provisioning's outputs, reading the policies AWS holds.
 *
 * @example const report = await runAcceptance(outputs, { iam, ec2, s3 });
 */
export async function runAcceptance(outputs: ProvisioningOutputs, deps: AcceptanceDeps, options: AcceptanceOptions = {}): Promise<AcceptanceReport> {
  const account = outputs.accountId;
  const region = outputs.region;
  const partition = outputs.crossAccountRoleArn.split(':')[1] ?? 'aws';
  const vendor = options.vendorPrincipalArn ?? VENDOR_CONTROL_PLANE_ROLE_ARN;
  const serviceAccount = options.serviceAccount ?? DEFAULT_SERVICE_ACCOUNT;
  const ec2Arn = (type: string, id: string) => `arn:${partition}:ec2:${region}:${account}:${type}/${id}`;

  const crossAccount = await rolePolicies(outputs.crossAccountRoleArn, deps.iam);
  const storage = await rolePolicies(outputs.storageRoleArn, deps.iam);
  const { Subnets = [] } = await deps.ec2.send(new DescribeSubnetsCommand({ SubnetIds: outputs.privateSubnetIds }));
  const { SecurityGroups = [] } = await deps.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [outputs.securityGroupId] }));
  let bucketPolicy: unknown;
  try {
    const { Policy } = await deps.s3.send(new GetBucketPolicyCommand({ Bucket: outputs.bucketName }));
    bucketPolicy = Policy ? JSON.parse(Policy) : undefined;
  } catch (error) {
    if ((error as { name?: string }).name !== 'NoSuchBucketPolicy') throw error;
  }

  const asVendor = `arn:${partition}:sts::${account}:assumed-role/${crossAccount.name}/zilliz-byoc`;
  const asStorage = `arn:${partition}:sts::${account}:assumed-role/${storage.name}/${serviceAccount.split(':').pop()}`;
  const vendorTags = { [`aws:RequestTag/${TAG_VENDOR_KEY}`]: TAG_VENDOR_VALUE, 'aws:TagKeys': [TAG_VENDOR_KEY] };
  const asks: Ask[] = [];
  const assume = (description: string, principal: string, externalId: string | undefined, expected: 'allowed' | 'denied', actor: AcceptanceActor) =>
    asks.push({
      requirement: 'X1',
      actor,
      description,
      principal,
      action: 'sts:AssumeRole',
      resource: crossAccount.arn,
      accountId: account,
      expected,
      identity: VENDOR_IDENTITY,
      resourcePolicy: crossAccount.trust,
      context: externalId === undefined ? {} : { 'sts:ExternalId': externalId },
    });
  assume('assume the cross-account role with the external ID', vendor, outputs.externalId, 'allowed', 'vendor control plane');
  assume('assume the cross-account role without an external ID', vendor, undefined, 'denied', 'vendor control plane');
  assume('assume the cross-account role with another external ID', vendor, `${outputs.externalId}-not`, 'denied', 'vendor control plane');
  assume('assume the cross-account role with the right external ID from another account', STRANGER_ARN, outputs.externalId, 'denied', 'another principal');

  const asCrossAccount = (ask: Omit<Ask, 'actor' | 'principal' | 'accountId' | 'identity'>) =>
    asks.push({ ...ask, actor: 'cross-account role', principal: asVendor, accountId: account, identity: crossAccount.identity });
  asCrossAccount({ requirement: 'R4', description: 'pass the EKS role to EKS', action: 'iam:PassRole', resource: outputs.eksRoleArn, expected: 'allowed', context: { 'iam:PassedToService': 'eks.amazonaws.com' } });
  asCrossAccount({ requirement: 'X1', description: 'pass the EKS role to EC2 (not needed: refused)', action: 'iam:PassRole', resource: outputs.eksRoleArn, expected: 'denied', context: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
  asCrossAccount({ requirement: 'R4', description: "update the EKS role's trust policy (OIDC issuer)", action: 'iam:UpdateAssumeRolePolicy', resource: outputs.eksRoleArn, expected: 'allowed' });
  asCrossAccount({ requirement: 'S2', description: "update the storage role's trust policy (OIDC issuer)", action: 'iam:UpdateAssumeRolePolicy', resource: outputs.storageRoleArn, expected: 'allowed' });
  for (const subnetId of outputs.privateSubnetIds) {
    const subnet = Subnets.find((s) => s.SubnetId === subnetId);
    asCrossAccount({
      requirement: 'V8',
      description: `launch an instance into private subnet ${subnetId}`,
      action: 'ec2:RunInstances',
      resource: ec2Arn('subnet', subnetId),
      expected: 'allowed',
      context: { ...tagContext('aws:ResourceTag', subnet?.Tags), 'ec2:Vpc': ec2Arn('vpc', outputs.vpcId) },
    });
  }
  asCrossAccount({
    requirement: 'V7',
    description: `launch an instance with security group ${outputs.securityGroupId}`,
    action: 'ec2:RunInstances',
    resource: ec2Arn('security-group', outputs.securityGroupId),
    expected: 'allowed',
    context: { ...tagContext('aws:ResourceTag', SecurityGroups[0]?.Tags), 'ec2:Vpc': ec2Arn('vpc', outputs.vpcId) },
  });
  for (const type of ['instance', 'volume', 'network-interface'] as const) {
    asCrossAccount({ requirement: 'X1', description: `create the ${type} of an instance, tagged ${TAG_VENDOR_KEY}=${TAG_VENDOR_VALUE}`, action: 'ec2:RunInstances', resource: ec2Arn(type, '*'), expected: 'allowed', context: vendorTags });
  }
  asCrossAccount({ requirement: 'X1', description: 'create an instance without the vendor tag (refused)', action: 'ec2:RunInstances', resource: ec2Arn('instance', '*'), expected: 'denied' });
  asCrossAccount({
    requirement: 'X1',
    description: 'tag the instances it launches',
    action: 'ec2:CreateTags',
    resource: ec2Arn('instance', 'i-0123456789abcdef0'),
    expected: 'allowed',
    context: { ...vendorTags, 'ec2:CreateAction': 'RunInstances' },
  });
  asCrossAccount({ requirement: 'S1', description: "read the bucket's location", action: 's3:GetBucketLocation', resource: `arn:${partition}:s3:::${outputs.bucketName}`, expected: 'allowed' });

  const skipped: string[] = [];
  const issuer = webIdentityIssuer(storage.trust);
  if (issuer) {
    const provider = `arn:${partition}:iam::${account}:oidc-provider/${issuer}`;
    const webIdentity = (sa: string, expected: 'allowed' | 'denied') =>
      asks.push({
        requirement: 'S2',
        actor: 'service account',
        description: `${sa} assumes the storage role`,
        principal: provider,
        action: 'sts:AssumeRoleWithWebIdentity',
        resource: storage.arn,
        accountId: account,
        expected,
        resourcePolicy: storage.trust,
        context: { [`${issuer}:sub`]: sa, [`${issuer}:aud`]: 'sts.amazonaws.com' },
        providerKeys: issuer,
      });
    webIdentity(serviceAccount, 'allowed');
    webIdentity('system:serviceaccount:default:someone', 'denied');
  } else {
    skipped.push('S2: a service account assuming the storage role - the role has no OIDC issuer yet (set it with `byoc update-oidc` once the cluster exists)');
  }

  const asStorageRole = (description: string, action: string, bucket: string, expected: 'allowed' | 'denied', secure = true) =>
    asks.push({
      requirement: 'S2',
      actor: 'storage role',
      description,
      principal: asStorage,
      action,
      resource: `arn:${partition}:s3:::${bucket}/milvus/segment-0001`,
      accountId: account,
      expected,
      identity: storage.identity,
      ...(bucket === outputs.bucketName && bucketPolicy ? { resourcePolicy: bucketPolicy } : {}),
      context: { 'aws:SecureTransport': secure ? 'true' : 'false' },
    });
  asStorageRole('read an object in our bucket', 's3:GetObject', outputs.bucketName, 'allowed');
  asStorageRole('write an object in our bucket', 's3:PutObject', outputs.bucketName, 'allowed');
  asStorageRole('write an object in our bucket over plain HTTP (refused by the TLS-only bucket policy)', 's3:PutObject', outputs.bucketName, bucketPolicy ? 'denied' : 'allowed', false);
  asStorageRole('read an object in another bucket', 's3:GetObject', OTHER_BUCKET, 'denied');
  asStorageRole('write an object in another bucket', 's3:PutObject', OTHER_BUCKET, 'denied');

  const checks: AcceptanceCheck[] = [];
  for (const ask of asks) checks.push(await judge(ask));
  return { provisioningId: outputs.provisioningId, pass: checks.every((c) => c.pass), checks, skipped };
}

/** The report as lines for a terminal: one per check, failures first with why. */
export function formatAcceptance(report: AcceptanceReport): string[] {
  const lines = [`Vendor-side acceptance of ${report.provisioningId}: ${report.pass ? 'PASS' : 'FAIL'} (${report.checks.filter((c) => c.pass).length}/${report.checks.length} checks)`];
  const ordered = [...report.checks.filter((c) => !c.pass), ...report.checks.filter((c) => c.pass)];
  for (const check of ordered) {
    lines.push(
      `  ${check.pass ? 'ok  ' : 'FAIL'} [${check.requirement}] ${check.actor}: ${check.description} - ${check.action} ${check.decision}` +
        (check.pass ? '' : ` (expected ${check.expected}; ${check.reason})`),
    );
  }
  for (const skip of report.skipped) lines.push(`  skip ${skip}`);
  return lines;
}

/** The answer of `byoc acceptance`: a report, or why there is none. */
export type LocalAcceptance = { report: AcceptanceReport } | { refused: string };

/**
 * `byoc acceptance ID` on the local stack: the simulation on a provisioning this machine knows (from `BYOC_STATE_DIR`),
 * reading the policies from the endpoint that holds it (`AWS_ENDPOINT_URL` wins), in the customer's account when the
 * provisioning used `targetAccount` (the same role and external ID the steps used).
 */
export async function localAcceptance(provisioningId: string, stateDir: string, options: AcceptanceOptions = {}): Promise<LocalAcceptance> {
  const view = new ProvisioningIndex(stateDir).get(provisioningId);
  if (!process.env.AWS_ENDPOINT_URL) {
    if (!view) return { refused: `no record of provisioning ${provisioningId} in ${stateDir} (set AWS_ENDPOINT_URL to the endpoint that has its registry)` };
    const answers = await fetch(view.awsEndpoint).then(
      () => true,
      () => false,
    );
    if (!answers) return { refused: `provisioning ${provisioningId} was built on an embedded moto that has stopped; run provision with --keep, or set AWS_ENDPOINT_URL` };
    process.env.AWS_ENDPOINT_URL = view.awsEndpoint;
  }
  const stack = await startLocalStack({ sfnServer: true });
  try {
    const record = await getRecord(provisioningId, stack.serviceDeps().registry);
    if (!record) return { refused: `no provisioning ${provisioningId} in the registry at ${process.env.AWS_ENDPOINT_URL}` };
    const outputs = record.outputs as ProvisioningOutputs | undefined;
    if (!outputs?.crossAccountRoleArn) return { refused: `provisioning ${provisioningId} is ${record.status}: there is nothing handed to the vendor to check until it has SUCCEEDED` };
    const target: AwsTarget = { region: outputs.region, provisioningId, ...(record.request?.targetAccount ? { roleArn: record.request.targetAccount.roleArn, externalId: record.request.targetAccount.externalId } : {}) };
    return { report: await runAcceptance(outputs, { iam: iamClient(target), ec2: ec2Client(target), s3: s3Client(target) }, options) };
  } finally {
    await stack.stop();
  }
}
