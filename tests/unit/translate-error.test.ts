import { translateAwsError, isNotFound } from '../../shared/aws/translate-error';

/** An SDK v3 service exception as the clients throw it. */
function sdkError(name: string, fault: 'client' | 'server' = 'client', status = fault === 'server' ? 500 : 400, message = 'boom') {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

describe('translateAwsError (one place that maps SDK errors to names the state machine routes on)', () => {
  it.each([
    ['RequestLimitExceeded', 'RetryableAwsError'], // EC2 throttling, not a quota
    ['Throttling', 'RetryableAwsError'],
    ['ThrottlingException', 'RetryableAwsError'],
    ['TooManyRequestsException', 'RetryableAwsError'],
    ['PriorRequestNotComplete', 'RetryableAwsError'],
    ['DependencyViolation', 'DependencyViolationError'],
    ['DeleteConflictException', 'DependencyViolationError'], // IAM's "still attached"
    ['HostedZoneNotEmpty', 'DependencyViolationError'],
    ['UnauthorizedOperation', 'AccessDeniedError'],
    ['AccessDenied', 'AccessDeniedError'],
    ['AccessDeniedException', 'AccessDeniedError'],
    ['VpcLimitExceeded', 'QuotaExceededError'],
    ['AddressLimitExceeded', 'QuotaExceededError'],
    ['LimitExceededException', 'QuotaExceededError'], // IAM
    ['MalformedPolicyDocumentException', 'InvalidInputError'],
    ['InvalidParameterValue', 'AwsOperationError'],
  ])('maps %s to %s', (code, expected) => {
    expect(translateAwsError(sdkError(code), 'do it').name).toBe(expected);
  });

  it('treats any 5xx as retryable, whatever its code', () => {
    expect(translateAwsError(sdkError('Whatever', 'server', 503), 'do it').name).toBe('RetryableAwsError');
  });

  it('treats a dropped connection (no HTTP answer) as retryable: the steps are idempotent', () => {
    const e = Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
    expect(translateAwsError(e, 'do it').name).toBe('RetryableAwsError');
  });

  it('keeps the AWS code and what we were doing in the message, and the SDK error as cause', () => {
    const original = sdkError('VpcLimitExceeded', 'client', 400, 'The maximum number of VPCs has been reached.');
    const translated = translateAwsError(original, 'create a VPC');
    expect(translated.message).toBe('Could not create a VPC: VpcLimitExceeded: The maximum number of VPCs has been reached.');
    expect(translated.cause).toBe(original);
  });

  it('recognises not-found codes, with and without the SDK suffix', () => {
    expect(isNotFound(sdkError('NoSuchEntityException'), 'NoSuchEntity')).toBe(true);
    expect(isNotFound(sdkError('InvalidVpcID.NotFound'), 'InvalidVpcID.NotFound')).toBe(true);
    expect(isNotFound(sdkError('InvalidVpcID.NotFound'), 'InvalidSubnetID.NotFound')).toBe(false);
  });
});
