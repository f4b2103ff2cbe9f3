import { parseFaultSpec } from './fault-spec';

/** A duration range in real AWS seconds, `[min, max]`; each resource draws its own value from it. */
export type SecondsRange = readonly [number, number];

/** A token bucket: `capacity` requests at once, refilled by `refillPerSecond` (AWS seconds). */
export interface BucketLimit {
  capacity: number;
  refillPerSecond: number;
}

/** Throttling of one service. */
export interface ServiceThrottling {
  /** One bucket per API operation (EC2, Route 53), or one per read/write family for the whole account (IAM). */
  perOperation: boolean;
  /** Bucket of read calls (Describe*, Get*, List*). */
  read: BucketLimit;
  /** Bucket of every other call. */
  write: BucketLimit;
  /** A bucket every call of the service also takes from (Route 53's account-wide limit). */
  account?: BucketLimit;
  /** Operations with their own documented limit. */
  operations?: Record<string, BucketLimit>;
}

export type ThrottledService = 'ec2' | 'iam' | 'route53' | 's3';

/** Everything a profile sets. All durations are real AWS seconds; the layer divides them by `timeScale`. */
export interface RealismProfile {
  name: string;
  /** Real AWS durations are divided by this (the local engine's Wait and Retry too). Infinity = no waiting. */
  timeScale: number;
  /** Time for resources to become ready or gone. */
  readiness: {
    natGatewayAvailable: SecondsRange;
    natGatewayDeleted: SecondsRange;
    vpcEndpointAvailable: SecondsRange;
    vpcEndpointDeleted: SecondsRange;
    route53InSync: SecondsRange;
  } | false;
  /**
   * How long a just-created resource stays invisible to calls that name it (`ec2`, `iam`), and, when `ec2Listing` is
   * set, how long a just-created VPC, internet gateway or Elastic IP is missing from Describe calls that filter (by
   * tag) instead of naming it. EC2 documents both. `ec2Listing` is off in every named profile: with it, no
   * find-by-tag can stop a retry after a lost answer from making a second VPC, gateway or address (those creates
   * take no ClientToken), and the steps then remove the duplicate; tests turn it on to show that they do.
   */
  consistency: { ec2: SecondsRange; iam: SecondsRange; ec2Listing?: SecondsRange } | false;
  /** Token buckets per service; `false` = never throttled. */
  throttling: Partial<Record<ThrottledService, ServiceThrottling>> | false;
  /** AWS's ClientToken / CallerReference semantics, which moto lacks. */
  idempotencyTokens: boolean;
  /** Refuse dependent calls made too early (ReleaseAddress while the NAT gateway is still deleting, ...). */
  dependencies: boolean;
  /** Faults every run of this profile gets (fault-spec syntax), before the caller's own. */
  faults: string;
  /**
   * IAM judged as AWS judges it (local/realism/iam/): every call a step makes is evaluated against the identity that
   * makes it (the step's own role from serverless.yml, or the customer role of deploy/customer-role.yaml with
   * `targetAccount`) before the endpoint sees it, and a denial is AWS's own error. EC2 `DryRun` is answered too.
   */
  iam: boolean;
  /**
   * The vendor's endpoint services (shared/regions.ts), which moto does not know (it answers `InvalidServiceName`).
   * The world answers `DescribeVpcEndpointServices` for them as AWS does for a service the account may use: offered
   * in every zone of the region but `unavailableZoneIds`. A new interface endpoint to one becomes `acceptance`:
   * `accepted` (the default: it becomes available like any endpoint), or it stays `pendingAcceptance` (the vendor
   * never accepts it) or `rejected`.
   */
  vendorEndpointServices?: { unavailableZoneIds?: string[]; acceptance?: VendorAcceptance };
}

/** What the vendor does with a new connection to its endpoint service (see `vendorEndpointServices`). */
export type VendorAcceptance = 'accepted' | 'pendingAcceptance' | 'rejected';

