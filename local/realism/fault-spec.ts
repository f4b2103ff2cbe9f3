import { QUOTAS, quotaByName } from '../../shared/preflight/quotas';

/**
 * The fault spec: which AWS calls the local stack makes fail, and how. Used by `--faults` on the CLI and by tests.
 *
 * ```
 * spec      = entry *( "," entry )                       empty = no faults
 * entry     = operation ":" fault
 * operation = "*" | Name | Prefix "*"                    CreateNatGateway, *, Create* (every Create... call)
 * fault     = "fail"                 [ "@" n ]           always fails with a non-retryable client error
 *           | "throttle"  [ "=" rate ] [ "@" n ]         the service's throttling error
 *           | "error5xx"  [ "=" rate ] [ "@" n ]         HTTP 500 or 503 from the service
 *           | "timeout"   [ "=" rate ] [ "@" n ]         the connection times out (the request never arrives)
 *           | "delay=" seconds         [ "@" n ]         the answer comes `seconds` later (AWS seconds: divided by the time scale)
 *           | "lose-response" [ "=" rate ]               AWS acts, the caller gets a network error; once per call site
 * rate      = a number in (0, 1], default 1: the chance that one attempt (one call site, for lose-response) is hit
 * n         = only the n-th attempt of that operation is hit (1 = the first), counted since the faults were set
 * ```
 *
 * Example: `CreateNatGateway:lose-response,*:throttle=0.1,DescribeNatGateways:error5xx@2`.
 *
 * Two more kinds of entry change the account itself rather than one call (local/realism/account-faults.ts), so that
 * the preflight's findings can each be produced on demand:
 *
 * ```
 * entry    =/ "deny:" service ":" action               the account refuses this IAM action to everyone (AWS's own
 *                                                      error: EC2 UnauthorizedOperation, also to DryRun; AccessDenied)
 *          /  "quota:" quota "=" n                      the account's applied value of a quota is n (Service Quotas)
 * service  = "ec2" | "iam" | "s3" | "route53" | "sts" | "servicequotas"
 * action   = Name | Prefix "*" | "*"                   an IAM action name (s3:ListBucket, not HeadBucket)
 * quota    = a quota code (L-F678F1CE) or a short name: vpc, igw, eip, nat, gateway-endpoint, interface-endpoint, role, bucket
 * ```
 *
 * Example: `deny:ec2:CreateNatGateway,quota:vpc=0`.
 */

export type FaultKind = 'fail' | 'throttle' | 'error5xx' | 'timeout' | 'delay' | 'lose-response';

export interface FaultRule {
  /** The entry as written, for messages and events. */
  text: string;
  /** `*`, an exact operation name, or a prefix ending in `*`. */
  operation: string;
  kind: FaultKind;
  /** Chance per attempt (per call site for `lose-response`), in (0, 1]. */
  rate: number;
  /** Only this attempt number (1-based) of a matching operation. */
  nth?: number;
  /** For `delay`: AWS seconds. */
  seconds?: number;
}

/** A fault spec that cannot be parsed; the message names the entry and what is wrong with it. */
export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

const KINDS: FaultKind[] = ['fail', 'throttle', 'error5xx', 'timeout', 'delay', 'lose-response'];
const KIND_HELP = 'fail, throttle[=RATE], error5xx[=RATE], timeout[=RATE], delay=SECONDS, lose-response[=RATE] (optionally @N)';
const OPERATION = /^(\*|[A-Z][A-Za-z0-9]*\*?)$/;
const NUMBER = /^(\d+(\.\d*)?|\.\d+)$/;

/**
 * Parse a fault spec (grammar above). Throws {@link FaultSpecError} naming the bad entry.
 *
 * @example parseFaultSpec('CreateVpc:lose-response,*:throttle=0.2') // two rules
 */
export function parseFaultSpec(spec: string | undefined): FaultRule[] {
  if (!spec || spec.trim() === '') return [];
  // Account entries (deny:, quota:) are checked here too, so a typo in one fails like any other entry.
  parseAccountFaults(spec);
  return spec
    .split(',')
    .map((raw, index) => ({ text: raw.trim(), position: index + 1 }))
    .filter(({ text }) => !isAccountEntry(text))
    .map(({ text, position }) => parseEntry(text, position));
}

/** `deny:ec2:CreateNatGateway`: the account refuses an IAM action (to every caller, DryRun included). */
export interface DenyRule {
  text: string;
  /** The IAM service prefix (`ec2`, `iam`, `s3`, `route53`, `sts`, `servicequotas`). */
  service: string;
  /** The action name, a prefix ending in `*`, or `*`. */
  action: string;
}

/** `quota:vpc=0` / `quota:L-F678F1CE=1`: the account's applied value of a quota. */
export interface QuotaRule {
  text: string;
  /** As written: a quota code or a short name (the layer resolves it). */
  quota: string;
  value: number;
}

export interface AccountFaults {
  denies: DenyRule[];
  quotas: QuotaRule[];
}

const ACCOUNT_ENTRY = /^(deny|quota):/;
const isAccountEntry = (text: string): boolean => ACCOUNT_ENTRY.test(text);
const DENY_SERVICES = ['ec2', 'iam', 's3', 'route53', 'sts', 'servicequotas'];
const QUOTA_NAMES = Object.values(QUOTAS).map((q) => q.alias);

