import { defaultBucketName } from '../../../shared/config';
import { TAG_PROVISIONING_ID } from '../../../shared/constants';
import {
  bucketTags,
  bucketVerdict,
  derivedBucketName,
  encryptionConfiguration,
  encryptionProblems,
  hasTlsOnlyStatement,
  isTlsOnlyStatement,
  locationConstraintFor,
  mergedTags,
  parseBucketPolicy,
  publicAccessProblems,
  regionOfLocation,
  tagProblems,
  tlsOnlyStatement,
  withTlsOnlyStatement,
  type BucketFacts,
} from '../../../shared/storage/settings';
import { testConfig, TEST_EXTERNAL_ID } from '../../helpers/config';

const X1 = { crossAccountRole: { externalId: TEST_EXTERNAL_ID } };
const KEY = 'arn:aws:kms:us-west-2:123456789012:key/11111111-2222-3333-4444-555555555555';

describe('S1 bucket settings (pure parts)', () => {
  it('S1: the TLS-only statement denies every s3 action on the bucket and its objects without TLS', () => {
    expect(tlsOnlyStatement('aws-cn', 'b-1')).toEqual({
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['arn:aws-cn:s3:::b-1', 'arn:aws-cn:s3:::b-1/*'],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it.each([
    ['ours', tlsOnlyStatement('aws', 'b-1'), true],
    ['another Sid, {AWS: "*"}, boolean false, resources reversed', { Sid: 'x', Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:*'], Resource: ['arn:aws:s3:::b-1/*', 'arn:aws:s3:::b-1'], Condition: { Bool: { 'aws:SecureTransport': false } } }, true],
    ['only the objects', { ...tlsOnlyStatement('aws', 'b-1'), Resource: 'arn:aws:s3:::b-1/*' }, false],
    ['only GetObject', { ...tlsOnlyStatement('aws', 'b-1'), Action: 's3:GetObject' }, false],
    ['an Allow', { ...tlsOnlyStatement('aws', 'b-1'), Effect: 'Allow' }, false],
    ['when TLS is used (true)', { ...tlsOnlyStatement('aws', 'b-1'), Condition: { Bool: { 'aws:SecureTransport': 'true' } } }, false],
    ['one principal only', { ...tlsOnlyStatement('aws', 'b-1'), Principal: { AWS: 'arn:aws:iam::1:root' } }, false],
    ['another bucket', tlsOnlyStatement('aws', 'b-2'), false],
  ])('S1: recognises the TLS-only rule: %s', (_label, statement, expected) => {
    expect(isTlsOnlyStatement(statement, 'aws', 'b-1')).toBe(expected);
  });

  it('S1: adds the TLS-only statement to a policy, keeps the others, replaces a stale one of our Sid, and has nothing to put when it is there', () => {
    const other = { Sid: 'VendorRead', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b-1/*' };
    expect(withTlsOnlyStatement(undefined, 'aws', 'b-1')).toEqual({ Version: '2012-10-17', Statement: [tlsOnlyStatement('aws', 'b-1')] });
    const stale = { ...tlsOnlyStatement('aws', 'b-1'), Action: 's3:GetObject' };
    expect(withTlsOnlyStatement({ Version: '2012-10-17', Id: 'p', Statement: [other, stale] }, 'aws', 'b-1')).toEqual({
      Version: '2012-10-17',
      Id: 'p',
      Statement: [other, tlsOnlyStatement('aws', 'b-1')],
    });
    expect(withTlsOnlyStatement({ Version: '2012-10-17', Statement: other }, 'aws', 'b-1')?.Statement).toEqual([other, tlsOnlyStatement('aws', 'b-1')]);
    expect(withTlsOnlyStatement({ Statement: [other, tlsOnlyStatement('aws', 'b-1')] }, 'aws', 'b-1')).toBeUndefined();
    expect(hasTlsOnlyStatement(parseBucketPolicy('not json'), 'aws', 'b-1')).toBe(false);
  });

  it('S1: SSE-S3 by default; SSE-KMS with the key and a bucket key when one is given', () => {
    expect(encryptionConfiguration({ name: 'b', existing: false })).toEqual({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(encryptionConfiguration({ name: 'b', existing: false, kmsKeyArn: KEY })).toEqual({
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY }, BucketKeyEnabled: true }],
    });
  });

  it('S1: compares read-back encryption with the config, accepting the key by ID or ARN', () => {
    const kms = (KMSMasterKeyID?: string, BucketKeyEnabled?: boolean) => ({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' as const, KMSMasterKeyID }, BucketKeyEnabled }] });
    const withKey = { name: 'b', existing: false, kmsKeyArn: KEY };
    expect(encryptionProblems(kms(KEY, true), withKey)).toEqual([]);
    expect(encryptionProblems(kms('11111111-2222-3333-4444-555555555555', true), withKey)).toEqual([]);
    expect(encryptionProblems(kms(undefined, false), withKey)).toEqual([`uses KMS key (the AWS managed key), expected ${KEY}`, 'has no S3 bucket key (BucketKeyEnabled)']);
    expect(encryptionProblems(undefined, withKey)).toEqual(['has no default encryption']);
    expect(encryptionProblems(kms(KEY, true), { name: 'b', existing: false })).toEqual(['encrypts with aws:kms, expected SSE-S3 (AES256)']);
  });

  it('S1: names each public access block that is off', () => {
    expect(publicAccessProblems({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true })).toEqual([]);
    expect(publicAccessProblems({ BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true })).toEqual(['IgnorePublicAcls is off', 'RestrictPublicBuckets is off']);
    expect(publicAccessProblems(undefined)).toHaveLength(4);
  });

  it('S1: regions: us-east-1 takes no LocationConstraint and answers an empty one; legacy EU is eu-west-1', () => {
    expect(locationConstraintFor('us-east-1')).toBeUndefined();
    expect(locationConstraintFor('eu-central-1')).toBe('eu-central-1');
    expect(regionOfLocation(undefined)).toBe('us-east-1');
    expect(regionOfLocation(null)).toBe('us-east-1');
    expect(regionOfLocation('')).toBe('us-east-1');
    expect(regionOfLocation('EU')).toBe('eu-west-1');
    expect(regionOfLocation('ap-east-1')).toBe('ap-east-1');
  });

  it('S1: tags: ours laid over the bucket\'s own, and a read-back names what is missing', () => {
    const config = testConfig(X1, 'p-tags');
    const ours = bucketTags(config);
    expect(Object.fromEntries(ours.map((t) => [t.Key, t.Value]))).toEqual({ Name: 'demo-bucket', Vendor: 'zilliz-byoc', 'byoc:project': 'demo', [TAG_PROVISIONING_ID]: 'p-tags', 'byoc:resource': 'bucket' });
    const merged = mergedTags({ 'cost-centre': 'ml', Name: 'old' }, ours);
    expect(Object.fromEntries(merged.map((t) => [t.Key, t.Value]))).toMatchObject({ 'cost-centre': 'ml', Name: 'demo-bucket' });
    expect(tagProblems({ Name: 'demo-bucket' }, [{ Key: 'Name', Value: 'demo-bucket' }, { Key: 'Vendor', Value: 'zilliz-byoc' }])).toEqual(['tag Vendor=zilliz-byoc is missing']);
    expect(tagProblems({ Vendor: 'x' }, [{ Key: 'Vendor', Value: 'zilliz-byoc' }])).toEqual(['tag Vendor=zilliz-byoc is Vendor=x']);
  });

  it('S1: the derived name is known only with account and project (a teardown config has neither)', () => {
    const facts = { provisioningId: 'p-1', region: 'us-west-2', projectName: 'demo', accountId: '123456789012' };
    expect(derivedBucketName(facts)).toBe(defaultBucketName(facts));
    expect(derivedBucketName({ provisioningId: 'p-1', region: 'us-west-2' })).toBeUndefined();
  });

  describe('S1: whose a bucket is (bucketVerdict)', () => {
    const derivedName = defaultBucketName({ projectName: 'demo', accountId: '123456789012', region: 'us-west-2', provisioningId: 'p-1' });
    const claimant = { provisioningId: 'p-1', region: 'us-west-2', derivedName };
    const lostAnswer: BucketFacts = { name: derivedName, tags: {}, inAccount: true, region: 'us-west-2', empty: true };

    it('ours by our provisioning-ID tag, wherever it is listed', () => {
      expect(bucketVerdict({ name: 'any', tags: { [TAG_PROVISIONING_ID]: 'p-1' }, inAccount: false }, claimant)).toEqual({ kind: 'ours' });
    });

    it('the untagged empty bucket of our derived name in our account and region: left by a lost CreateBucket answer', () => {
      expect(bucketVerdict(lostAnswer, claimant)).toEqual({ kind: 'lost-answer' });
    });

    it.each<[string, Partial<BucketFacts>, Partial<typeof claimant>, RegExp]>([
      ['another provisioning\'s', { tags: { [TAG_PROVISIONING_ID]: 'p-2' } }, {}, /belongs to provisioning p-2/],
      ['another account\'s', { inAccount: false }, {}, /another AWS account owns it/],
      ['a name the customer gave', { name: 'acme-vectors' }, {}, /without the tag byoc:provisioning-id=p-1/],
      ['tagged by someone', { tags: { team: 'analytics' } }, {}, /without the tag/],
      ['holding data', { empty: false }, {}, /without the tag/],
      ['not looked into', { empty: undefined }, {}, /without the tag/],
      ['in another region', { region: 'eu-west-1' }, {}, /without the tag/],
      ['with the derived name unknown (teardown)', {}, { derivedName: undefined }, /without the tag/],
    ])('never anyone else\'s: not ours when %s', (_label, facts, who, reason) => {
      const verdict = bucketVerdict({ ...lostAnswer, ...facts }, { ...claimant, ...who });
      expect(verdict.kind).toBe('not-ours');
      expect(verdict.kind === 'not-ours' && verdict.reason).toMatch(reason);
    });
  });
});