export type ProfileName = 'instant' | 'realistic' | 'chaos';

/**
 * Documented where AWS documents it:
 * - EC2: per-API token buckets; non-mutating 100 tokens refilled 20/s, mutating 50 refilled 5/s (EC2 API throttling guide).
 * - Route 53: account bucket 50 refilled 10/s plus a bucket per operation (CreateHostedZone 40/2,
 *   AssociateVPCWithHostedZone 20/5, others 50/10) (Route 53 developer guide, "Throttling for API requests").
 * - IAM publishes no numbers: 50/20 reads and 20/5 writes for the account is an assumption.
 * - S3 documents 3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD requests per second per partitioned prefix, and
 *   answers `SlowDown` (HTTP 503) beyond them (S3 user guide, "Best practices design patterns: optimizing Amazon S3
 *   performance"). Bucket-level calls have no published limit of their own: one account-wide read and write bucket
 *   at those rates is an assumption (a provisioning makes a dozen S3 calls: only injected faults throttle it).
 */
const AWS_THROTTLING: Record<ThrottledService, ServiceThrottling> = {
  ec2: { perOperation: true, read: { capacity: 100, refillPerSecond: 20 }, write: { capacity: 50, refillPerSecond: 5 } },
  route53: {
    perOperation: true,
    read: { capacity: 50, refillPerSecond: 10 },
    write: { capacity: 50, refillPerSecond: 10 },
    account: { capacity: 50, refillPerSecond: 10 },
    operations: { CreateHostedZone: { capacity: 40, refillPerSecond: 2 }, AssociateVPCWithHostedZone: { capacity: 20, refillPerSecond: 5 } },
  },
  iam: { perOperation: false, read: { capacity: 50, refillPerSecond: 20 }, write: { capacity: 20, refillPerSecond: 5 } },
  s3: { perOperation: false, read: { capacity: 5500, refillPerSecond: 5500 }, write: { capacity: 3500, refillPerSecond: 3500 } },
};

const REALISTIC: RealismProfile = {
  name: 'realistic',
  timeScale: 100,
  readiness: {
    natGatewayAvailable: [60, 120],
    natGatewayDeleted: [45, 90],
    vpcEndpointAvailable: [60, 180],
    vpcEndpointDeleted: [30, 90],
    route53InSync: [30, 60],
  },
  consistency: { ec2: [1, 3], iam: [2, 8] },
  throttling: AWS_THROTTLING,
  idempotencyTokens: true,
  dependencies: true,
  faults: '',
  iam: true,
};

/** The named profiles. `instant` is moto as it is: nothing added, no waiting. */
export const PROFILES: Record<ProfileName, RealismProfile> = {
  instant: {
    name: 'instant',
    timeScale: Infinity,
    readiness: false,
    consistency: false,
    throttling: false,
    idempotencyTokens: false,
    dependencies: false,
    faults: '',
    iam: false,
  },
  realistic: REALISTIC,
  chaos: {
    ...REALISTIC,
    name: 'chaos',
    // Per attempt: the SDK's own retries absorb most; lost responses reach the steps (their find-first must hold).
    faults: '*:error5xx=0.03,*:throttle=0.03,*:timeout=0.01,Create*:lose-response=0.1,Allocate*:lose-response=0.1,Delete*:lose-response=0.05',
  },
};

/** A partial profile: what a test or the CLI changes on top of a named profile. */
export type ProfileOverrides = Partial<Omit<RealismProfile, 'readiness' | 'consistency' | 'throttling'>> & {
  readiness?: Partial<Exclude<RealismProfile['readiness'], false>> | false;
  consistency?: Partial<Exclude<RealismProfile['consistency'], false>> | false;
  throttling?: Partial<Record<ThrottledService, Partial<ServiceThrottling>>> | false;
};

/** Thrown for a profile name we do not have. */
export class UnknownProfileError extends Error {
  constructor(name: string) {
    super(`Unknown realism profile "${name}"; choose one of ${Object.keys(PROFILES).join(', ')}`);
    this.name = 'UnknownProfileError';
  }
}

