import type { ProvisioningConfig } from '../config';
import { TAG_PROVISIONING_ID } from '../constants';
import { AccessDeniedError, InvalidInputError, type FieldProblem } from '../errors';
import { getRole, isOurRole, ROLE_KINDS } from '../iam/role';
import { pickAvailabilityZones } from '../network/availability-zones';
import { cidrsOverlap, PRIVATE_RANGES, parseCidr } from '../network/cidr';
import { regionInfo } from '../regions';
import { bucketNameProblem } from '../storage/bucket';
import type { RoleKind } from '../config';
import type { Finding, PreflightDeps } from './types';

/** A permission the name checks themselves lacked: reported as a permission finding, not as a name problem. */
function deniedRead(error: AccessDeniedError, action: string, what: string): Finding {
  return {
    check: 'permission',
    severity: 'error',
    action,
    message: `${action} is not allowed, so ${what} could not be checked (${error.message}); the provisioning needs it too.`,
    fix: `allow ${action} to the role the provisioner uses (deploy/customer-role.yaml and serverless.yml grant it)`,
  };
}

/**
 * R4, S2, X1: each role name is free, or already this provisioning's (an earlier attempt made it: tagged with our
 * provisioning ID). A role of that name without our tag, or with another provisioning's, is an error naming the
 * field: the role step would refuse it (never taken over).
 */
export async function checkRoleNames(config: ProvisioningConfig, deps: Pick<PreflightDeps, 'iam'>): Promise<{ findings: Finding[]; ourRoleNames: Set<string> }> {
  const findings: Finding[] = [];
  const ourRoleNames = new Set<string>();
  const roles: [RoleKind, string][] = [
    ['eks', config.iamRole.name],
    ['storage', config.storageRole.name],
    ['cross-account', config.crossAccountRole.name],
  ];
  for (const [kind, name] of roles) {
    const field = `${ROLE_KINDS[kind].field}.name`;
    let role;
    try {
      role = await getRole(deps.iam, name);
    } catch (error) {
      if (error instanceof AccessDeniedError) {
        findings.push({ ...deniedRead(error, 'iam:GetRole', `the role name ${name}`), field });
        continue;
      }
      throw error;
    }
    if (!role) continue;
    if (isOurRole(role, config.provisioningId)) {
      ourRoleNames.add(name);
      continue;
    }
    const holder = role.Tags?.find((t) => t.Key === TAG_PROVISIONING_ID)?.Value;
    findings.push({
      check: 'role-name',
      severity: 'error',
      field,
      message: `IAM role ${name} already exists and ${holder ? `belongs to provisioning ${holder}` : `was not made by this provisioning (it does not carry ${TAG_PROVISIONING_ID}=${config.provisioningId})`}; the provisioning never takes a role over.`,
      fix: `choose another ${field} (it must start with zilliz-byoc), or delete that role yourself if nothing uses it`,
    });
  }
  return { findings, ourRoleNames };
}

/**
 * S1: the bucket name is free or already this provisioning's; with `bucket.existing`, the customer's bucket exists,
 * is the account's and is in the region. Same rules as CreateBucket, without creating anything.
 */
export async function checkBucketName(config: ProvisioningConfig, deps: Pick<PreflightDeps, 's3'>): Promise<{ findings: Finding[]; bucketIsOurs: boolean }> {
  let problem: FieldProblem | undefined;
  try {
    problem = await bucketNameProblem(config, deps);
  } catch (error) {
    if (error instanceof AccessDeniedError) return { findings: [{ ...deniedRead(error, 's3:ListBucket', `the bucket name ${config.bucket.name}`), field: 'bucket.name' }], bucketIsOurs: false };
    throw error;
  }
  if (!problem) return { findings: [], bucketIsOurs: false };
  const [message, fix] = splitFix(problem.rule);
  return { findings: [{ check: 'bucket-name', severity: 'error', field: 'bucket.name', message, fix }], bucketIsOurs: false };
}

/** CreateBucket's rules read "...: reason; fix": split them into the finding's message and fix. */
function splitFix(rule: string): [string, string] {
  const at = rule.lastIndexOf('; ');
  return at > 0 ? [`${rule.slice(0, at)}.`, rule.slice(at + 2)] : [rule, 'choose another bucket.name'];
}

/**
 * V3: three usable zones (by zone ID, as ValidateInput chooses them: available, no opt-in, EKS supports them, the
 * region's Zilliz endpoint service is offered there), re-checked for the zones the config names. A problem is an
 * error naming the field (`region`, or the zone in `network.availabilityZones`).
 */
export async function checkZones(config: ProvisioningConfig, deps: Pick<PreflightDeps, 'ec2'>, requested?: string[]): Promise<Finding[]> {
  try {
    await pickAvailabilityZones(deps.ec2, config.region, requested, { endpointServiceName: regionInfo(config.region)?.endpointServiceName });
    return [];
  } catch (error) {
    if (error instanceof InvalidInputError) return zoneFindings(error.problems);
    if (error instanceof AccessDeniedError) return [deniedRead(error, 'ec2:DescribeAvailabilityZones', 'the zones')];
    throw error;
  }
}

/** The zone problems pickAvailabilityZones reports, as findings. */
export function zoneFindings(problems: FieldProblem[]): Finding[] {
  return problems.map((p) => ({
    check: 'zones',
    severity: 'error',
    field: p.field === 'region' ? 'region' : p.field,
    message: `${p.field}: ${p.rule}.`,
    fix: p.field === 'region' ? 'provision in a region with three usable zones, or ask the vendor to offer its endpoint service in more zones' : 'choose three of the usable zones the message lists, or leave network.availabilityZones out to have them chosen',
  }));
}

/** The first private /16 that overlaps none of `avoid`, or undefined. @example freeVpcCidr(['10.0.0.0/8']) // '172.16.0.0/16' */
export function freeVpcCidr(avoid: string[]): string | undefined {
  for (const range of PRIVATE_RANGES) {
    const { base, prefix } = parseCidr(range)!;
    const count = 2 ** Math.max(0, 16 - prefix);
    for (let i = 0; i < count; i++) {
      const n = (base + i * 65536) >>> 0;
      const cidr = `${n >>> 24}.${(n >>> 16) & 255}.0.0/16`;
      if (!avoid.some((a) => cidrsOverlap(a, cidr))) return cidr;
    }
  }
  return undefined;
}

/** V2: the VPC CIDR overlaps none of `network.avoidCidrs`; an overlap is an error naming both, with a free /16 to use instead. */
export function checkCidr(config: ProvisioningConfig): Finding[] {
  const avoid = config.network.avoidCidrs ?? [];
  const vpc = config.network.vpcCidr;
  const hits = avoid.map((cidr, i) => ({ cidr, i })).filter(({ cidr }) => cidrsOverlap(cidr, vpc));
  if (hits.length === 0) return [];
  const free = freeVpcCidr(avoid);
  return [
    {
      check: 'cidr',
      severity: 'error',
      field: 'network.vpcCidr',
      message: `the VPC CIDR ${vpc} overlaps ${hits.map(({ cidr, i }) => `network.avoidCidrs.${i} (${cidr})`).join(', ')}.`,
      fix: free ? `set network.vpcCidr to a /16 outside network.avoidCidrs, e.g. ${free}` : 'network.avoidCidrs covers every private /16: narrow it',
    },
  ];
}
