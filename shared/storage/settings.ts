import type { ObjectOwnership, PublicAccessBlockConfiguration, ServerSideEncryptionConfiguration, Tag } from '@aws-sdk/client-s3';
import { defaultBucketName, type ProvisioningConfig } from '../config';
import { TAG_PROVISIONING_ID } from '../constants';
import { resourceTags } from '../tags';

/**
 * S1's bucket settings as data, and the pure rules around them (what we put, how a read-back compares, whose a
 * bucket is). No AWS calls here: `bucket.ts` makes them; this file is what the unit tests pin down.
 */

/** Value of `byoc:resource` on the bucket. */
export const BUCKET_RESOURCE = 'bucket';

/** S1: object ownership. ACLs are off; the bucket owner owns every object (the vendor's Terraform sets the same). */
export const OBJECT_OWNERSHIP: ObjectOwnership = 'BucketOwnerEnforced';

/** S1: all four public access blocks on. */
export const PUBLIC_ACCESS_BLOCK: Required<PublicAccessBlockConfiguration> = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

/** The `Sid` of our statement in the bucket policy: how we find it again among statements others may add. */
export const TLS_ONLY_SID = 'DenyInsecureTransport';

/** One bucket-policy statement, as much of it as we read. */
export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface BucketPolicy {
  Version?: string;
  Id?: string;
  Statement?: PolicyStatement | PolicyStatement[];
}

/** `arn:<partition>:s3:::<name>`. @example bucketArn('aws', 'demo-milvus') // 'arn:aws:s3:::demo-milvus' */
export const bucketArn = (partition: string, name: string): string => `arn:${partition}:s3:::${name}`;

/**
 * S1: the statement that denies every S3 action on the bucket and its objects to any request not made over TLS.
 * @example tlsOnlyStatement('aws', 'b').Condition // { Bool: { 'aws:SecureTransport': 'false' } }
 */
export function tlsOnlyStatement(partition: string, name: string): PolicyStatement {
  const arn = bucketArn(partition, name);
  return {
    Sid: TLS_ONLY_SID,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [arn, `${arn}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Parse a bucket policy as S3 returns it; undefined when there is none or it is not JSON. @example parseBucketPolicy('{"Statement":[]}') // { Statement: [] } */
export function parseBucketPolicy(text: string | undefined): BucketPolicy | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as BucketPolicy) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when a statement denies all of S3 on both the bucket and its objects to everyone when `aws:SecureTransport`
 * is false: the TLS-only rule, however it is spelled (Sid, principal `*` or `{AWS: '*'}`, condition value as string
 * or boolean, resources in any order).
 * @example isTlsOnlyStatement(tlsOnlyStatement('aws', 'b'), 'aws', 'b') // true
 */
export function isTlsOnlyStatement(statement: PolicyStatement, partition: string, name: string): boolean {
  const arn = bucketArn(partition, name);
  const principal = statement.Principal;
  const everyone = principal === '*' || (typeof principal === 'object' && principal !== null && asList((principal as { AWS?: string | string[] }).AWS).includes('*'));
  const actions = asList(statement.Action);
  const resources = asList(statement.Resource);
  const secure = statement.Condition?.Bool?.['aws:SecureTransport'];
  return (
    statement.Effect === 'Deny' &&
    everyone &&
    (actions.includes('s3:*') || actions.includes('*')) &&
    resources.includes(arn) &&
    resources.includes(`${arn}/*`) &&
    asList(secure as string | boolean | (string | boolean)[] | undefined).some((v) => String(v).toLowerCase() === 'false')
  );
}

/** True when the policy has a TLS-only statement for this bucket. @example hasTlsOnlyStatement(undefined, 'aws', 'b') // false */
export const hasTlsOnlyStatement = (policy: BucketPolicy | undefined, partition: string, name: string): boolean =>
  asList(policy?.Statement).some((s) => isTlsOnlyStatement(s, partition, name));

/**
 * The bucket policy to put: the existing one with our TLS-only statement added (or replacing a statement with our
 * Sid), every other statement kept, so re-applying S1 never drops what someone else added to the policy.
 * Undefined when the policy already has the rule: nothing to put.
 *
 * @example withTlsOnlyStatement(undefined, 'aws', 'b') // { Version: '2012-10-17', Statement: [tlsOnlyStatement('aws', 'b')] }
 */
export function withTlsOnlyStatement(existing: BucketPolicy | undefined, partition: string, name: string): BucketPolicy | undefined {
  if (hasTlsOnlyStatement(existing, partition, name)) return undefined;
  const others = asList(existing?.Statement).filter((s) => s.Sid !== TLS_ONLY_SID);
  return { ...(existing ?? {}), Version: existing?.Version ?? '2012-10-17', Statement: [...others, tlsOnlyStatement(partition, name)] };
}

/**
 * S1: default encryption. SSE-S3 (AES256) unless a KMS key is configured; then SSE-KMS with that key and an S3 bucket
 * key (fewer KMS calls, as the vendor's Terraform does).
 * @example encryptionConfiguration({ name: 'b', existing: false }).Rules[0].ApplyServerSideEncryptionByDefault // { SSEAlgorithm: 'AES256' }
 */
export function encryptionConfiguration(bucket: ProvisioningConfig['bucket']): ServerSideEncryptionConfiguration & { Rules: NonNullable<ServerSideEncryptionConfiguration['Rules']> } {
  return bucket.kmsKeyArn
    ? { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: bucket.kmsKeyArn }, BucketKeyEnabled: true }] }
    : { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] };
}