/**
 * The profile to run with: a named one (or a full profile object), with overrides applied on top. Checks the
 * result (a positive time scale, ranges with min <= max, a valid fault spec), so a typo fails at start-up.
 *
 * @example resolveProfile('realistic', { timeScale: 1000, throttling: false })
 */
export function resolveProfile(profile: string | RealismProfile = 'realistic', overrides: ProfileOverrides = {}): RealismProfile {
  let base: RealismProfile;
  if (typeof profile === 'string') {
    if (!(profile in PROFILES)) throw new UnknownProfileError(profile);
    base = PROFILES[profile as ProfileName];
  } else base = profile;

  const merged: RealismProfile = {
    ...base,
    ...definedOnly(overrides),
    readiness: mergeSection(base.readiness, overrides.readiness, PROFILES.realistic.readiness),
    consistency: mergeSection(base.consistency, overrides.consistency, PROFILES.realistic.consistency),
    throttling: mergeThrottling(base.throttling, overrides.throttling),
  };
  validate(merged);
  return merged;
}

function definedOnly(overrides: ProfileOverrides): Partial<RealismProfile> {
  const { readiness: _r, consistency: _c, throttling: _t, ...rest } = overrides;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<RealismProfile>;
}

/** A section override: `false` turns it off; a partial one fills in from the base, or from `realistic` when the base had it off. */
function mergeSection<T extends object>(base: T | false, override: Partial<T> | false | undefined, fallback: T | false): T | false {
  if (override === undefined) return base;
  if (override === false) return false;
  return { ...((base || fallback) as T), ...override };
}

function mergeThrottling(base: RealismProfile['throttling'], override: ProfileOverrides['throttling']): RealismProfile['throttling'] {
  if (override === undefined) return base;
  if (override === false) return false;
  const out: Partial<Record<ThrottledService, ServiceThrottling>> = { ...(base || {}) };
  for (const [service, section] of Object.entries(override) as [ThrottledService, Partial<ServiceThrottling>][]) {
    out[service] = { ...(out[service] ?? AWS_THROTTLING[service]), ...section };
  }
  return out;
}

function validate(profile: RealismProfile): void {
  const problems: string[] = [];
  if (!(profile.timeScale > 0)) problems.push(`timeScale must be a positive number or Infinity (got ${profile.timeScale})`);
  const ranges: [string, SecondsRange][] = [
    ...Object.entries(profile.readiness || {}).map(([k, v]) => [`readiness.${k}`, v] as [string, SecondsRange]),
    ...Object.entries(profile.consistency || {}).map(([k, v]) => [`consistency.${k}`, v] as [string, SecondsRange]),
  ];
  for (const [name, [min, max]] of ranges) if (!(min >= 0 && max >= min)) problems.push(`${name} must be [min, max] seconds with 0 <= min <= max (got [${min}, ${max}])`);
  for (const [service, t] of Object.entries(profile.throttling || {})) {
    const limits = [['read', t.read], ['write', t.write], ['account', t.account], ...Object.entries(t.operations ?? {})] as [string, BucketLimit | undefined][];
    for (const [name, b] of limits) {
      if (b && !(b.capacity >= 1 && b.refillPerSecond > 0)) problems.push(`throttling.${service}.${name} needs capacity >= 1 and refillPerSecond > 0`);
    }
  }
  try {
    parseFaultSpec(profile.faults);
  } catch (error) {
    problems.push(`faults: ${(error as Error).message}`);
  }
  if (problems.length > 0) throw new Error(`Invalid realism profile "${profile.name}": ${problems.join('; ')}`);
}

/** Real AWS seconds as wall-clock milliseconds on this time scale. */
export const scaledMs = (seconds: number, timeScale: number): number => (Number.isFinite(timeScale) ? (seconds * 1000) / timeScale : 0);
