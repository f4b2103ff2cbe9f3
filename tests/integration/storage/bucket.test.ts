import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { handler as CreateBucket } from '../../../functions/steps/create-bucket';
import { handler as DeleteBucket } from '../../../functions/steps/delete-bucket';
import type { LocalHandler } from '../../../local/functions';
import { invokeLocal } from '../../../local/lambda-runtime';
import { installRealism, type RealismHandle } from '../../../local/realism';
import { s3Client, type AwsTarget } from '../../../shared/aws/clients';
import { defaultBucketName, type ProvisioningConfig } from '../../../shared/config';
import { TAG_PROVISIONING_ID, TAG_RESOURCE } from '../../../shared/constants';
import { bucketLeftovers, findBucketsByTag, verifyBucket } from '../../../shared/storage/bucket';
import type { BucketState, BucketUndoState, DeleteBucketResult } from '../../../shared/storage/types';
import { testConfig, TEST_EXTERNAL_ID } from '../../helpers/config';
import { useMoto } from '../../helpers/moto';

const X1 = { crossAccountRole: { externalId: TEST_EXTERNAL_ID } };
const ACCOUNT = '123456789012';
/** moto keeps one set of resources per account; assuming a role of another account acts in that account. */
const OTHER_ACCOUNT: AwsTarget = { region: 'us-west-2', roleArn: 'arn:aws:iam::111122223333:role/SomeoneElse', externalId: 'ext-other' };

const s3 = (region = 'us-west-2'): S3Client => s3Client({ region });
const step = <T>(name: string, handler: unknown, state: unknown) => invokeLocal(name, handler as LocalHandler, state) as Promise<T>;
const createStep = (config: ProvisioningConfig) => step<BucketState>('CreateBucket', CreateBucket, { config });
const deleteStep = (state: BucketUndoState) => step<DeleteBucketResult>('DeleteBucket', DeleteBucket, state);

/** The error a promise rejects with (fails the test when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure, but it succeeded');
}

/** Lambda's JSON error document of a failed step (`LambdaInvocationError`'s message). */
const errorMessageOf = (error: Error): string => (JSON.parse(error.message) as { errorMessage: string }).errorMessage;

/** Read a setting, or null when the bucket has none of it. */
async function orNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (/NoSuch|NotFound/.test((error as Error).name)) return null;
    throw error;
  }
}

/** Everything S1 talks about, as S3 reports it. */
async function readBucket(name: string, client = s3()) {
  const tags = await orNull(async () => (await client.send(new GetBucketTaggingCommand({ Bucket: name }))).TagSet);
  const policy = await orNull(async () => (await client.send(new GetBucketPolicyCommand({ Bucket: name }))).Policy);
  return {
    location: (await client.send(new GetBucketLocationCommand({ Bucket: name }))).LocationConstraint ?? null,
    ownership: await orNull(async () => (await client.send(new GetBucketOwnershipControlsCommand({ Bucket: name }))).OwnershipControls?.Rules),
    publicAccessBlock: await orNull(async () => (await client.send(new GetPublicAccessBlockCommand({ Bucket: name }))).PublicAccessBlockConfiguration),
    encryption: await orNull(async () => (await client.send(new GetBucketEncryptionCommand({ Bucket: name }))).ServerSideEncryptionConfiguration?.Rules),
    policy: policy ? JSON.parse(policy) : null,
    tags: tags ? Object.fromEntries(tags.map((t): [string, string] => [t.Key ?? '', t.Value ?? ''])) : null,
  };
}

/** The account's buckets of this name (0 or 1: S3 names are unique, the count says whether a second attempt made one). */
const bucketsNamed = async (name: string, client = s3()) => ((await client.send(new ListBucketsCommand({}))).Buckets ?? []).filter((b) => b.Name === name);

/**
 * Put an object into a bucket of ours. moto evaluates the bucket policy and, being plain HTTP, counts every request
 * as aws:SecureTransport=false: the TLS-only policy would refuse the upload, so it is lifted for it and put back.
 */