/**
 * What is wrong with a bucket's default encryption compared with the config; empty when it matches. A KMS key may
 * come back as a key ID or an ARN: both name the same key when the ID is the ARN's last part.
 * @example encryptionProblems(undefined, { name: 'b', existing: false }) // ['has no default encryption']
 */
export function encryptionProblems(actual: ServerSideEncryptionConfiguration | undefined, bucket: ProvisioningConfig['bucket']): string[] {
  const rule = actual?.Rules?.[0];
  const sse = rule?.ApplyServerSideEncryptionByDefault;
  if (!sse) return ['has no default encryption'];
  if (!bucket.kmsKeyArn) return sse.SSEAlgorithm === 'AES256' ? [] : [`encrypts with ${sse.SSEAlgorithm}, expected SSE-S3 (AES256)`];
  const problems: string[] = [];
  if (sse.SSEAlgorithm !== 'aws:kms') problems.push(`encrypts with ${sse.SSEAlgorithm}, expected SSE-KMS (aws:kms)`);
  const key = sse.KMSMasterKeyID ?? '';
  const sameKey = key === bucket.kmsKeyArn || (key !== '' && bucket.kmsKeyArn.endsWith(`/${key}`));
  if (!sameKey) problems.push(`uses KMS key ${key || '(the AWS managed key)'}, expected ${bucket.kmsKeyArn}`);
  if (rule?.BucketKeyEnabled !== true) problems.push('has no S3 bucket key (BucketKeyEnabled)');
  return problems;
}

/** The public access block settings that are not on. @example publicAccessProblems({ ...PUBLIC_ACCESS_BLOCK, IgnorePublicAcls: false }) // ['IgnorePublicAcls is off'] */
export const publicAccessProblems = (actual: PublicAccessBlockConfiguration | undefined): string[] =>
  (Object.keys(PUBLIC_ACCESS_BLOCK) as (keyof PublicAccessBlockConfiguration)[]).filter((k) => actual?.[k] !== true).map((k) => `${k} is off`);

/** S1 tags (V8 + ownership) as S3 takes them. @example bucketTags(config) // [{ Key: 'Name', Value: 'demo-bucket' }, ..., { Key: 'byoc:resource', Value: 'bucket' }] */
export function bucketTags(config: Pick<ProvisioningConfig, 'tags' | 'projectName'>): Tag[] {
  return resourceTags(config, BUCKET_RESOURCE).map(({ Key, Value }) => ({ Key: Key ?? '', Value: Value ?? '' }));
}

/** Tags as a record (S3 answers a list). @example tagRecord([{ Key: 'a', Value: '1' }]) // { a: '1' } */
export const tagRecord = (tags: Tag[] | undefined): Record<string, string> => Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/** The bucket's tags with ours laid over them: other tags (a cost-centre tag someone added) are kept. @example mergedTags({ team: 'ml' }, bucketTags(config)) // team=ml and ours */
export function mergedTags(current: Record<string, string>, ours: Tag[]): Tag[] {
  const merged = { ...current, ...tagRecord(ours) };
  return Object.entries(merged).map(([Key, Value]) => ({ Key, Value }));
}

/** The tags of ours that are missing or have another value. @example tagProblems({}, [{ Key: 'Vendor', Value: 'zilliz-byoc' }]) // ['tag Vendor=zilliz-byoc is missing'] */
export function tagProblems(actual: Record<string, string>, wanted: Tag[]): string[] {
  return wanted.filter((t) => actual[t.Key ?? ''] !== t.Value).map((t) => `tag ${t.Key}=${t.Value} is ${t.Key! in actual ? `${t.Key}=${actual[t.Key!]}` : 'missing'}`);
}

