import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketPolicyCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { s3Client } from '../../shared/aws/clients';
import { translateAwsError } from '../../shared/aws/translate-error';
import { errorResponse } from '../../local/realism/aws-errors';
import { useMoto } from '../helpers/moto';
import { rejectionOf, useRealism } from './realism-helpers';

const s3 = (): S3Client => s3Client({ region: 'us-west-2' });
const create = (Bucket: string) => s3().send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } }));
const exists = async (Bucket: string) => ((await s3().send(new ListBucketsCommand({}))).Buckets ?? []).some((b) => b.Name === Bucket);

describe('realism: S3 (S1), as the SDK and the bucket step see it', () => {
  // Each test makes its own buckets and looks only at them: no moto.reset() (it makes moto rebuild its backends).
  useMoto();
  const layer = useRealism({ profile: 'realistic', overrides: { readiness: false, consistency: false, throttling: false }, seed: 11 });

  it('answers in S3\'s REST-XML error format (a bare <Error> with RequestId and HostId), and HEAD errors with no body at all', () => {
    const answer = { code: 'NoSuchBucket', message: 'The specified bucket does not exist', status: 404 };
    const xml = Buffer.from(errorResponse('s3', answer, 'GetBucketTagging').body).toString();
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchBucket<\/Code><Message>The specified bucket does not exist<\/Message><RequestId>[0-9A-F]{16}<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/);
    const head = errorResponse('s3', answer, 'HeadBucket');
    expect(head.body).toHaveLength(0);
    expect(head.headers).toHaveProperty('x-amz-request-id');
    expect(head.headers).toHaveProperty('x-amz-id-2');
  });

  it('CreateBucket:fail is S3\'s AccessDenied (HTTP 403) on the first attempt, terminal, and nothing is created', async () => {
    layer.handle.setFaults('CreateBucket:fail');
    const error = await rejectionOf(create('realism-s3-fail'));
    expect(error).toBeInstanceOf(S3ServiceException);
    expect(error).toMatchObject({ name: 'AccessDenied', message: 'Access Denied', $fault: 'client', $metadata: { httpStatusCode: 403, attempts: 1 } });
    expect(translateAwsError(error, 'create the bucket').name).toBe('AccessDeniedError');
    expect(await exists('realism-s3-fail')).toBe(false);
    expect(layer.handle.events.map((e) => [e.kind, e.service, e.operation])).toEqual([['fail', 's3', 'CreateBucket']]);
  });

  it('S3 throttles with SlowDown (HTTP 503): the SDK retries it, and one that outlasts the retries translates as retryable', async () => {
    await create('realism-s3-slow');
    layer.handle.setFaults('GetBucketTagging:throttle@1');
    await rejectionOf(s3().send(new GetBucketTaggingCommand({ Bucket: 'realism-s3-slow' }))).then((e) => expect(e.name).toBe('NoSuchTagSet')); // moto's answer, on attempt 2
    expect(layer.handle.events.map((e) => e.detail)).toEqual(['SlowDown (HTTP 503), injected by GetBucketTagging:throttle@1']);

    layer.handle.setFaults('GetBucketTagging:throttle');
    const error = await rejectionOf(s3().send(new GetBucketTaggingCommand({ Bucket: 'realism-s3-slow' })));
    expect(error).toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503, attempts: 3 } });
    expect(translateAwsError(error, 'read the tags').name).toBe('RetryableAwsError');
  });

  it('DeleteBucket:error5xx=1 fails every attempt with S3\'s 500/503, retryable, and the bucket stays', async () => {
    await create('realism-s3-5xx');
    layer.handle.setFaults('DeleteBucket:error5xx=1');
    const error = await rejectionOf(s3().send(new DeleteBucketCommand({ Bucket: 'realism-s3-5xx' })));
    expect(['InternalError', 'ServiceUnavailable']).toContain(error.name);
    expect(error).toMatchObject({ $fault: 'server', $metadata: { attempts: 3 } });
    expect(translateAwsError(error, 'delete the bucket').name).toBe('RetryableAwsError');
    expect(await exists('realism-s3-5xx')).toBe(true);
  });

  it('a fault on HeadBucket reaches the SDK as S3 sends it (status only): a 5xx is retryable, a 403 access denied', async () => {
    layer.handle.setFaults('HeadBucket:error5xx');
    const server = await rejectionOf(s3().send(new HeadBucketCommand({ Bucket: 'realism-s3-head' })));
    expect(server).toMatchObject({ $fault: 'server', $metadata: { attempts: 3 } });
    expect(translateAwsError(server, 'look up the bucket').name).toBe('RetryableAwsError');
    layer.handle.setFaults('HeadBucket:fail');
    const denied = await rejectionOf(s3().send(new HeadBucketCommand({ Bucket: 'realism-s3-head' })));
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    expect(translateAwsError(denied, 'look up the bucket').name).toBe('AccessDeniedError');
  });

  it('PutBucketPolicy:lose-response: S3 applied the policy, the caller got a network error once', async () => {
    await create('realism-s3-lost');
    layer.handle.setFaults('PutBucketPolicy:lose-response');
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::realism-s3-lost/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] });
    const put = () => s3().send(new PutBucketPolicyCommand({ Bucket: 'realism-s3-lost', Policy: policy }));
    expect((await rejectionOf(put())).code).toBe('ECONNRESET');
    expect(JSON.parse((await s3().send(new GetBucketPolicyCommand({ Bucket: 'realism-s3-lost' }))).Policy!)).toEqual(JSON.parse(policy));
    await put(); // once per call site: the retry goes through
    expect(layer.handle.events.map((e) => [e.kind, e.operation])).toEqual([['lose-response', 'PutBucketPolicy']]);
  });

  it('meters S3 reads on one bucket of the account (HeadBucket counts as a read) and answers SlowDown when it is empty', async () => {
    layer.install({ overrides: { readiness: false, consistency: false, throttling: { s3: { read: { capacity: 2, refillPerSecond: 0.001 } } } } });
    const client = layer.handle.attach(new S3Client({ region: 'us-west-2', forcePathStyle: true, maxAttempts: 1 }), 's3');
    const results = await Promise.allSettled([1, 2, 3].map(() => client.send(new HeadBucketCommand({ Bucket: 'realism-s3-meter' }))));
    client.destroy();
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode : 200)).sort()).toEqual([404, 404, 503]);
    expect(layer.handle.events.filter((e) => e.kind === 'throttle').map((e) => e.detail)).toEqual(['bucket s3:read empty']);
  });
});
