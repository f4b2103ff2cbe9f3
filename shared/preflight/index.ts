import { randomBytes } from 'node:crypto';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { buildConfig, type ProvisioningConfig } from '../config';
import { InvalidInputError, PreflightFailedError } from '../errors';
import { translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { pickAvailabilityZones, type AvailabilityZone } from '../network/availability-zones';
import { regionInfo } from '../regions';
import { parseRequest } from '../request';
import { checkPermissions } from './permissions';
import { checkQuotas } from './quotas';
import { checkBucketName, checkCidr, checkRoleNames, checkZones, zoneFindings } from './names';
import type { Finding, PreflightDeps, PreflightResult } from './types';

export type { Finding, FindingCheck, PermissionProbe, PreflightDeps, PreflightResult, QuotaUse } from './types';
export { QUOTAS, quotaByName } from './quotas';

const ORDER: Finding['check'][] = ['permission', 'quota', 'role-name', 'bucket-name', 'zones', 'cidr'];
const sorted = (findings: Finding[]): Finding[] =>
  [...findings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) || ORDER.indexOf(a.check) - ORDER.indexOf(b.check));

/**
 * The preflight of a provisioning: everything that would make it fail, found before anything exists, all at once.
 * Reads only (EC2 calls with `DryRun`, IAM's policy simulation, Describe/List calls, Service Quotas); creates and
 * changes nothing. Three groups of checks, run side by side:
 * - **permissions** (shared/preflight/permissions.ts): DryRun probes of the EC2 calls that take it, the policy
 *   simulation for the rest; a missing permission is an error naming the action;
 * - **quotas** (shared/preflight/quotas.ts): use against limit for VPCs, Elastic IPs, NAT gateways in the zone,
 *   internet gateways, gateway and interface endpoints, roles, buckets; no headroom is an error naming the quota;
 * - **names and addresses** (shared/preflight/names.ts): role and bucket names free or ours, three usable zones,
 *   the VPC CIDR outside `network.avoidCidrs`.
 * `ok` is true when no finding is an error. Throttling and 5xx are thrown (`RetryableAwsError`: the step retries).
 *
 * @example const result = await runPreflight(config, deps); if (!result.ok) console.log(result.findings);
 */
export async function runPreflight(config: ProvisioningConfig, deps: PreflightDeps, options: { zones?: Finding[]; env?: NodeJS.ProcessEnv } = {}): Promise<PreflightResult> {
  const zoneNames = config.network.privateSubnets.map((s) => s.availabilityZone);
  const [permissions, names, zones] = await Promise.all([
    checkPermissions(config, deps, options.env),
    (async () => {
      const roles = await checkRoleNames(config, deps);
      const bucket = await checkBucketName(config, deps);
      const quotas = await checkQuotas(config, deps, { ourRoleNames: roles.ourRoleNames, bucketIsOurs: bucket.bucketIsOurs });
      return { findings: [...roles.findings, ...bucket.findings], quotas };
    })(),
    options.zones ? Promise.resolve(options.zones) : checkZones(config, deps, zoneNames),
  ]);
  const findings = sorted([...permissions.findings, ...names.quotas.findings, ...names.findings, ...zones, ...checkCidr(config)]);
  return {
    ok: !findings.some((f) => f.severity === 'error'),
    findings,
    quotas: names.quotas.quotas,
    permissions: permissions.probes,
    ...(permissions.principal ? { principal: permissions.principal } : {}),
  };
}

/**
 * The `Preflight` step: run the preflight on the config ValidateInput made, and fail with
 * {@link PreflightFailedError} (terminal: every finding, with its fix, in the message) when anything blocks.
 * Warnings alone pass (they are logged and returned).
 *
 * @throws PreflightFailedError listing every finding.
 */
export async function preflightStep(config: ProvisioningConfig, deps: PreflightDeps): Promise<{ ok: true; warnings: Finding[] }> {
  const result = await runPreflight(config, deps);
  if (!result.ok) throw new PreflightFailedError(result.findings);
  if (result.findings.length > 0) logger.warn('preflight passed with warnings', { warnings: result.findings });
  return { ok: true, warnings: result.findings };
}

/**
 * The preflight of a request, without provisioning (`POST /preflight`, `byoc preflight`): validate it (an invalid
 * request throws `InvalidInputError`, as POST /provisionings would answer 400), find the account and the zones as
 * ValidateInput does, and run {@link runPreflight}. Too few usable zones, or a requested zone that is not usable, is
 * a finding here (ValidateInput would refuse it), and the other checks still run.
 *
 * The default bucket name derives from the provisioning ID: without `provisioningId` (or `idempotencyKey`, the ID
 * POST /provisionings would take) the bucket name checked is the one a new ID would get.
 */
export async function preflightRequest(body: unknown, depsFor: (target: { region: string; roleArn?: string; externalId?: string }) => PreflightDeps, idempotencyKey?: string): Promise<PreflightResult> {
  const request = parseRequest(body);
  const provisioningId = request.provisioningId ?? idempotencyKey ?? `preflight-${randomBytes(6).toString('hex')}`;
  const deps = depsFor({ region: request.region, roleArn: request.targetAccount?.roleArn, externalId: request.targetAccount?.externalId });
  let accountId: string;
  try {
    accountId = (await deps.sts.send(new GetCallerIdentityCommand({}))).Account!;
  } catch (error) {
    throw translateAwsError(error, request.targetAccount ? `assume ${request.targetAccount.roleArn} (check the role's trust policy and external ID)` : 'read the caller identity');
  }
  let zones: AvailabilityZone[];
  let zoneProblems: Finding[] = [];
  try {
    zones = await pickAvailabilityZones(deps.ec2, request.region, request.network.availabilityZones, { endpointServiceName: regionInfo(request.region)?.endpointServiceName });
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    zoneProblems = zoneFindings(error.problems);
    // The other checks still run, on the zones asked for or the region's first names.
    zones = (request.network.availabilityZones ?? ['a', 'b', 'c'].map((l) => `${request.region}${l}`)).map((zoneName) => ({ zoneName, zoneId: '' }));
  }
  const config = buildConfig(request, {
    provisioningId,
    accountId,
    availabilityZones: zones.map((z) => z.zoneName),
    ...(zones.every((z) => z.zoneId) ? { availabilityZoneIds: zones.map((z) => z.zoneId) } : {}),
  });
  return runPreflight(config, deps, { zones: zoneProblems });
}
