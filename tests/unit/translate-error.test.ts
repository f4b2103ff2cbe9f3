import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { translateAwsError, isNotFound } from '../../shared/aws/translate-error';
import type { Context } from 'aws-lambda';
import { stepError, stepHandler, STEP_TIMEOUT_MARGIN_MS } from '../../shared/lambda';

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

  it.each([
    ['SlowDown', 'server', 503, 'RetryableAwsError'], // S3 throttling
    ['OperationAborted', 'client', 409, 'RetryableAwsError'], // S3: a conflicting operation on the bucket; try again
    ['InternalError', 'server', 500, 'RetryableAwsError'],
    ['ServiceUnavailable', 'server', 503, 'RetryableAwsError'],
    ['AccessDenied', 'client', 403, 'AccessDeniedError'],
    ['Forbidden', 'client', 403, 'AccessDeniedError'],
    ['Unknown', 'client', 403, 'AccessDeniedError'], // a HEAD answer has no body: the SDK only knows the 403
    ['AllAccessDisabled', 'client', 403, 'AccessDeniedError'],
    ['BucketAlreadyExists', 'client', 409, 'ForeignResourceError'], // another account holds the name
    ['BucketAlreadyOwnedByYou', 'client', 409, 'ForeignResourceError'],
    ['TooManyBuckets', 'client', 400, 'QuotaExceededError'],
    ['InvalidBucketName', 'client', 400, 'InvalidInputError'],
    ['BucketNotEmpty', 'client', 409, 'AwsOperationError'], // terminal: waiting does not empty a bucket
    ['NoSuchBucket', 'client', 404, 'AwsOperationError'], // callers handle not-found themselves (isNotFound)
    ['IllegalLocationConstraintException', 'client', 400, 'AwsOperationError'],
  ] as const)('S1: maps S3\'s %s (%s, HTTP %d) to %s', (code, fault, status, expected) => {
    expect(translateAwsError(sdkError(code, fault, status), 'do it').name).toBe(expected);
  });

  it('S1: names bucket.name when S3 refuses the bucket name', () => {
    expect(translateAwsError(sdkError('InvalidBucketName'), 'create the bucket')).toMatchObject({ problems: [{ field: 'bucket.name' }] });
  });

  it('S1: recognises S3\'s not-found codes, HEAD\'s bare NotFound included', () => {
    for (const code of ['NoSuchBucket', 'NoSuchTagSet', 'NoSuchBucketPolicy', 'NoSuchPublicAccessBlockConfiguration', 'ServerSideEncryptionConfigurationNotFoundError', 'OwnershipControlsNotFoundError', 'NotFound']) {
      expect(isNotFound(sdkError(code, 'client', 404))).toBe(true);
    }
    expect(isNotFound(sdkError('NoSuchTagSet', 'client', 404), 'NoSuchBucket')).toBe(false);
  });

  it('treats any 5xx as retryable, whatever its code', () => {
    expect(translateAwsError(sdkError('Whatever', 'server', 503), 'do it').name).toBe('RetryableAwsError');
  });

  it('treats a dropped connection (no HTTP answer) as retryable: the steps are idempotent', () => {
    const e = Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
    expect(translateAwsError(e, 'do it').name).toBe('RetryableAwsError');
  });

  it("routes the SDK's own request timeout (no AWS answer, no $metadata) as retryable, not as a terminal bug", () => {
    // Seen at 100 concurrent provisionings on one moto: the request handler gave up waiting for a socket.
    const timeout = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
    expect(stepError(timeout, 'CreateSecurityGroup').name).toBe('RetryableAwsError');
    expect(stepError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'CreateVpc').name).toBe('RetryableAwsError');
    // A bug stays a bug: terminal, under its own name.
    expect(stepError(new TypeError('x is undefined'), 'CreateVpc').name).toBe('TypeError');
  });

  it('a step that runs out of its Lambda time ends with RetryableAwsError naming the step, which every Task retries', async () => {
    // Seen at 100 concurrent provisionings: AWS calls answered slowly and middy's own early answer ("TimeoutError:
    // [AbortError]") matched no Retry, so one slow moment failed the run. Now it is retried like Sandbox.Timedout.
    const handler = stepHandler('FindLeftovers', () => new Promise<never>(() => undefined));
    const deadline = Date.now() + STEP_TIMEOUT_MARGIN_MS + 50;
    const context = { getRemainingTimeInMillis: () => deadline - Date.now(), functionName: 'FindLeftovers', awsRequestId: 'r-1' } as unknown as Context;
    const outcome = await handler({ config: { provisioningId: 'p-1' } }, context).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(outcome).toMatchObject({ name: 'RetryableAwsError', message: expect.stringMatching(/^FindLeftovers: ran out of time/) });
    const asl = JSON.parse(readFileSync(join(__dirname, '../../statemachine/provision.asl.json'), 'utf8')) as { States: Record<string, { Type: string; Resource?: string; Retry?: { ErrorEquals: string[] }[] }> };
    const retried = (name: string) => asl.States[name]?.Retry?.some((r) => r.ErrorEquals.includes('RetryableAwsError'));
    expect(retried('FindLeftovers')).toBe(true);
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
