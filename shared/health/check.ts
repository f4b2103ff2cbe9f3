import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcEndpointsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsTarget } from '../aws/clients';
import { translateAwsError } from '../aws/translate-error';
import { buildConfig, targetOf, type ProvisioningConfig } from '../config';
import { SYSTEM_TAG_KEY } from '../constants';
import { verifyIamRoles } from '../iam/verify';
import { pickAvailabilityZones } from '../network/availability-zones';
import { verifyNetwork } from '../network/verify';
import { regionInfo } from '../regions';
import type { RegistryStatus } from '../registry/record';
import { parseRequest, type ProvisioningRequest } from '../request';
import { failed, passed, warned, type RequirementCheck } from '../requirements';
import type { ProvisioningOutputs, ProvisioningState } from '../state';
import { verifyBucket } from '../storage/bucket';
import { ec2ResourcesOf } from '../update/tags';

/**
 * Drift (docs/decisions.md 26): a health check re-runs `Verify` on a finished provisioning, with what the registry
 * knows (its latest request, its outputs, its region and customer account), and says whether what was built still
 * meets the requirements:
 * - `HEALTHY`: every requirement passes;
 * - `DEGRADED`: nothing fails, but something needs a look (a warning);
 * - `BROKEN`: at least one requirement fails: the vendor's setup may not work.
 */
export type HealthVerdict = 'HEALTHY' | 'DEGRADED' | 'BROKEN';
export const HEALTH_VERDICTS: readonly HealthVerdict[] = ['HEALTHY', 'DEGRADED', 'BROKEN'];

/**
 * The statuses a health check runs in: an environment that stands. `SUCCEEDED`, and `UPDATE_FAILED` (an update
 * failed, nothing was rolled back: the environment is live and checked against the latest request, the one a
 * repeated update converges to). Any other status has nothing handed over to check (still building, updating,
 * tearing down, rolled back, torn down) or is known to have left resources (`ROLLBACK_INCOMPLETE`, ...).
 */
export const LIVE_STATUSES = ['SUCCEEDED', 'UPDATE_FAILED'] as const satisfies readonly RegistryStatus[];
export const isLive = (status: RegistryStatus): boolean => (LIVE_STATUSES as readonly string[]).includes(status);

/** One requirement that did not pass: its number, how it came out, why, and what to do. */
export interface HealthFinding {
  requirement: string;
  status: 'fail' | 'warning';
  reason: string;
  fix: string;
}

/** What `GET /provisionings/{id}/health` and `byoc health ID` answer. */
export interface HealthReport {
  provisioningId: string;
  /** The registry status the check ran in (`SUCCEEDED` or `UPDATE_FAILED`). */
  status: RegistryStatus;
  region: string;
  accountId: string;
  verdict: HealthVerdict;
  checkedAt: string;
  /** The numbers of the failed requirements, in check order, each once. */
  failed: string[];
  /** The numbers of the requirements with a warning (and no failure), each once. */
  warnings: string[];
  /** Each failed or warned check: number, status, reason, fix. */
  findings: HealthFinding[];
  /** Every check, passed ones included (the same shape as Verify's). */
  checks: RequirementCheck[];
}

/** The clients a health check reads with, for a target (region and customer role, as the steps act). */
export interface HealthClients {
  ec2: (target: AwsTarget) => EC2Client;
  route53: (target: AwsTarget) => Route53Client;
  iam: (target: AwsTarget) => IAMClient;
  s3: (target: AwsTarget) => S3Client;
  sts: (target: AwsTarget) => STSClient;
}

/** What the registry knows of a provisioning that the check needs. */
export interface HealthSubject {
  provisioningId: string;
  status: RegistryStatus;
  request: Record<string, unknown>;
  outputs: Partial<ProvisioningOutputs> | null;
}

/** The verdict of a list of checks: any fail is BROKEN, else any warning DEGRADED, else HEALTHY. */
export function verdictOf(checks: Pick<RequirementCheck, 'status'>[]): HealthVerdict {
  if (checks.some((c) => c.status === 'fail')) return 'BROKEN';
  if (checks.some((c) => c.status === 'warning')) return 'DEGRADED';
  return 'HEALTHY';
}

