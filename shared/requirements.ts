/**
 * The result of checking one requirement of ../shared/REQUIREMENTS.md (V1-V12, R1-R5) against what AWS reports.
 * `Verify` (after provisioning) and the existing-VPC check (V12) both produce lists of these.
 */
export interface RequirementCheck {
  /** The requirement's number, e.g. `V3` or `R1`. */
  id: string;
  ok: boolean;
  /** What was found, in words a person can act on ("subnet-1 has no kubernetes.io/role/internal-elb=1 tag"). */
  detail: string;
}

/** The failed checks as one message, each by number: "V3: ...; V7: ...". */
export function describeFailures(checks: RequirementCheck[]): string {
  return checks
    .filter((c) => !c.ok)
    .map((c) => `${c.id}: ${c.detail}`)
    .join('; ');
}
