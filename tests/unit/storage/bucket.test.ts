import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { TAG_PROVISIONING_ID } from '../../../shared/constants';
import { EventualConsistencyError, InvalidInputError, QuotaExceededError, RetryableAwsError } from '../../../shared/errors';
import { createBucket, deleteBucket, findBucketsByTag } from '../../../shared/storage/bucket';
import { testConfig, TEST_EXTERNAL_ID } from '../../helpers/config';

const X1 = { crossAccountRole: { externalId: TEST_EXTERNAL_ID } };
const s3 = new S3Client({ region: 'us-west-2' });
const mock = mockClient(s3);

/** An S3 error as the SDK throws it; HEAD answers carry no body, so the SDK can only call them `NotFound` or `Unknown`. */
const s3Error = (name: string, status: number) =>
  Object.assign(new Error(name === 'Unknown' ? 'UnknownError' : `${name} happened`), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

/** The error a promise rejects with. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure, but it succeeded');
}

/** Every S3 write succeeds; a bucket gets no policy yet. */
function acceptWrites() {
  for (const command of [PutBucketTaggingCommand, PutPublicAccessBlockCommand, PutBucketOwnershipControlsCommand, PutBucketEncryptionCommand, PutBucketPolicyCommand]) {
    mock.on(command as typeof PutBucketTaggingCommand).resolves({});
  }
  mock.on(GetBucketPolicyCommand).rejects(s3Error('NoSuchBucketPolicy', 404));
}

describe('the bucket step against a stubbed S3 (S1: what moto cannot show)', () => {
  afterEach(() => mock.reset());

  it('S1: creates with ownership, our tags and the region in the CreateBucket call itself, and sends ExpectedBucketOwner on every bucket call', async () => {
    const config = testConfig({ ...X1, bucket: { name: 'acme-vectors' } }, 'p-create');
    mock.on(HeadBucketCommand).rejects(s3Error('NotFound', 404));
    mock.on(CreateBucketCommand).resolves({});
    acceptWrites();
    expect(await createBucket(config, { s3 })).toMatchObject({ bucketName: 'acme-vectors', managed: true, adopted: false });

    const create = mock.commandCalls(CreateBucketCommand)[0].args[0].input;
    expect(create).toMatchObject({ Bucket: 'acme-vectors', ObjectOwnership: 'BucketOwnerEnforced', CreateBucketConfiguration: { LocationConstraint: 'us-west-2' } });
    expect(create.CreateBucketConfiguration?.Tags).toContainEqual({ Key: TAG_PROVISIONING_ID, Value: 'p-create' });
    const bucketCalls = mock.calls().map((c) => c.args[0].input as { Bucket?: string; ExpectedBucketOwner?: string }).filter((i) => i.Bucket && !('ObjectOwnership' in i));
    expect(bucketCalls.length).toBeGreaterThanOrEqual(6);
    for (const input of bucketCalls) expect(input.ExpectedBucketOwner).toBe('123456789012');
  });

  it('S1: in us-east-1 CreateBucket carries no LocationConstraint, only the tags', async () => {
    const config = testConfig({ ...X1, region: 'us-east-1' }, 'p-east');
    mock.on(HeadBucketCommand).rejects(s3Error('NotFound', 404));
    mock.on(CreateBucketCommand).resolves({});
    acceptWrites();
    await createBucket(config, { s3 });
    const create = mock.commandCalls(CreateBucketCommand)[0].args[0].input;
    expect(create.CreateBucketConfiguration).not.toHaveProperty('LocationConstraint');
    expect(create.CreateBucketConfiguration?.Tags?.length).toBeGreaterThan(0);
  });

  it('S1: HeadBucket 403 (another account, ExpectedBucketOwner) is refused at once naming bucket.name; nothing is created', async () => {
    mock.on(HeadBucketCommand).rejects(s3Error('Unknown', 403));
    const error = await rejectionOf(createBucket(testConfig({ ...X1, bucket: { name: 'acme-taken' } }, 'p-403'), { s3 }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems).toEqual([{ field: 'bucket.name', rule: expect.stringContaining('HTTP 403 with ExpectedBucketOwner=123456789012') }]);
    expect(mock.commandCalls(CreateBucketCommand)).toHaveLength(0);
  });

  it('S1: a bucket of that name in another region (HeadBucket 301) is refused naming bucket.name', async () => {
    mock.on(HeadBucketCommand).rejects(s3Error('Unknown', 301));
    const error = await rejectionOf(createBucket(testConfig({ ...X1, bucket: { name: 'acme-moved' } }, 'p-301'), { s3 }));
    expect((error as InvalidInputError).problems[0].rule).toContain('exists in another region than us-west-2');
    expect(mock.commandCalls(CreateBucketCommand)).toHaveLength(0);
  });

  it('S1: a bucket S3 does not show yet right after CreateBucket is retried by the state machine (EventualConsistencyError)', async () => {
    mock.on(HeadBucketCommand).rejects(s3Error('NotFound', 404));
    mock.on(CreateBucketCommand).resolves({});
    mock.on(PutBucketTaggingCommand).rejects(s3Error('NoSuchBucket', 404));
    expect(await rejectionOf(createBucket(testConfig(X1, 'p-lag'), { s3 }))).toBeInstanceOf(EventualConsistencyError);
  });

  it('S1: BucketAlreadyOwnedByYou (a parallel attempt made it between look-up and create) looks again and adopts it by its tag', async () => {
    const config = testConfig(X1, 'p-race');
    mock.on(HeadBucketCommand).rejectsOnce(s3Error('NotFound', 404)).resolves({});
    mock.on(CreateBucketCommand).rejects(s3Error('BucketAlreadyOwnedByYou', 409));
    mock.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: TAG_PROVISIONING_ID, Value: 'p-race' }] });
    mock.on(GetBucketLocationCommand).resolves({ LocationConstraint: 'us-west-2' });
    acceptWrites();
    expect(await createBucket(config, { s3 })).toMatchObject({ bucketName: config.bucket.name, adopted: true });
    expect(mock.commandCalls(CreateBucketCommand)).toHaveLength(1);
  });

  it('S1: still not visible after BucketAlreadyOwnedByYou twice: EventualConsistencyError, not a second bucket', async () => {
    mock.on(HeadBucketCommand).rejects(s3Error('NotFound', 404));
    mock.on(CreateBucketCommand).rejects(s3Error('BucketAlreadyOwnedByYou', 409));
    expect(await rejectionOf(createBucket(testConfig(X1, 'p-ghost'), { s3 }))).toBeInstanceOf(EventualConsistencyError);
  });

  it('S1: S3\'s own refusals become named errors: InvalidBucketName -> InvalidInputError (bucket.name), TooManyBuckets -> QuotaExceededError', async () => {
    mock.on(HeadBucketCommand).rejects(s3Error('NotFound', 404));
    mock.on(CreateBucketCommand).rejectsOnce(s3Error('InvalidBucketName', 400)).rejectsOnce(s3Error('TooManyBuckets', 400));
    const invalid = await rejectionOf(createBucket(testConfig(X1, 'p-bad'), { s3 }));
    expect((invalid as InvalidInputError).problems[0].field).toBe('bucket.name');
    expect(await rejectionOf(createBucket(testConfig(X1, 'p-bad'), { s3 }))).toBeInstanceOf(QuotaExceededError);
  });

  it('S1: an existing bucket in us-east-1 answers an empty LocationConstraint, which is us-east-1', async () => {
    mock.on(HeadBucketCommand).resolves({});
    mock.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'acme-east' }] });
    mock.on(GetBucketLocationCommand).resolves({});
    const state = await createBucket(testConfig({ ...X1, region: 'us-east-1', bucket: { name: 'acme-east', existing: true } }, 'p-existing'), { s3 });
    expect(state).toMatchObject({ bucketName: 'acme-east', region: 'us-east-1', managed: false });
    expect(mock.commandCalls(GetBucketLocationCommand)[0].args[0].input.ExpectedBucketOwner).toBe('123456789012');
    expect(mock.commandCalls(PutBucketTaggingCommand)).toHaveLength(0);
  });

  it('S1: a teardown (no account known) sends no ExpectedBucketOwner, falls back to ListObjectsV2 where versions cannot be listed, and keeps a bucket written to meanwhile', async () => {
    mock.on(HeadBucketCommand).resolves({});
    mock.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: TAG_PROVISIONING_ID, Value: 'p-down' }] });
    mock.on(ListObjectVersionsCommand).rejects(s3Error('NotImplemented', 501));
    mock.on(ListObjectsV2Command).resolves({ KeyCount: 0 });
    mock.on(DeleteBucketCommand).rejects(s3Error('BucketNotEmpty', 409));
    const result = await deleteBucket({ config: { provisioningId: 'p-down', region: 'us-west-2', bucket: { name: 'acme-down' } } }, { s3 });
    expect(result).toEqual({ deleted: [], notFound: [], kept: [{ bucketName: 'acme-down', reason: expect.stringContaining('holds objects') }], leftForeign: [] });
    for (const call of mock.calls()) expect(call.args[0].input).not.toHaveProperty('ExpectedBucketOwner');
  });

  it('S1: a conflicting operation on the bucket (OperationAborted) is retryable', async () => {
    mock.on(HeadBucketCommand).resolves({});
    mock.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: TAG_PROVISIONING_ID, Value: 'p-busy' }] });
    mock.on(ListObjectVersionsCommand).resolves({});
    mock.on(DeleteBucketCommand).rejects(s3Error('OperationAborted', 409));
    expect(await rejectionOf(deleteBucket({ config: { provisioningId: 'p-busy', region: 'us-west-2', bucket: { name: 'acme-busy' } } }, { s3 }))).toBeInstanceOf(RetryableAwsError);
  });

  it('S1: the slow path lists the region\'s buckets and reads their tags, skipping those it may not read', async () => {
    mock.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'a-ours', BucketRegion: 'us-west-2' }, { Name: 'b-theirs', BucketRegion: 'us-west-2' }, { Name: 'c-moved' }, { Name: 'd-other-region', BucketRegion: 'eu-west-1' }, { Name: 'e-untagged' }] });
    mock.on(GetBucketTaggingCommand, { Bucket: 'a-ours' }).resolves({ TagSet: [{ Key: TAG_PROVISIONING_ID, Value: 'p-slow' }] });
    mock.on(GetBucketTaggingCommand, { Bucket: 'b-theirs' }).rejects(s3Error('AccessDenied', 403));
    mock.on(GetBucketTaggingCommand, { Bucket: 'c-moved' }).rejects(s3Error('PermanentRedirect', 301));
    mock.on(GetBucketTaggingCommand, { Bucket: 'e-untagged' }).rejects(s3Error('NoSuchTagSet', 404));
    expect(await findBucketsByTag(s3, 'p-slow')).toEqual(['a-ours']);
    expect(mock.commandCalls(ListBucketsCommand)[0].args[0].input).toMatchObject({ BucketRegion: 'us-west-2' });
    expect(mock.commandCalls(GetBucketTaggingCommand).map((c) => c.args[0].input.Bucket)).not.toContain('d-other-region');
  });
});