/**
 * The region of a bucket from GetBucketLocation's `LocationConstraint`: us-east-1 answers null or empty, and the
 * oldest EU buckets answer the legacy `EU` (= eu-west-1).
 * @example regionOfLocation(undefined) // 'us-east-1'
 */
export function regionOfLocation(constraint: string | null | undefined): string {
  if (!constraint) return 'us-east-1';
  if (constraint === 'EU') return 'eu-west-1';
  return constraint;
}

/** The `CreateBucketConfiguration.LocationConstraint` for a region: none for us-east-1 (S3 refuses it there). @example locationConstraintFor('us-east-1') // undefined */
export const locationConstraintFor = (region: string): string | undefined => (region === 'us-east-1' ? undefined : region);

/** What we know about a bucket of our account when deciding whether it is ours. */
export interface BucketFacts {
  name: string;
  /** Its tags; `{}` for a bucket with none. */
  tags: Record<string, string>;
  /** Listed by ListBuckets of our account (S3's own answer to "is it this account's?"). */
  inAccount: boolean;
  region?: string;
  /** Holds no object, version or delete marker; undefined when not looked at. */
  empty?: boolean;
}

/** Who we are, for {@link bucketVerdict}. `derivedName` is undefined when the account is unknown (a teardown). */
export interface BucketClaimant {
  provisioningId: string;
  region: string;
  /** The default bucket name this provisioning derives (see {@link defaultBucketName}). */
  derivedName?: string;
}

export type BucketVerdict =
  /** Carries our provisioning-ID tag. */
  | { kind: 'ours' }
  /** Untagged, empty, our derived name, in our account and region: what a lost CreateBucket answer leaves behind. */
  | { kind: 'lost-answer' }
  /** Not ours; `reason` says why, in words a person can act on. */
  | { kind: 'not-ours'; reason: string; otherProvisioning?: string };

/**
 * Whose a bucket is. The rule (S1), in order:
 * 1. it carries `byoc:provisioning-id` = ours: **ours**;
 * 2. it carries another provisioning's ID: not ours;
 * 3. it is not in our account's ListBuckets: not ours (another account's);
 * 4. it carries no tag at all, holds nothing, is in our region and has exactly the name this provisioning derives
 *    (SHA-256 of account, region and provisioning ID: nobody picks it by chance, and a customer who wants their own
 *    bucket names it and sets `bucket.existing`): **ours**, left by a CreateBucket whose answer was lost before
 *    we could tag it;
 * 5. anything else (untagged with a name the customer gave, tagged by someone, holding data): not ours.
 *
 * @example bucketVerdict({ name: 'b', tags: {}, inAccount: true, region: 'us-west-2', empty: true }, { provisioningId: 'p-1', region: 'us-west-2' }).kind // 'not-ours'
 */
export function bucketVerdict(facts: BucketFacts, claimant: BucketClaimant): BucketVerdict {
  const owner = facts.tags[TAG_PROVISIONING_ID];
  if (owner === claimant.provisioningId) return { kind: 'ours' };
  if (owner) return { kind: 'not-ours', reason: `it belongs to provisioning ${owner} (tag ${TAG_PROVISIONING_ID}=${owner})`, otherProvisioning: owner };
  if (!facts.inAccount) return { kind: 'not-ours', reason: 'another AWS account owns it (bucket names are global across all accounts)' };
  const untagged = Object.keys(facts.tags).length === 0;
  if (untagged && facts.empty === true && facts.region === claimant.region && claimant.derivedName !== undefined && facts.name === claimant.derivedName) {
    return { kind: 'lost-answer' };
  }
  return { kind: 'not-ours', reason: `it exists in this account without the tag ${TAG_PROVISIONING_ID}=${claimant.provisioningId}, so this provisioning did not make it` };
}

/** The default name this config derives, or undefined when the facts for it are unknown (a teardown config). @example derivedBucketName({ provisioningId: 'p-1', region: 'us-west-2' }) // undefined */
export function derivedBucketName(config: { provisioningId: string; region: string; projectName?: string; accountId?: string }): string | undefined {
  if (!config.projectName || !config.accountId) return undefined;
  return defaultBucketName({ projectName: config.projectName, accountId: config.accountId, region: config.region, provisioningId: config.provisioningId });
}