const unique = (ids: string[]): string[] => [...new Set(ids)];
const roleNameOf = (arn: string | null | undefined): string | undefined => (arn && arn.includes(':role/') ? arn.slice(arn.lastIndexOf('/') + 1) : undefined);

/**
 * The config and state Verify checks, rebuilt from the registry: the latest request (validated and defaulted as
 * ValidateInput does), the account and the zones from the outputs (the zones the subnets were made in, whatever the
 * default would pick today), and the IDs and names the outputs handed back. The request's OIDC issuer is left out:
 * the issuer may have been set later (update-oidc, a stack update) without a new request, so R1 and S2 accept the
 * issuer the roles carry and check everything else of their trust policies exactly.
 */
export async function healthInputs(subject: HealthSubject, clients: HealthClients): Promise<{ config: ProvisioningConfig; state: ProvisioningState }> {
  const request = parseRequest({ ...subject.request, provisioningId: subject.provisioningId });
  const target: AwsTarget = { region: request.region, roleArn: request.targetAccount?.roleArn, externalId: request.targetAccount?.externalId };
  const outputs = subject.outputs ?? {};
  const accountId = outputs.accountId ?? (await clients.sts(target).send(new GetCallerIdentityCommand({}))).Account!;
  const outputZones = (outputs.privateSubnets ?? []).map((s) => s.availabilityZone);
  const zones =
    outputZones.length === 3
      ? outputZones.map((zoneName) => ({ zoneName, zoneId: undefined }))
      : await pickAvailabilityZones(clients.ec2(target), request.region, request.network.availabilityZones, { endpointServiceName: regionInfo(request.region)?.endpointServiceName });
  const withoutIssuer: ProvisioningRequest & { network: NonNullable<ProvisioningRequest['network']> } = {
    ...request,
    ...(request.iamRole ? { iamRole: { ...request.iamRole, oidcIssuerUrl: undefined } } : {}),
  };
  const built = buildConfig(withoutIssuer, {
    provisioningId: subject.provisioningId,
    accountId,
    availabilityZones: zones.map((z) => z.zoneName),
    ...(zones.every((z) => z.zoneId) ? { availabilityZoneIds: zones.map((z) => z.zoneId!) } : {}),
  });
  const eksRoleName = roleNameOf(outputs.eksRoleArn) ?? built.iamRole.name;
  const storageRoleName = roleNameOf(outputs.storageRoleArn) ?? built.storageRole.name;
  const crossAccountRoleName = roleNameOf(outputs.crossAccountRoleArn) ?? built.crossAccountRole.name;
  const config: ProvisioningConfig = {
    ...built,
    iamRole: { ...built.iamRole, name: eksRoleName },
    storageRole: { ...built.storageRole, name: storageRoleName },
    crossAccountRole: { ...built.crossAccountRole, name: crossAccountRoleName },
    bucket: { ...built.bucket, name: outputs.bucketName ?? built.bucket.name },
  };
  const role = (roleName: string, roleArn: string | undefined) => (roleArn ? { roleName, roleArn, adopted: false } : undefined);
  const state: ProvisioningState = {
    config,
    ...(outputs.vpcId ? { vpc: { vpcId: outputs.vpcId } } : {}),
    ...(outputs.securityGroupId ? { securityGroup: { securityGroupId: outputs.securityGroupId } } : {}),
    ...(outputs.eksRoleArn ? { eksRole: role(eksRoleName, outputs.eksRoleArn) } : {}),
    ...(outputs.storageRoleArn ? { storageRole: role(storageRoleName, outputs.storageRoleArn) } : {}),
    ...(outputs.crossAccountRoleArn ? { crossAccountRole: role(crossAccountRoleName, outputs.crossAccountRoleArn) } : {}),
    ...(outputs.bucketName
      ? { bucket: { bucketName: outputs.bucketName, bucketArn: `arn:${config.partition}:s3:::${outputs.bucketName}`, region: config.region, managed: outputs.bucketManaged ?? !config.bucket.existing, adopted: false } }
      : {}),
  } as ProvisioningState;
  return { config, state };
}