async function putObject(name: string, key = 'data/segment-1') {
  const policy = (await s3().send(new GetBucketPolicyCommand({ Bucket: name }))).Policy!;
  await s3().send(new DeleteBucketPolicyCommand({ Bucket: name }));
  await s3().send(new PutObjectCommand({ Bucket: name, Key: key, Body: 'vectors' }));
  await s3().send(new PutBucketPolicyCommand({ Bucket: name, Policy: policy }));
}

/** A KMS key in moto's KMS (no KMS client in the project: one JSON call, which moto does not check the signature of). */
async function createKmsKey(endpoint: string, region: string): Promise<string> {
  const answer = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'TrentService.CreateKey',
      authorization: `AWS4-HMAC-SHA256 Credential=test/20300101/${region}/kms/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ Description: 'byoc bucket key' }),
  });
  const body = (await answer.json()) as { KeyMetadata: { Arn: string } };
  return body.KeyMetadata.Arn;
}

/** A bucket someone made by hand in our account: not tagged by us. */
async function createForeignBucket(name: string, region = 'us-west-2', client = s3(region)) {
  await client.send(new CreateBucketCommand({ Bucket: name, ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as 'us-west-2' } }) }));
  await client.send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: [{ Key: 'team', Value: 'analytics' }] } }));
}

const TLS_ONLY = (name: string) => ({
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

describe('the bucket on moto (S1)', () => {
  // Each test makes buckets of its own names and looks only at them: no moto.reset() (it makes moto rebuild its backends).
  const moto = useMoto();
  let realism: RealismHandle | undefined;
  afterEach(() => {
    realism?.uninstall();
    realism = undefined;
  });
  /** The realism layer with only these faults (moto's timing otherwise), on every client built from now on. */
  const withFaults = (faults: string) => (realism = installRealism({ profile: 'instant', faults, seed: 1 }));

  it('S1: creates the bucket in the region, BucketOwnerEnforced, all public access blocked, SSE-S3, TLS-only policy, tagged; Verify reads it all back', async () => {
    const config = testConfig(X1, 's1-new');
    const name = defaultBucketName({ projectName: 'demo', accountId: ACCOUNT, region: 'us-west-2', provisioningId: 's1-new' });
    expect(config.bucket.name).toBe(name);

    const state = await createStep(config);
    expect(state).toEqual({ bucketName: name, bucketArn: `arn:aws:s3:::${name}`, region: 'us-west-2', managed: true, adopted: false });
    const found = await readBucket(name);
    expect(found.location).toBe('us-west-2');
    expect(found.ownership).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect(found.publicAccessBlock).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(found.encryption).toEqual([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }]);
    expect(found.policy).toEqual({ Version: '2012-10-17', Statement: [TLS_ONLY(name)] });
    expect(found.tags).toEqual({ Name: 'demo-bucket', Vendor: 'zilliz-byoc', 'byoc:project': 'demo', [TAG_PROVISIONING_ID]: 's1-new', [TAG_RESOURCE]: 'bucket' });

    const checks = await verifyBucket(config, { bucket: state }, { s3: s3() });
    expect(checks).toEqual([{ id: 'S1', status: 'pass', ok: true, detail: expect.stringContaining('BucketOwnerEnforced, all public access blocked, SSE-S3, TLS-only policy, tagged') }]);
  });

  it('S1: SSE-KMS with the given key (made in moto\'s KMS) and an S3 bucket key', async () => {
    const kmsKeyArn = await createKmsKey(moto.endpoint, 'us-west-2');
    const config = testConfig({ ...X1, bucket: { kmsKeyArn } }, 's1-kms');
    const state = await createStep(config);
    expect(state.kmsKeyArn).toBe(kmsKeyArn);
    expect((await readBucket(state.bucketName)).encryption).toEqual([{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKeyArn }, BucketKeyEnabled: true }]);
    expect((await verifyBucket(config, { bucket: state }, { s3: s3() }))[0]).toMatchObject({ id: 'S1', ok: true, detail: expect.stringContaining(`SSE-KMS with ${kmsKeyArn} and a bucket key`) });
  });

  it('S1: in us-east-1 the bucket is created without a LocationConstraint (S3 refuses one there)', async () => {
    const config = testConfig({ ...X1, region: 'us-east-1' }, 's1-east');
    const state = await createStep(config);
    expect(state.region).toBe('us-east-1');
    expect((await readBucket(state.bucketName, s3('us-east-1'))).location).toBeNull(); // S3's answer for us-east-1
    expect((await verifyBucket(config, { bucket: state }, { s3: s3('us-east-1') }))[0].ok).toBe(true);
  });

  it('S1: run twice it is one bucket; the second run re-applies drifted settings and keeps tags and policy statements others added', async () => {
    const config = testConfig({ ...X1, bucket: { name: 'acme-vectors-s1-twice' } }, 's1-twice');
    const first = await createStep(config);
    await s3().send(new PutPublicAccessBlockCommand({ Bucket: first.bucketName, PublicAccessBlockConfiguration: { BlockPublicAcls: false, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
    await s3().send(new PutBucketEncryptionCommand({ Bucket: first.bucketName, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } }));
    const costTags = [...Object.entries((await readBucket(first.bucketName)).tags!).map(([Key, Value]) => ({ Key, Value })), { Key: 'cost-centre', Value: 'ml' }];
    await s3().send(new PutBucketTaggingCommand({ Bucket: first.bucketName, Tagging: { TagSet: costTags } }));
    const readOnly = { Sid: 'VendorRead', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${first.bucketName}/*` };
    await s3().send(new PutBucketPolicyCommand({ Bucket: first.bucketName, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [readOnly] }) }));

    const second = await createStep(config);
    expect(second).toEqual({ ...first, adopted: true });
    expect(await bucketsNamed(first.bucketName)).toHaveLength(1);
    const found = await readBucket(first.bucketName);
    expect(found.publicAccessBlock?.BlockPublicAcls).toBe(true);
    expect(found.encryption?.[0].ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    expect(found.tags).toMatchObject({ 'cost-centre': 'ml', [TAG_PROVISIONING_ID]: 's1-twice' });
    expect(found.policy.Statement).toEqual([readOnly, TLS_ONLY(first.bucketName)]);
  });

  it('S1: a lost CreateBucket answer (AWS made it, the step heard nothing) converges on one bucket: the retry adopts the untagged empty bucket of our derived name', async () => {
    const config = testConfig(X1, 's1-lost-create');
    withFaults('CreateBucket:lose-response');
    const lost = await rejectionOf(createStep(config));
    expect(lost.name).toBe('RetryableAwsError');
    // moto ignores CreateBucket's tags: the bucket exists untagged, the window the rule closes.
    expect((await readBucket(config.bucket.name)).tags).toBeNull();

    const retried = await createStep(config);
    expect(retried).toMatchObject({ bucketName: config.bucket.name, managed: true, adopted: true });
    expect(await bucketsNamed(config.bucket.name)).toHaveLength(1);
    expect(realism!.events.map((e) => [e.kind, e.operation])).toEqual([['lose-response', 'CreateBucket']]);
    expect((await verifyBucket(config, { bucket: retried }, { s3: s3() }))[0].ok).toBe(true);
  });

  it('S1: a lost PutBucketTagging answer converges too: the retry finds the bucket by its tag', async () => {
    const config = testConfig(X1, 's1-lost-tagging');
    withFaults('PutBucketTagging:lose-response');
    expect((await rejectionOf(createStep(config))).name).toBe('RetryableAwsError');
    expect((await readBucket(config.bucket.name)).tags).toMatchObject({ [TAG_PROVISIONING_ID]: 's1-lost-tagging' });
    const retried = await createStep(config);
    expect(retried.adopted).toBe(true);
    expect(await bucketsNamed(config.bucket.name)).toHaveLength(1);
    expect((await verifyBucket(config, { bucket: retried }, { s3: s3() }))[0].ok).toBe(true);
  });

  it('S1: a lost PutBucketPolicy answer converges, and the policy holds our statement once', async () => {
    const config = testConfig(X1, 's1-lost-policy');
    withFaults('PutBucketPolicy:lose-response');
    expect((await rejectionOf(createStep(config))).name).toBe('RetryableAwsError');
    await createStep(config);
    expect((await readBucket(config.bucket.name)).policy.Statement).toEqual([TLS_ONLY(config.bucket.name)]);
  });

  it('S1: never adopts an untagged bucket of a name the customer gave, even after a lost answer: refuses naming bucket.name and how to recover', async () => {
    const config = testConfig({ ...X1, bucket: { name: 'acme-vectors-lost' } }, 's1-lost-named');
    withFaults('CreateBucket:lose-response');
    await rejectionOf(createStep(config));
    const refused = await rejectionOf(createStep(config));
    expect(refused.name).toBe('InvalidInputError');
    expect(errorMessageOf(refused)).toContain('bucket.name: bucket "acme-vectors-lost" cannot be used: it exists in this account without the tag byoc:provisioning-id=s1-lost-named');
    expect(errorMessageOf(refused)).toContain('set bucket.existing: true');
    expect((await readBucket('acme-vectors-lost')).tags).toBeNull(); // untouched
  });

  it('S1: a name another account holds is refused with InvalidInputError naming bucket.name, and nothing is created or changed', async () => {
    const config = testConfig(X1, 's1-taken');
    const theirs = s3Client(OTHER_ACCOUNT);
    await createForeignBucket(config.bucket.name, 'us-west-2', theirs);

    const refused = await rejectionOf(createStep(config));
    expect(refused.name).toBe('InvalidInputError');
    const message = errorMessageOf(refused);
    expect(message).toContain(`bucket.name: bucket "${config.bucket.name}" cannot be used: another AWS account owns it`);
    expect(message).toContain('this is the default name, derived from the project name and a hash of account, region and provisioning ID');
    expect(await bucketsNamed(config.bucket.name)).toHaveLength(0);
    expect((await readBucket(config.bucket.name, theirs)).tags).toEqual({ team: 'analytics' });
    expect((await readBucket(config.bucket.name, theirs)).policy).toBeNull();
  });

  it('S1: a bucket of our account that is not ours, or another provisioning\'s, is refused and left as it is', async () => {
    await createForeignBucket('acme-analytics');
    const refused = await rejectionOf(createStep(testConfig({ ...X1, bucket: { name: 'acme-analytics' } }, 's1-foreign')));
    expect(errorMessageOf(refused)).toMatch(/^CreateBucket: Invalid request: bucket.name: .*without the tag byoc:provisioning-id=s1-foreign.*bucket.existing: true/);
    expect(await readBucket('acme-analytics')).toMatchObject({ tags: { team: 'analytics' }, policy: null, publicAccessBlock: null });

    await createStep(testConfig({ ...X1, bucket: { name: 'acme-shared' } }, 's1-first'));
    const second = await rejectionOf(createStep(testConfig({ ...X1, bucket: { name: 'acme-shared' } }, 's1-second')));
    expect(errorMessageOf(second)).toContain('it belongs to provisioning s1-first');
  });

  it('S1: an existing bucket of the account in the region is accepted as it is: policy, tags and encryption unchanged', async () => {
    await createForeignBucket('acme-existing');
    const before = await readBucket('acme-existing');
    const config = testConfig({ ...X1, bucket: { name: 'acme-existing', existing: true } }, 's1-existing');
    const state = await createStep(config);
    expect(state).toEqual({ bucketName: 'acme-existing', bucketArn: 'arn:aws:s3:::acme-existing', region: 'us-west-2', managed: false, adopted: false });
    expect(await readBucket('acme-existing')).toEqual(before);
    expect(await verifyBucket(config, { bucket: state }, { s3: s3() })).toEqual([
      { id: 'S1', status: 'pass', ok: true, detail: expect.stringContaining('existing bucket acme-existing belongs to account 123456789012 and is in us-west-2') },
    ]);
  });

  it('S1: an existing bucket in another region, of another account, or missing is refused naming bucket.name with the reason and the fix', async () => {
    await createForeignBucket('acme-in-ireland', 'eu-west-1');
    const ireland = await rejectionOf(createStep(testConfig({ ...X1, bucket: { name: 'acme-in-ireland', existing: true } }, 's1-region')));
    expect(ireland.name).toBe('InvalidInputError');
    expect(errorMessageOf(ireland)).toContain('bucket.name: existing bucket "acme-in-ireland" cannot be used: it is in eu-west-1, the provisioning in us-west-2');
    expect(errorMessageOf(ireland)).toContain('name a bucket in us-west-2');
    expect((await readBucket('acme-in-ireland', s3('eu-west-1'))).tags).toEqual({ team: 'analytics' });

    await createForeignBucket('acme-elsewhere', 'us-west-2', s3Client(OTHER_ACCOUNT));
    const foreign = await rejectionOf(createStep(testConfig({ ...X1, bucket: { name: 'acme-elsewhere', existing: true } }, 's1-other')));
    expect(errorMessageOf(foreign)).toContain('it does not belong to account 123456789012');

    const missing = await rejectionOf(createStep(testConfig({ ...X1, bucket: { name: 'acme-nowhere', existing: true } }, 's1-missing')));
    expect(errorMessageOf(missing)).toContain('existing bucket "acme-nowhere" cannot be used: it does not exist');
  });

  it('S1: undo deletes an empty bucket of ours; a second undo says notFound, never deleted', async () => {
    const config = testConfig(X1, 's1-undo');
    const bucket = await createStep(config);
    expect(await deleteStep({ config, bucket })).toEqual({ deleted: [bucket.bucketName], notFound: [], kept: [], leftForeign: [] });
    expect(await bucketsNamed(bucket.bucketName)).toHaveLength(0);
    expect(await deleteStep({ config, bucket })).toEqual({ deleted: [], notFound: [bucket.bucketName], kept: [], leftForeign: [] });
  });

  it('S1: teardown never deletes data: a bucket of ours with an object is kept and named, and the step succeeds', async () => {
    const config = testConfig(X1, 's1-data');
    const bucket = await createStep(config);
    await putObject(bucket.bucketName);
    const result = await deleteStep({ config, bucket });
    expect(result).toEqual({ deleted: [], notFound: [], kept: [{ bucketName: bucket.bucketName, reason: expect.stringContaining('holds objects') }], leftForeign: [] });
    expect(result.kept[0].reason).toContain('empty it and run the teardown again, or keep it');
    expect(await bucketsNamed(bucket.bucketName)).toHaveLength(1);
    expect(await bucketLeftovers(s3(), [bucket.bucketName, 'no-such-bucket-anywhere'], 's1-data')).toEqual([{ bucketName: bucket.bucketName, empty: false }]);
  });

  it('S1: never deletes a bucket without our tag: the customer\'s existing one, an untagged one of the configured name, another account\'s', async () => {
    await createForeignBucket('acme-existing-kept');
    const existing = testConfig({ ...X1, bucket: { name: 'acme-existing-kept', existing: true } }, 's1-keep');
    const used = await createStep(existing);
    expect(await deleteStep({ config: existing, bucket: used })).toEqual({ deleted: [], notFound: [], kept: [], leftForeign: ['acme-existing-kept'] });
    // A rollback after CreateBucket refused the name: $.bucket is absent, the configured name is someone else's.
    const refused = testConfig({ ...X1, bucket: { name: 'acme-existing-kept' } }, 's1-keep');
    expect(await deleteStep({ config: refused })).toEqual({ deleted: [], notFound: [], kept: [], leftForeign: ['acme-existing-kept'] });
    // $.bucket claiming a bucket that is not ours changes nothing either.
    expect(await deleteStep({ config: refused, bucket: { bucketName: 'acme-existing-kept', managed: true } })).toMatchObject({ deleted: [], leftForeign: ['acme-existing-kept'] });
    await createForeignBucket('acme-theirs', 'us-west-2', s3Client(OTHER_ACCOUNT));
    expect(await deleteStep({ config: testConfig({ ...X1, bucket: { name: 'acme-theirs' } }, 's1-keep') })).toMatchObject({ deleted: [], leftForeign: ['acme-theirs'] });
    expect(await bucketsNamed('acme-existing-kept')).toHaveLength(1);
    expect(await bucketsNamed('acme-theirs', s3Client(OTHER_ACCOUNT))).toHaveLength(1);
  });

  it('S1: the rollback of a lost CreateBucket answer (no $.bucket) deletes the untagged empty bucket of our derived name', async () => {
    const config = testConfig(X1, 's1-lost-rollback');
    withFaults('CreateBucket:lose-response');
    await rejectionOf(createStep(config));
    expect(await deleteStep({ config })).toEqual({ deleted: [config.bucket.name], notFound: [], kept: [], leftForeign: [] });
  });

  it('S1: a teardown without any name finds the buckets by our tag (the slow path) and deletes them', async () => {
    const config = testConfig(X1, 's1-by-tag');
    const bucket = await createStep(config);
    await createForeignBucket('acme-unrelated');
    await createStep(testConfig({ ...X1, bucket: { name: 'acme-other-provisioning' } }, 's1-other-provisioning'));
    expect(await findBucketsByTag(s3(), 's1-by-tag')).toEqual([bucket.bucketName]);
    const teardown: BucketUndoState = { config: { provisioningId: 's1-by-tag', region: 'us-west-2' } };
    expect(await deleteStep(teardown)).toEqual({ deleted: [bucket.bucketName], notFound: [], kept: [], leftForeign: [] });
    expect(await findBucketsByTag(s3(), 's1-by-tag')).toEqual([]);
    expect(await bucketsNamed('acme-other-provisioning')).toHaveLength(1);
  });

  it('S1: Verify names what drifted (public access, encryption, policy, a tag)', async () => {
    const config = testConfig(X1, 's1-drift');
    const bucket = await createStep(config);
    await s3().send(new PutPublicAccessBlockCommand({ Bucket: bucket.bucketName, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: true } }));
    await s3().send(new PutBucketEncryptionCommand({ Bucket: bucket.bucketName, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } }));
    await s3().send(new DeleteBucketPolicyCommand({ Bucket: bucket.bucketName }));
    const tags = Object.entries((await readBucket(bucket.bucketName)).tags!).filter(([Key]) => Key !== 'Vendor');
    await s3().send(new PutBucketTaggingCommand({ Bucket: bucket.bucketName, Tagging: { TagSet: tags.map(([Key, Value]) => ({ Key, Value })) } }));
    const [s1] = await verifyBucket(config, { bucket }, { s3: s3() });
    expect(s1).toMatchObject({ id: 'S1', status: 'fail', ok: false, fix: expect.stringContaining('run the provisioning again') });
    expect(s1.detail).toContain('public access block: BlockPublicPolicy is off');
    expect(s1.detail).toContain('encrypts with aws:kms, expected SSE-S3 (AES256)');
    expect(s1.detail).toContain('its policy does not deny s3:*');
    expect(s1.detail).toContain('tag Vendor=zilliz-byoc is missing');
    expect((await verifyBucket(config, { bucket: { bucketName: 'acme-gone' } }, { s3: s3() }))[0]).toMatchObject({ ok: false, detail: 'bucket acme-gone: does not exist' });
  });
});
