/**
 * How one requirement came out:
 * - `pass`: met (the detail may still carry notes, e.g. broader security group rules);
 * - `warning`: not as the guide recommends, but workable (an existing VPC that is not a /16: the guide only
 *   "recommends" /16); never fails a provisioning or a V12 check;
 * - `fail`: not met; the vendor's setup would not work, or the provisioning is not what was asked.
 */
export type CheckStatus = 'pass' | 'fail' | 'warning';

/**
 * The result of checking one requirement of docs/requirements.md (V1-V12, R1-R5, S1, S2, X1) against what AWS
 * reports. `Verify` (after provisioning) and the existing-VPC check (V12) both produce lists of these.
 */
export interface RequirementCheck {
  /** The requirement's number, e.g. `V3` or `R1`. */
  id: string;
  status: CheckStatus;
  /** `status !== 'fail'`: kept for callers that only ask "does it stop us?". A warning is ok. */
  ok: boolean;
  /** What was found, and so why the check came out as it did, in words a person can act on ("subnet-1 has no kubernetes.io/role/internal-elb=1 tag"). */
  detail: string;
  /** What to do about it; present whenever the status is not `pass`. */
  fix?: string;
}

/**
 * Build a check; `ok` follows from `status`, and `fix` is kept only when the check did not pass.
 * @example requirementCheck('V5', 'fail', 'DNS hostnames are off', 'turn on DNS hostnames') // { id: 'V5', status: 'fail', ok: false, detail: ..., fix: ... }
 */
export function requirementCheck(id: string, status: CheckStatus, detail: string, fix?: string): RequirementCheck {
  return { id, status, ok: status !== 'fail', detail, ...(status !== 'pass' && fix ? { fix } : {}) };
}

/** A met requirement. @example passed('R5', 'nothing to check') */
export const passed = (id: string, detail: string): RequirementCheck => requirementCheck(id, 'pass', detail);

/** A requirement that is not met, with what to do. @example failed('V5', 'DNS hostnames are off', 'turn them on') */
export const failed = (id: string, detail: string, fix: string): RequirementCheck => requirementCheck(id, 'fail', detail, fix);

/** A requirement met in a way the guide does not recommend, with what to do. @example warned('V2', 'VPC CIDR 10.0.0.0/20 is not a /16', '...') */
export const warned = (id: string, detail: string, fix: string): RequirementCheck => requirementCheck(id, 'warning', detail, fix);

/** The failed checks as one message, each by number: "V3: ...; V7: ...". Warnings are not failures. */
export function describeFailures(checks: RequirementCheck[]): string {
  return checks
    .filter((c) => !c.ok)
    .map((c) => `${c.id}: ${c.detail}`)
    .join('; ');
}