/**
 * V11 after hand-over: the IDs the vendor console was given (the outputs) still name what AWS has: the VPC's
 * private subnets with the planned CIDRs, the security group, and the VPC endpoint. A resource re-made by hand gets a
 * new ID the vendor does not know.
 */
async function checkHandBack(config: ProvisioningConfig, outputs: Partial<ProvisioningOutputs> | null, ec2: EC2Client): Promise<RequirementCheck> {
  if (!outputs?.vpcId) return passed('V11', 'no outputs recorded to compare (the provisioning handed back nothing the registry kept)');
  const vpcId = outputs.vpcId;
  const inVpc = [{ Name: 'vpc-id', Values: [vpcId] }];
  const [subnets, groups, endpoints] = await Promise.all([
    ec2.send(new DescribeSubnetsCommand({ Filters: inVpc })),
    ec2.send(new DescribeSecurityGroupsCommand({ Filters: inVpc })),
    outputs.vpcEndpointId ? ec2.send(new DescribeVpcEndpointsCommand({ Filters: inVpc })) : Promise.resolve({ VpcEndpoints: [] }),
  ]);
  const problems: string[] = [];
  const byId = new Map((subnets.Subnets ?? []).map((s) => [s.SubnetId, s]));
  const planned = config.network.privateSubnets.map((s) => s.cidr);
  for (const id of outputs.privateSubnetIds ?? []) {
    const subnet = byId.get(id);
    if (!subnet) problems.push(`private subnet ${id} is not in VPC ${vpcId} any more`);
    else if (!planned.includes(subnet.CidrBlock ?? '')) problems.push(`subnet ${id} has CIDR ${subnet.CidrBlock}, not one of the private ${planned.join(', ')}`);
  }
  const current = planned.map((cidr) => (subnets.Subnets ?? []).find((s) => s.CidrBlock === cidr)?.SubnetId).filter((id): id is string => Boolean(id));
  const replaced = current.filter((id) => !(outputs.privateSubnetIds ?? []).includes(id));
  if (replaced.length > 0) problems.push(`the private subnets are now ${current.join(', ')}; the vendor was given ${(outputs.privateSubnetIds ?? []).join(', ')}`);
  if (outputs.securityGroupId && !(groups.SecurityGroups ?? []).some((g) => g.GroupId === outputs.securityGroupId)) problems.push(`security group ${outputs.securityGroupId} is not in VPC ${vpcId} any more`);
  if (outputs.vpcEndpointId) {
    const endpoint = (endpoints.VpcEndpoints ?? []).find((e) => e.VpcEndpointId === outputs.vpcEndpointId);
    const state = (endpoint?.State ?? '').toLowerCase();
    if (!endpoint || state === 'deleted' || state === 'deleting') problems.push(`VPC endpoint ${outputs.vpcEndpointId} ${endpoint ? `is ${endpoint.State}` : 'does not exist any more'}`);
  }
  if (problems.length === 0) {
    return passed('V11', `the IDs handed to the vendor (VPC ${vpcId}, private subnets ${(outputs.privateSubnetIds ?? []).join(', ')}, security group ${outputs.securityGroupId}${outputs.vpcEndpointId ? `, endpoint ${outputs.vpcEndpointId}` : ''}) still name what AWS has`);
  }
  return failed(
    'V11',
    `the vendor console's network settings are stale: ${problems.join('; ')}`,
    'Restore the named resources, or give the vendor the IDs AWS has now (network settings: VPC ID, subnet IDs, security group ID, VPC endpoint ID); resources made by hand are not the provisioning\'s, and its teardown does not find them.',
  );
}

/**
 * V8 after hand-over, beyond Verify: the caller's own `tags` of the request (cost centre, owner...) on every EC2
 * resource of the provisioning. Missing or changed, that is a warning, not a failure: the vendor needs only the
 * V8 tags, which Verify checks. Only checked when the request has tags.
 */
