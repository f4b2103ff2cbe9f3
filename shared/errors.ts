/**
 * Error classes whose `name` is the error name Step Functions routes on (Retry / Catch `ErrorEquals`).
 *
 * Two families, never mixed:
 * - retryable (`RetryableAwsError`, `ResourceNotReadyError`, `DependencyViolationError`, `EventualConsistencyError`):
 *   the state machine retries them with backoff and jitter;
 * - terminal (everything else): retrying cannot help, so the state machine goes straight to rollback.
 *
 * Note: do not add a property called `isRetryable` or `isCatchable` to these classes; the local engine
 * (aws-local-stepfunctions) reads those names on thrown errors.
 */

export interface FieldProblem {
  /** JSON path of the bad field, e.g. `network.vpcCidr`. */
  field: string;
  /** The rule it breaks, in words a person can act on. */
  rule: string;
}

export class ProvisioningError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProvisioningError';
  }
}

// ---- terminal ---------------------------------------------------------------------------------

/** The request is invalid. `problems` names each bad field and the rule it breaks. Nothing was changed. */
export class InvalidInputError extends ProvisioningError {
  readonly problems: FieldProblem[];
  constructor(problems: FieldProblem[], options?: { cause?: unknown }) {
    super(`Invalid request: ${problems.map((p) => `${p.field}: ${p.rule}`).join('; ')}`, options);
    this.name = 'InvalidInputError';
    this.problems = problems;
  }
}

/** An AWS quota (service limit) is reached; the customer must raise it or free resources. */
export class QuotaExceededError extends ProvisioningError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QuotaExceededError';
  }
}

/** Our credentials (or the customer role we assumed) may not do this. */
export class AccessDeniedError extends ProvisioningError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AccessDeniedError';
  }
}

/** A resource we would create or delete exists but is not ours (it lacks our provisioning-ID tag): never taken over. */
export class ForeignResourceError extends ProvisioningError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ForeignResourceError';
  }
}

/** A resource reached a state it cannot leave (e.g. a NAT gateway `failed`). */
export class ResourceFailedError extends ProvisioningError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResourceFailedError';
  }
}

/**
 * V9: the interface endpoint waits for the vendor to accept its connection (`pendingAcceptance`), or the vendor
 * rejected it (`rejected`) or let the request expire (`expired`). Waiting does not help: only the vendor can accept
 * the connection or allow the account on its endpoint service. The message says what to ask the vendor.
 */
export class VpcEndpointNotAcceptedError extends ProvisioningError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VpcEndpointNotAcceptedError';
  }
}

/** A built resource does not meet a requirement (V1-V11, R1-R5); the message names each by number. */
export class RequirementFailedError extends ProvisioningError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RequirementFailedError';
  }
}

/** An AWS call failed in a way that retrying will not fix (an unexpected client error). */
export class AwsOperationError extends ProvisioningError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AwsOperationError';
  }
}

/**
 * A teardown was refused before it deleted anything: resources we did not make depend on what the provisioning
 * made (an instance or a network interface in our subnets, a load balancer or someone else's endpoint in our VPC,
 * an instance profile or an EKS cluster using our role). `resources` lists each by type and ID; the message says
 * how to proceed (remove them, or tear down with `force`).
 */
export class ResourceInUseError extends ProvisioningError {
  readonly resources: { type: string; id: string; detail?: string }[];
  constructor(message: string, resources: { type: string; id: string; detail?: string }[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResourceInUseError';
    this.resources = resources;
  }
}

/**
 * The preflight (the `Preflight` state, before anything is made) found problems that would make the provisioning
 * fail: a permission the caller lacks, a quota without headroom, a role or bucket name someone else holds, too few
 * usable zones, a VPC CIDR the caller asked to avoid. The message lists every finding with its fix (it becomes the
 * execution's cause); `findings` keeps them as data. Nothing was created, so nothing is rolled back.
 */
export class PreflightFailedError extends ProvisioningError {
  readonly findings: { check: string; severity: 'error' | 'warning'; field?: string; message: string; fix: string; action?: string; quota?: { serviceCode: string; quotaCode: string; name: string } }[];
  constructor(findings: PreflightFailedError['findings'], options?: { cause?: unknown }) {
    const errors = findings.filter((f) => f.severity === 'error');
    const lines = findings.map((f) => `- ${f.severity === 'error' ? 'error' : 'warning'} [${f.check}]${f.field ? ` ${f.field}:` : ''} ${f.message} Fix: ${f.fix}`);
    super(`Preflight found ${errors.length} problem${errors.length === 1 ? '' : 's'}; nothing was created:\n${lines.join('\n')}`, options);
    this.name = 'PreflightFailedError';
    this.findings = findings;
  }
}

// ---- retryable --------------------------------------------------------------------------------

/** Throttling, a 5xx, or a network error: try again later. */
export class RetryableAwsError extends ProvisioningError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableAwsError';
  }
}

/** The resource exists but is not ready yet (e.g. still `pending`). */
export class ResourceNotReadyError extends ProvisioningError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ResourceNotReadyError';
  }
}

/** AWS refuses a delete because something still depends on the resource; usually heals once that is gone. */
export class DependencyViolationError extends ProvisioningError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DependencyViolationError';
  }
}

/** A resource we just created is not visible yet (IAM NoSuchEntity, EC2 *.NotFound right after create). */
export class EventualConsistencyError extends ProvisioningError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventualConsistencyError';
  }
}

/** The names the state machine retries. Everything else is terminal. */
export const RETRYABLE_ERROR_NAMES = [
  'RetryableAwsError',
  'ResourceNotReadyError',
  'DependencyViolationError',
  'EventualConsistencyError',
] as const;

/** The names the state machine never retries. */
export const TERMINAL_ERROR_NAMES = [
  'InvalidInputError',
  'QuotaExceededError',
  'AccessDeniedError',
  'ForeignResourceError',
  'ResourceFailedError',
  'VpcEndpointNotAcceptedError',
  'RequirementFailedError',
  'AwsOperationError',
  'ResourceInUseError',
  'PreflightFailedError',
] as const;

/**
 * Errors raised by the state machines themselves (Fail states), not by a Lambda: a wait that passed its deadline,
 * and a rollback or teardown that could not remove everything (the cause lists each resource left).
 */
export const WORKFLOW_ERROR_NAMES = ['NatGatewayTimeout', 'VpcEndpointTimeout', 'PrivateDnsTimeout', 'RollbackIncompleteError', 'TeardownIncompleteError'] as const;
