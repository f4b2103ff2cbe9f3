import {
  AccessDeniedError,
  AwsOperationError,
  DependencyViolationError,
  ForeignResourceError,
  InvalidInputError,
  ProvisioningError,
  QuotaExceededError,
  RetryableAwsError,
} from '../errors';

/** What we read off an AWS SDK v3 error (a `ServiceException`) or a network error. */
interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded', // EC2's name for throttling (not a quota!)
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown', // S3 (HTTP 503): reduce the request rate
  'PriorRequestNotComplete', // Route 53: a change on the same zone is still being applied
  'Route53.PriorRequestNotComplete',
]);

const TRANSIENT = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceFailure',
  'Unavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'IDPCommunicationError',
  'OperationAborted', // S3 (409): a conflicting operation on the bucket is in progress; try again
  // Node network errors surface with these names/codes
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'NetworkingError',
]);

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'AuthFailure',
  'InvalidClientTokenId',
  'ExpiredToken',
  'SignatureDoesNotMatch',
  'OptInRequired',
  'Forbidden', // S3 HEAD requests carry no body: 403 is all there is
  'AllAccessDisabled', // S3
  'InvalidAccessKeyId', // S3
  'AccountProblem', // S3
]);

/** Error codes that mean a quota is reached. Note `RequestLimitExceeded` is throttling and is matched earlier. */
function isQuota(code: string): boolean {
  return (
    code === 'LimitExceeded' ||
    code === 'LimitExceededException' ||
    code === 'TooManyHostedZones' ||
    code === 'TooManyBuckets' || // S3: the account's bucket quota
    code === 'InsufficientAddressCapacity' ||
    /LimitExceeded$/.test(code) ||
    /^(Vpc|Address|NatGateway|Subnet|RouteTable|SecurityGroup|InternetGateway)LimitExceeded/.test(code)
  );
}

/** The AWS error code of an SDK v3 error (or a Node network error). */
export function awsErrorCode(error: unknown): string {
  const e = (error ?? {}) as SdkErrorLike;
  return e.name && e.name !== 'Error' ? e.name : (e.code ?? e.Code ?? 'UnknownError');
}

/**
 * The code without the SDK's `Exception` suffix: IAM's `DeleteConflict` reaches the SDK as
 * `DeleteConflictException`, Route 53's `NoSuchHostedZone` stays as is. Lookups use both forms.
 */
const baseCode = (code: string): string => code.replace(/Exception$/, '');

/**
 * Translate an AWS SDK v3 error into one of our named errors, so the state machine can route on it.
 * The one place where SDK exceptions are mapped (STYLE 5); every step calls it on errors it does not handle.
 *
 * @param what - what we were doing, for the message ("CreateVpc for provisioning p-1").
 * @example
 * try { await ec2.send(new CreateVpcCommand(...)); } catch (e) { throw translateAwsError(e, 'create the VPC'); }
 */
export function translateAwsError(error: unknown, what: string): ProvisioningError {
  if (error instanceof ProvisioningError) return error;
  const e = (error ?? {}) as SdkErrorLike;
  const raw = awsErrorCode(error);
  const code = baseCode(raw);
  const is = (set: Set<string>) => set.has(raw) || set.has(code);
  const status = e.$metadata?.httpStatusCode;
  const text = `Could not ${what}: ${raw}: ${e.message ?? String(error)}`;

  if (is(THROTTLING) || e.$retryable?.throttling || status === 429) {
    return new RetryableAwsError(text, { cause: error });
  }
  if (is(TRANSIENT) || e.$fault === 'server' || (status !== undefined && status >= 500)) {
    return new RetryableAwsError(text, { cause: error });
  }
  if (code === 'DependencyViolation' || code === 'ResourceInUse' || code === 'HostedZoneNotEmpty' || code === 'DeleteConflict') {
    return new DependencyViolationError(text, { cause: error });
  }
  // S3 answers a HEAD request without a body, so the SDK can only name a 403 `Unknown`.
  if (is(ACCESS_DENIED) || (status === 403 && code === 'Unknown')) return new AccessDeniedError(text, { cause: error });
  if (isQuota(code)) return new QuotaExceededError(text, { cause: error });
  if (code === 'MalformedPolicyDocument' || code === 'InvalidInput' || code === 'ValidationError') {
    return new InvalidInputError([{ field: '(request)', rule: text }], { cause: error });
  }
  // S3 bucket names are global: a name another account holds can never be ours. (The bucket step answers these
  // itself with an InvalidInputError naming bucket.name; this is the fallback for any other caller.)
  if (code === 'BucketAlreadyExists' || code === 'BucketAlreadyOwnedByYou') return new ForeignResourceError(text, { cause: error });
  if (code === 'InvalidBucketName') return new InvalidInputError([{ field: 'bucket.name', rule: text }], { cause: error });
  // S3 refuses to delete a bucket that holds objects; waiting does not empty it, so it is terminal (not a DependencyViolation).
  if (code === 'BucketNotEmpty') return new AwsOperationError(text, { cause: error });
  // A request AWS never got an HTTP answer to (connection dropped, socket hang up): the call may or may not
  // have happened. Retrying is safe because every step finds its resource before creating it.
  if (status === undefined && e.$fault === undefined && /socket|network|connect|hang up|timed? ?out/i.test(e.message ?? '')) {
    return new RetryableAwsError(text, { cause: error });
  }
  return new AwsOperationError(text, { cause: error });
}

/**
 * True for the network failures the SDK throws without an AWS answer (`TimeoutError` of the request handler, Node's
 * `ECONNRESET`...): no `$metadata`, yet as transient as a 5xx.
 */
export function isNetworkFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: string; code?: string };
  return TRANSIENT.has(name ?? '') || TRANSIENT.has(code ?? '');
}

/** True when the error is AWS's "that resource does not exist" for any of the given codes. */
export function isNotFound(error: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(error);
  return codes.length > 0 ? codes.includes(code) || codes.includes(baseCode(code)) : /NotFound|NoSuchEntity|NoSuch/.test(code);
}
