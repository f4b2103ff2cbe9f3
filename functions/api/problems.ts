/**
 * The problem types of the HTTP API (RFC 9457 problem details, `application/problem+json`): one per error code,
 * each with its status and a title that never changes. `functions/api/http.ts` answers with them and
 * `local/docs.ts` documents them in docs/openapi.yaml from this table, so the two cannot drift.
 *
 * A problem's `type` is the relative URI reference `/problems/<code in kebab case>` (e.g. `/problems/replacement-required`):
 * an identifier to compare, not a page to fetch (the API serves no such path).
 */

/** The media type of every error answer (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The largest request body the API reads (bytes); a larger one is a 413 `PayloadTooLarge`. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The `timeout:` of every API route's function in serverless.yml (a test compares): HTTP API gives up on an
 * integration after 30 s, and a cold start comes on top of the function's own time.
 */
export const ROUTE_TIMEOUT_SECONDS = 25;

export interface ProblemType {
  status: number;
  /** Short and fixed per type (RFC 9457 `title`); the `detail` of each answer says what happened this time. */
  title: string;
  /** For the OpenAPI file: when the API answers with it. */
  description: string;
}

export const PROBLEM_TYPES = {
  InvalidInput: {
    status: 400,
    title: 'The request is invalid',
    description: 'A body, path or query field breaks a rule; `errors` names each one (`field`, `rule`). Nothing was changed.',
  },
  ProvisioningNotFound: { status: 404, title: 'No such provisioning', description: 'Neither the registry nor Step Functions knows the provisioning ID.' },
  TimelineNotAvailable: {
    status: 404,
    title: 'No execution history to draw',
    description: 'The provisioning has no provision execution, or Step Functions no longer has its history (it forgets a closed execution after 90 days).',
  },
  ReplacementRequired: {
    status: 409,
    title: 'The change needs new resources',
    description: 'The request changes a field that needs new resources; `fields` names each with why, `howToReplace` says how to ask for a replacement.',
  },
  ProvisioningExists: {
    status: 409,
    title: 'The provisioning is being built with another request',
    description: 'An attempt with a different request is running (`runningExecution`); send the new request once it ended, or use another provisioningId.',
  },
  ProvisioningRunning: { status: 409, title: 'The provisioning is still running', description: 'A teardown was asked for while a provisioning attempt runs (`runningExecution`).' },
  UpdateRunning: { status: 409, title: 'An update of the provisioning is running', description: 'Another request, or a teardown, came while an in-place update runs (`runningExecution`).' },
  TeardownRunning: { status: 409, title: 'The provisioning is being torn down', description: 'A start or a second teardown came while a teardown runs (`runningExecution`).' },
  TeardownNeeded: {
    status: 409,
    title: 'The provisioning left resources',
    description: 'It is ROLLBACK_INCOMPLETE or TEARDOWN_FAILED: tear it down (DELETE) before starting it again.',
  },
  TooManyAttempts: { status: 409, title: 'The provisioning has had too many executions', description: 'Look at why they fail before trying again, or use another provisioningId.' },
  NoFreeExecutionName: { status: 409, title: 'No free execution name', description: 'Step Functions has every execution name of the provisioning in use; use another provisioningId.' },
  ConcurrentChange: { status: 409, title: 'The provisioning kept changing', description: 'Other writers changed its registry record while this request was deciding; send it again.' },
  NothingToTearDown: { status: 409, title: 'Nothing to tear down', description: 'The provisioning never had a valid request, so it made nothing.' },
  ProvisioningNotReady: { status: 409, title: 'The provisioning has not succeeded', description: 'The OIDC issuer can be set only on a SUCCEEDED provisioning.' },
  ProvisioningNotLive: {
    status: 409,
    title: 'The provisioning is not live',
    description: 'A health check runs on a SUCCEEDED or UPDATE_FAILED provisioning; `provisioningStatus` is its status now, `liveStatuses` the ones that are checked.',
  },
  PayloadTooLarge: { status: 413, title: 'The request body is too large', description: `The body is over ${MAX_BODY_BYTES} bytes (64 KiB).` },
  UnsupportedMediaType: {
    status: 415,
    title: 'The request body is not JSON',
    description: 'The body is missing, is not sent with `content-type: application/json`, or does not parse as JSON. The answer has an `accept: application/json` header.',
  },
  TargetAccountUnreachable: {
    status: 502,
    title: 'The provisioning\'s account cannot be read',
    description: 'AWS refused the health check\'s reads: the customer role cannot be assumed with the recorded external ID, or it denies a read. `detail` names the role.',
  },
  InternalError: {
    status: 500,
    title: 'Internal error',
    description: 'Something unexpected broke; `detail` and `requestId` give the request ID to quote (the logs have the rest). Nothing internal is in the answer.',
  },
  Timeout: {
    status: 503,
    title: 'The request took too long',
    description:
      'The route ran out of time (its AWS calls were slow) and may or may not have taken effect; `requestId` names it. Repeating the request is safe; the answer has a `retry-after` header.',
  },
} as const satisfies Record<string, ProblemType>;

export type ProblemCode = keyof typeof PROBLEM_TYPES;

/** `ReplacementRequired` -> `/problems/replacement-required`. */
export const problemTypeUri = (code: string): string => `/problems/${code.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;

/** The title of a code, or (for a code this table does not list yet) a generic one of its status. */
export function problemTitle(code: string, status: number): string {
  const known = (PROBLEM_TYPES as Record<string, ProblemType>)[code];
  if (known) return known.title;
  return status === 404 ? 'Not found' : status === 409 ? 'Conflict' : status < 500 ? 'Bad request' : 'Internal error';
}