/**
 * The account entries of a fault spec (`deny:...`, `quota:...`; grammar above). Throws {@link FaultSpecError}
 * naming a bad one.
 *
 * @example parseAccountFaults('deny:ec2:CreateNatGateway,quota:vpc=0') // { denies: [{ service: 'ec2', action: 'CreateNatGateway', ... }], quotas: [{ quota: 'vpc', value: 0, ... }] }
 */
export function parseAccountFaults(spec: string | undefined): AccountFaults {
  const out: AccountFaults = { denies: [], quotas: [] };
  if (!spec || spec.trim() === '') return out;
  spec.split(',').forEach((raw, index) => {
    const text = raw.trim();
    if (!isAccountEntry(text)) return;
    const where = `fault entry ${index + 1} "${text}"`;
    if (text.startsWith('deny:')) {
      const m = /^deny:([a-z0-9]+):(\*|[A-Za-z][A-Za-z0-9]*\*?)$/.exec(text);
      if (!m) throw new FaultSpecError(`${where}: write deny:SERVICE:ACTION with an IAM action name, e.g. deny:ec2:CreateNatGateway or deny:s3:CreateBucket`);
      if (!DENY_SERVICES.includes(m[1])) throw new FaultSpecError(`${where}: "${m[1]}" is not a service the local stack answers for; use one of ${DENY_SERVICES.join(', ')}`);
      out.denies.push({ text, service: m[1], action: m[2] });
      return;
    }
    const m = /^quota:([A-Za-z0-9-]+)=(\d+)$/.exec(text);
    if (!m) throw new FaultSpecError(`${where}: write quota:QUOTA=N with a whole number N, e.g. quota:vpc=0 or quota:L-F678F1CE=1`);
    if (!/^L-[0-9A-F]{8}$/.test(m[1]) && !quotaByName(m[1])) {
      throw new FaultSpecError(`${where}: "${m[1]}" is neither a quota code (L-XXXXXXXX) nor one of ${QUOTA_NAMES.join(', ')}`);
    }
    out.quotas.push({ text, quota: m[1], value: Number(m[2]) });
  });
  return out;
}

function parseEntry(text: string, position: number): FaultRule {
  const where = `fault entry ${position} "${text}"`;
  if (text === '') throw new FaultSpecError(`${where} is empty (two commas in a row, or a trailing comma?)`);
  const colon = text.indexOf(':');
  if (colon < 0) throw new FaultSpecError(`${where} has no ":"; write OPERATION:KIND, e.g. CreateNatGateway:lose-response`);
  const operation = text.slice(0, colon).trim();
  const fault = text.slice(colon + 1).trim();
  if (!OPERATION.test(operation)) {
    throw new FaultSpecError(`${where}: "${operation}" is not an operation; use an AWS API operation name (CreateNatGateway), a prefix with * (Create*), or *`);
  }

  let body = fault;
  let nth: number | undefined;
  const at = fault.lastIndexOf('@');
  if (at >= 0) {
    const n = fault.slice(at + 1);
    if (!/^[1-9]\d*$/.test(n)) throw new FaultSpecError(`${where}: "@${n}" must be @N with N a whole number from 1 (the N-th attempt)`);
    nth = Number(n);
    body = fault.slice(0, at);
  }
  const eq = body.indexOf('=');
  const name = (eq >= 0 ? body.slice(0, eq) : body) as FaultKind;
  const value = eq >= 0 ? body.slice(eq + 1) : undefined;
  if (!KINDS.includes(name)) throw new FaultSpecError(`${where}: unknown fault "${name}"; expected one of ${KIND_HELP}`);
  if (name === 'lose-response' && nth !== undefined) {
    throw new FaultSpecError(`${where}: lose-response takes no @N (it hits each call site once); use lose-response or lose-response=RATE`);
  }

  if (name === 'delay') {
    if (value === undefined || !NUMBER.test(value)) throw new FaultSpecError(`${where}: delay needs seconds, e.g. delay=30 (AWS seconds, divided by the time scale)`);
    return { text, operation, kind: 'delay', rate: 1, nth, seconds: Number(value) };
  }
  if (name === 'fail') {
    if (value !== undefined) throw new FaultSpecError(`${where}: fail takes no value (it always fails); use error5xx=RATE for a chance`);
    return { text, operation, kind: 'fail', rate: 1, nth };
  }
  let rate = 1;
  if (value !== undefined) {
    rate = NUMBER.test(value) ? Number(value) : NaN;
    if (!(rate > 0 && rate <= 1)) throw new FaultSpecError(`${where}: rate "${value}" must be a number in (0, 1], e.g. ${name}=0.2`);
  }
  return { text, operation, kind: name, rate, nth };
}

/** True when a rule's operation pattern covers the operation. */
export function matchesOperation(pattern: string, operation: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return operation.startsWith(pattern.slice(0, -1));
  return pattern === operation;
}

/** The spec text of some rules (the inverse of {@link parseFaultSpec}). */
export const formatFaultSpec = (rules: FaultRule[]): string => rules.map((r) => r.text).join(',');