async function checkRequestTags(config: ProvisioningConfig, request: Pick<ProvisioningRequest, 'tags'>, ec2: EC2Client): Promise<string[]> {
  const wanted = Object.entries(request.tags ?? {}).filter(([key]) => !SYSTEM_TAG_KEY.test(key));
  if (wanted.length === 0) return [];
  const resources = await ec2ResourcesOf(ec2, config.provisioningId);
  const problems: string[] = [];
  for (const [id, tags] of [...resources.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const off = wanted.filter(([key, value]) => tags[key] !== value).map(([key, value]) => (tags[key] === undefined ? `${key} missing` : `${key} is "${tags[key]}", not "${value}"`));
    if (off.length > 0) problems.push(`${id}: ${off.join(', ')}`);
  }
  return problems;
}

/** Fold the request-tag warnings into V8 (one check per number): a passed V8 becomes a warning; a failed one says them too. */
function withTagWarnings(checks: RequirementCheck[], problems: string[]): RequirementCheck[] {
  if (problems.length === 0) return checks;
  const text = `the request's own tags are not on every resource: ${problems.join('; ')}`;
  const fix = 'Put the request\'s tags back on the named resources (an in-place update of the provisioning re-applies them everywhere).';
  return checks.map((c) => {
    if (c.id !== 'V8') return c;
    if (c.status === 'fail') return { ...c, detail: `${c.detail}; also ${text}`, fix: `${c.fix ?? ''} ${fix}`.trim() };
    return warned('V8', `${text} (${c.detail})`, fix);
  });
}

/**
 * Run the health check of one provisioning: Verify's checks (V2-V10, S1, R1-R5, S2, X1) read back from AWS in the
 * provisioning's account (assuming its customer role with the external ID, as the steps do), plus V11 (the IDs the
 * vendor was given still exist) and the request's own tags (a warning under V8). Reads only; changes nothing.
 *
 * @throws AccessDeniedError and the other translated AWS errors when AWS cannot be read (e.g. the customer role can
 * no longer be assumed): no verdict then.
 * @example const report = await checkProvisioningHealth({ provisioningId, status, request, outputs }, clients); report.verdict // 'BROKEN'
 */
export async function checkProvisioningHealth(subject: HealthSubject, clients: HealthClients, now: () => Date = () => new Date()): Promise<HealthReport> {
  const { config, state } = await healthInputs(subject, clients).catch((error: unknown) => {
    throw typeof error === 'object' && error !== null && '$metadata' in error ? translateAwsError(error, `read provisioning ${subject.provisioningId}'s account`) : error;
  });
  const target = targetOf(config);
  const ec2 = clients.ec2(target);
  const deps = { ec2, route53: clients.route53(target), iam: clients.iam(target), s3: clients.s3(target) };
  let checks: RequirementCheck[];
  try {
    const [network, bucket, iam, handBack, tagProblems] = await Promise.all([
      verifyNetwork(config, state, deps),
      verifyBucket(config, state, deps),
      verifyIamRoles(config, state, deps),
      checkHandBack(config, subject.outputs, ec2),
      checkRequestTags(config, subject.request as Pick<ProvisioningRequest, 'tags'>, ec2),
    ]);
    const v10 = network.findIndex((c) => c.id === 'V10');
    const ordered = [...network.slice(0, v10 + 1), handBack, ...network.slice(v10 + 1)];
    checks = [...withTagWarnings(ordered, tagProblems), ...bucket, ...iam];
  } catch (error) {
    throw typeof error === 'object' && error !== null && '$metadata' in error ? translateAwsError(error, `check provisioning ${subject.provisioningId}`) : error;
  }
  const notPassed = checks.filter((c): c is RequirementCheck & { status: 'fail' | 'warning' } => c.status !== 'pass');
  const failedIds = unique(notPassed.filter((c) => c.status === 'fail').map((c) => c.id));
  return {
    provisioningId: subject.provisioningId,
    status: subject.status,
    region: config.region,
    accountId: config.accountId,
    verdict: verdictOf(checks),
    checkedAt: now().toISOString(),
    failed: failedIds,
    warnings: unique(notPassed.filter((c) => c.status === 'warning').map((c) => c.id)).filter((id) => !failedIds.includes(id)),
    findings: notPassed.map((c) => ({ requirement: c.id, status: c.status, reason: c.detail, fix: c.fix ?? '' })),
    checks,
  };
}
