import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutPublicAccessBlockCommand,
  type Bucket,
  type BucketLocationConstraint,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ProvisioningConfig } from '../config';
import { TAG_PROVISIONING_ID } from '../constants';
import { EventualConsistencyError, InvalidInputError, type FieldProblem } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { failed, passed, type RequirementCheck } from '../requirements';
import {
  OBJECT_OWNERSHIP,
  PUBLIC_ACCESS_BLOCK,
  bucketArn,
  bucketTags,
  bucketVerdict,
  derivedBucketName,
  encryptionConfiguration,
  encryptionProblems,
  hasTlsOnlyStatement,
  locationConstraintFor,
  mergedTags,
  parseBucketPolicy,
  publicAccessProblems,
  regionOfLocation,
  tagProblems,
  tagRecord,
  withTlsOnlyStatement,
  type BucketClaimant,
  type BucketFacts,
  type BucketPolicy,
  type BucketVerdict,
} from './settings';
import type { BucketLeftover, BucketState, BucketUndoState, DeleteBucketResult } from './types';

export { BUCKET_RESOURCE } from './settings';

/** What a teardown reports for a bucket of ours that still holds data. */
export const KEPT_REASON = 'holds objects (or object versions); teardown never deletes data: empty it and run the teardown again, or keep it';

// ---- reading S3 ---------------------------------------------------------------------------------

/** `ExpectedBucketOwner` when the account is known: S3 then answers 403 for a bucket of any other account. */
const ownedBy = (accountId: string | undefined) => (accountId ? { ExpectedBucketOwner: accountId } : {});

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

/** Where S3 says a bucket is not (for us): gone, someone else's (or denied), or in another region. */
type Unreachable = 'absent' | 'forbidden' | 'elsewhere';

/**
 * Read what an S3 error says about the bucket itself. HEAD answers carry no body, so the SDK names them by status
 * only (`NotFound`, or `Unknown` with 403/301); other calls name the code (`NoSuchBucket`, `AccessDenied`,
 * `PermanentRedirect`). Undefined for any other error.
 */
function unreachable(error: unknown): Unreachable | undefined {
  const code = awsErrorCode(error);
  const status = statusOf(error);
  if (code === 'NoSuchBucket' || code === 'NotFound' || (status === 404 && code === 'Unknown')) return 'absent';
  if (code === 'AccessDenied' || code === 'Forbidden' || status === 403) return 'forbidden';
  if (status === 301 || status === 307 || code === 'PermanentRedirect' || code === 'TemporaryRedirect' || code === 'AuthorizationHeaderMalformed') return 'elsewhere';
  return undefined;
}

/** A bucket's tags as a record: `{}` for none (NoSuchTagSet), or why it cannot be read. */
async function readTags(s3: S3Client, name: string, accountId?: string): Promise<Record<string, string> | Unreachable> {
  try {
    return tagRecord((await s3.send(new GetBucketTaggingCommand({ Bucket: name, ...ownedBy(accountId) }))).TagSet);
  } catch (error) {
    if (isNotFound(error, 'NoSuchTagSet')) return {};
    const why = unreachable(error);
    if (why) return why;
    throw translateAwsError(error, `read the tags of S3 bucket ${name}`);
  }
}

/** What S3 shows of a bucket name from our account. */
export type BucketLookup = { status: Unreachable } | { status: 'present'; tags: Record<string, string> };

/**
 * Look a bucket name up: HeadBucket (with `ExpectedBucketOwner` when the account is known: AWS then answers 403 for
 * another account's bucket), then its tags.
 *
 * @example await lookupBucket(s3, 'zilliz-byoc-demo-milvus-1a2b3c4d', '123456789012') // { status: 'absent' }
 */
export async function lookupBucket(s3: S3Client, name: string, accountId?: string): Promise<BucketLookup> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name, ...ownedBy(accountId) }));
  } catch (error) {
    const why = unreachable(error);
    if (why) return { status: why };
    throw translateAwsError(error, `look up S3 bucket ${name}`);
  }
  const tags = await readTags(s3, name, accountId);
  return typeof tags === 'string' ? { status: tags } : { status: 'present', tags };
}

/** Every bucket of the account ListBuckets shows for these filters, page by page. */
async function listOwnBuckets(s3: S3Client, filter: { Prefix?: string; BucketRegion?: string }): Promise<Bucket[]> {
  const all: Bucket[] = [];
  let ContinuationToken: string | undefined;
  try {
    do {
      const out = await s3.send(new ListBucketsCommand({ ...filter, MaxBuckets: 1000, ContinuationToken }));
      all.push(...(out.Buckets ?? []));
      ContinuationToken = out.ContinuationToken;
    } while (ContinuationToken);
  } catch (error) {
    throw translateAwsError(error, 'list the S3 buckets of the account');
  }
  return all;
}

/**
 * True when the account's ListBuckets shows the bucket: S3's own answer to "is it this account's?". We also send
 * `ExpectedBucketOwner` everywhere, which AWS enforces; this check is the one that also holds on endpoints that
 * ignore it (moto shows any account's bucket to HeadBucket and tag reads).
 */
async function listedInAccount(s3: S3Client, name: string): Promise<boolean> {
  return (await listOwnBuckets(s3, { Prefix: name })).some((b) => b.Name === name);
}

/** The bucket's region from GetBucketLocation (us-east-1 answers an empty constraint). */
async function bucketRegion(s3: S3Client, name: string, accountId?: string): Promise<string> {
  try {
    return regionOfLocation((await s3.send(new GetBucketLocationCommand({ Bucket: name, ...ownedBy(accountId) }))).LocationConstraint);
  } catch (error) {
    throw translateAwsError(error, `read the region of S3 bucket ${name}`);
  }
}

/**
 * True when the bucket holds no object, no object version and no delete marker (ListObjectVersions, one key);
 * endpoints without versioning support fall back to ListObjectsV2.
 */
async function isEmpty(s3: S3Client, name: string, accountId?: string): Promise<boolean> {
  try {
    const out = await s3.send(new ListObjectVersionsCommand({ Bucket: name, MaxKeys: 1, ...ownedBy(accountId) }));
    return (out.Versions?.length ?? 0) === 0 && (out.DeleteMarkers?.length ?? 0) === 0;
  } catch (error) {
    if (!['NotImplemented', 'MethodNotAllowed'].includes(awsErrorCode(error))) throw translateAwsError(error, `look into S3 bucket ${name}`);
  }
  try {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: name, MaxKeys: 1, ...ownedBy(accountId) }));
    return (out.KeyCount ?? out.Contents?.length ?? 0) === 0;
  } catch (error) {
    throw translateAwsError(error, `look into S3 bucket ${name}`);
  }
}

/**
 * Decide whose a present bucket is ({@link bucketVerdict}), reading only what the decision needs: the account
 * listing when it lacks our tag, and region and contents only for a candidate left by a lost CreateBucket answer.
 */
async function judge(s3: S3Client, name: string, tags: Record<string, string>, claimant: BucketClaimant, accountId?: string): Promise<{ verdict: BucketVerdict; facts: BucketFacts }> {
  const facts: BucketFacts = { name, tags, inAccount: true };
  if (tags[TAG_PROVISIONING_ID] === undefined) {
    facts.inAccount = await listedInAccount(s3, name);
    if (facts.inAccount && Object.keys(tags).length === 0 && name === claimant.derivedName) {
      facts.region = await bucketRegion(s3, name, accountId);
      if (facts.region === claimant.region) facts.empty = await isEmpty(s3, name, accountId);
    }
  }
  return { verdict: bucketVerdict(facts, claimant), facts };
}

// ---- create -------------------------------------------------------------------------------------

/** InvalidInputError naming `bucket.name`: why the name cannot be ours, and what to do. */
function nameRefused(config: ProvisioningConfig, reason: string, options: { cause?: unknown; inAccount?: boolean } = {}): InvalidInputError {
  const name = config.bucket.name;
  const fix =
    name === derivedBucketName(config)
      ? 'this is the default name, derived from the project name and a hash of account, region and provisioning ID ' +
        '(zilliz-byoc-<projectName>-milvus-<hash>); choose another with bucket.name, or provision under another provisioning ID'
      : options.inAccount
        ? 'if it is your bucket, set bucket.existing: true to use it as it is (it is then checked, never changed); otherwise choose another bucket.name. ' +
          '(If an earlier attempt of this provisioning created it and its answer was lost, it is empty: delete it and run the provisioning again.)'
        : 'choose another bucket.name';
  return new InvalidInputError([{ field: 'bucket.name', rule: `bucket "${name}" cannot be used: ${reason}; ${fix}` }], { cause: options.cause });
}

/**
 * CreateBucket in the config's region, with object ownership and our tags in the same call. True when S3 made it
 * now; false for `BucketAlreadyOwnedByYou` (this account has it already). Another account's name is refused.
 */
async function createNew(s3: S3Client, config: ProvisioningConfig): Promise<boolean> {
  const name = config.bucket.name;
  const constraint = locationConstraintFor(config.region);
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: name,
        ObjectOwnership: OBJECT_OWNERSHIP,
        CreateBucketConfiguration: {
          ...(constraint ? { LocationConstraint: constraint as BucketLocationConstraint } : {}),
          Tags: bucketTags(config),
        },
      }),
    );
    logger.info('created S3 bucket', { bucketName: name, region: config.region });
    return true;
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'BucketAlreadyOwnedByYou') return false;
    if (code === 'BucketAlreadyExists') {
      throw nameRefused(config, 'another AWS account owns it (S3 answered BucketAlreadyExists: bucket names are global across all accounts)', { cause: error });
    }
    if (code === 'InvalidBucketName') throw nameRefused(config, `S3 does not accept the name (${(error as Error).message})`, { cause: error });
    throw translateAwsError(error, `create S3 bucket ${name} in ${config.region}`);
  }
}

/** The bucket policy, parsed; undefined when it has none. */
async function readPolicy(s3: S3Client, name: string, accountId?: string): Promise<BucketPolicy | undefined> {
  try {
    return parseBucketPolicy((await s3.send(new GetBucketPolicyCommand({ Bucket: name, ...ownedBy(accountId) }))).Policy);
  } catch (error) {
    if (isNotFound(error, 'NoSuchBucketPolicy')) return undefined;
    throw error;
  }
}

/**
 * Put S1's settings on a bucket of ours: tags first (so that a bucket whose later calls fail is already findable
 * as ours), then public access block, object ownership, default encryption and the TLS-only policy statement.
 * Each PUT is idempotent; other tags and other policy statements are kept.
 */
async function applySettings(s3: S3Client, config: ProvisioningConfig, currentTags: Record<string, string>): Promise<void> {
  const name = config.bucket.name;
  const owner = ownedBy(config.accountId);
  try {
    await s3.send(new PutBucketTaggingCommand({ Bucket: name, ...owner, Tagging: { TagSet: mergedTags(currentTags, bucketTags(config)) } }));
    await s3.send(new PutPublicAccessBlockCommand({ Bucket: name, ...owner, PublicAccessBlockConfiguration: PUBLIC_ACCESS_BLOCK }));
    await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: name, ...owner, OwnershipControls: { Rules: [{ ObjectOwnership: OBJECT_OWNERSHIP }] } }));
    await s3.send(new PutBucketEncryptionCommand({ Bucket: name, ...owner, ServerSideEncryptionConfiguration: encryptionConfiguration(config.bucket) }));
    const policy = withTlsOnlyStatement(await readPolicy(s3, name, config.accountId), config.partition, name);
    if (policy) await s3.send(new PutBucketPolicyCommand({ Bucket: name, ...owner, Policy: JSON.stringify(policy) }));
  } catch (error) {
    // Right after CreateBucket, S3 may not show the new bucket to every call yet: retry the step, which finds it.
    if (isNotFound(error, 'NoSuchBucket')) throw new EventualConsistencyError(`S3 bucket ${name} is not visible yet`, { cause: error });
    throw translateAwsError(error, `apply the S1 settings to S3 bucket ${name}`);
  }
}

/** Apply the settings and describe the bucket for `$.bucket`. */
async function settle(s3: S3Client, config: ProvisioningConfig, currentTags: Record<string, string>, adopted: boolean): Promise<BucketState> {
  await applySettings(s3, config, currentTags);
  const name = config.bucket.name;
  return {
    bucketName: name,
    bucketArn: bucketArn(config.partition, name),
    region: config.region,
    managed: true,
    adopted,
    ...(config.bucket.kmsKeyArn ? { kmsKeyArn: config.bucket.kmsKeyArn } : {}),
  };
}

/**
 * S1 with `bucket.existing`: the customer's own bucket. Checks that it exists, belongs to the account (HeadBucket
 * with `ExpectedBucketOwner`, and the account's ListBuckets) and is in the provisioning's region
 * (GetBucketLocation). Never changes anything on it.
 *
 * @throws InvalidInputError naming `bucket.name`, with the reason and the fix.
 */
async function useExistingBucket(config: ProvisioningConfig, s3: S3Client): Promise<BucketState> {
  const name = config.bucket.name;
  const account = config.accountId;
  const refuse = (rule: string) => new InvalidInputError([{ field: 'bucket.name', rule: `existing bucket "${name}" cannot be used: ${rule}` }]);
  let found: Unreachable | 'present';
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name, ...ownedBy(account) }));
    found = 'present';
  } catch (error) {
    const why = unreachable(error);
    if (!why) throw translateAwsError(error, `look up S3 bucket ${name}`);
    found = why;
  }
  if (found === 'absent') throw refuse(`it does not exist; name a bucket of account ${account} in ${config.region}, or leave bucket.existing unset to have one created`);
  const foreign = `it does not belong to account ${account}, where the database runs (a BYOC bucket must be the customer account's own); name a bucket of account ${account}, or leave bucket.existing unset to have one created`;
  if (found === 'forbidden') throw refuse(`S3 refuses to show it to account ${account} (HTTP 403 with ExpectedBucketOwner=${account}): ${foreign}`);
  if (found === 'present' && !(await listedInAccount(s3, name))) throw refuse(foreign);
  let region: string | undefined;
  try {
    region = await bucketRegion(s3, name, account);
  } catch (error) {
    if (found !== 'elsewhere') throw error;
  }
  if (region !== config.region) {
    throw refuse(
      `it is in ${region ?? 'another region'}, the provisioning in ${config.region}, and the database needs its bucket in its own region; ` +
        `name a bucket in ${config.region}${region ? `, provision in ${region}` : ''}, or leave bucket.existing unset to have one created`,
    );
  }
  logger.info('using the existing S3 bucket as it is', { bucketName: name, region });
  return {
    bucketName: name,
    bucketArn: bucketArn(config.partition, name),
    region,
    managed: false,
    adopted: false,
    ...(config.bucket.kmsKeyArn ? { kmsKeyArn: config.bucket.kmsKeyArn } : {}),
  };
}

/**
 * S1: make the provisioning's bucket, or find the one it made, or check the customer's existing one.
 *
 * A new bucket is created in `config.region` (us-east-1 takes no LocationConstraint) with object ownership
 * `BucketOwnerEnforced` and our tags in the CreateBucket call itself, then gets all four public access blocks,
 * default encryption (SSE-S3, or SSE-KMS with `bucket.kmsKeyArn` and an S3 bucket key), a policy statement that
 * denies every `s3:*` without TLS, and the tags again. No versioning, no force-destroy. With `bucket.existing`
 * the customer's bucket is checked (exists, this account's, this region) and never changed: `managed: false`.
 *
 * **Idempotent.** The name is deterministic, so the step looks it up first (HeadBucket and the tags, with
 * `ExpectedBucketOwner` = the account) and applies {@link bucketVerdict}: a bucket carrying our provisioning-ID
 * tag is ours, its settings are applied again and it is returned (`adopted: true`); a name held by another
 * account (HeadBucket 403, or CreateBucket's `BucketAlreadyExists`) or by a bucket of the account that is not ours
 * is refused at once with `InvalidInputError` naming `bucket.name`, before anything is created.
 *
 * **A lost answer.** AWS applies the tags given to CreateBucket atomically, so a bucket whose CreateBucket answer
 * was lost already carries our tag, and the retry finds it like any other. Endpoints that ignore those tags (moto
 * 5.2; S3-compatible stores) leave a window between CreateBucket and PutBucketTagging in which the bucket exists
 * untagged. The retry adopts such a bucket only when all of these hold: it is listed by the account's ListBuckets
 * (not merely visible, as another account's bucket is on moto), it has no tag at all, it holds no object, version
 * or delete marker, it is in our region, and its name is exactly the default this provisioning derives (a hash of
 * account, region and provisioning ID, which no customer picks by chance; a customer who wants their own bucket
 * names it with `bucket.existing`). Then nothing can be lost by adopting it and it cannot be anyone else's.
 * A name the customer gave is never adopted untagged: on such endpoints a lost answer in that window fails the
 * step with `InvalidInputError` explaining how to recover, rather than risk taking over a customer's bucket.
 * `BucketAlreadyOwnedByYou` (a parallel attempt created it between our look-up and our create) looks again.
 *
 * @throws InvalidInputError naming `bucket.name` (name taken, not ours, wrong region, missing existing bucket).
 * @throws EventualConsistencyError when S3 does not show a bucket it says exists yet (the state machine retries).
 * @example const bucket = await createBucket(config, { s3: s3Client(targetOf(config)) }); // { bucketName, managed: true, ... }
 */
export async function createBucket(config: ProvisioningConfig, deps: { s3: S3Client }): Promise<BucketState> {
  const { s3 } = deps;
  if (config.bucket.existing) return useExistingBucket(config, s3);
  const name = config.bucket.name;
  const claimant: BucketClaimant = { provisioningId: config.provisioningId, region: config.region, derivedName: derivedBucketName(config) };

  for (let look = 1; look <= 2; look++) {
    const found = await lookupBucket(s3, name, config.accountId);
    if (found.status === 'absent') {
      if (await createNew(s3, config)) return settle(s3, config, {}, false);
      continue; // BucketAlreadyOwnedByYou: made between our look-up and our create; look again and decide
    }
    if (found.status === 'forbidden') {
      throw nameRefused(
        config,
        `S3 refuses to show it to account ${config.accountId} (HTTP 403 with ExpectedBucketOwner=${config.accountId}): another AWS account owns it, or the provisioner may not read it (s3:ListBucket)`,
      );
    }
    if (found.status !== 'present') throw nameRefused(config, `a bucket of that name exists in another region than ${config.region}`);

    const { verdict, facts } = await judge(s3, name, found.tags, claimant, config.accountId);
    if (verdict.kind === 'ours' || verdict.kind === 'lost-answer') {
      const region = facts.region ?? (await bucketRegion(s3, name, config.accountId));
      if (region !== config.region) {
        throw nameRefused(config, `provisioning ${config.provisioningId} already has this bucket, in ${region}; tear the provisioning down before asking for ${config.region}`);
      }
      logger.info(verdict.kind === 'ours' ? 'found S3 bucket of this provisioning' : 'adopting the untagged empty bucket a lost CreateBucket answer left', { bucketName: name });
      return settle(s3, config, found.tags, true);
    }
    if (!facts.inAccount && !verdict.otherProvisioning) {
      // Visible but not listed as the account's: another account's (AWS answers those 403 above; moto shows them), or
      // S3's listing lagging behind a bucket just made. CreateBucket tells which, and creates nothing in either case.
      if (await createNew(s3, config)) return settle(s3, config, {}, false); // it was deleted meanwhile: ours now
      throw new EventualConsistencyError(`S3 says bucket ${name} is this account's (BucketAlreadyOwnedByYou) but does not list it yet`);
    }
    throw nameRefused(config, verdict.reason, { inAccount: facts.inAccount });
  }
  throw new EventualConsistencyError(`S3 says bucket ${name} exists in this account but does not show it yet`);
}

// ---- preflight ----------------------------------------------------------------------------------

/**
 * Preflight (S1), read-only: can the provisioning use `config.bucket.name`? Undefined when it can (the name is free,
 * or the bucket is already this provisioning's, or, with `bucket.existing`, the customer's bucket passes the checks
 * CreateBucket makes); otherwise the problem naming `bucket.name`, with the same reason and fix CreateBucket would
 * fail with. Creates and changes nothing: the same look-ups as {@link createBucket}, without its create.
 *
 * @example await bucketNameProblem(config, { s3 }) // undefined, or { field: 'bucket.name', rule: 'bucket "x" cannot be used: ...' }
 */
export async function bucketNameProblem(config: ProvisioningConfig, deps: { s3: S3Client }): Promise<FieldProblem | undefined> {
  const { s3 } = deps;
  const problemOf = (error: unknown): FieldProblem | undefined => {
    if (error instanceof InvalidInputError) return error.problems.find((p) => p.field === 'bucket.name') ?? error.problems[0];
    throw error;
  };
  if (config.bucket.existing) {
    try {
      await useExistingBucket(config, s3);
      return undefined;
    } catch (error) {
      return problemOf(error);
    }
  }
  const name = config.bucket.name;
  const found = await lookupBucket(s3, name, config.accountId);
  if (found.status === 'absent') return undefined;
  if (found.status === 'forbidden') {
    return problemOf(nameRefused(config, `S3 refuses to show it to account ${config.accountId} (HTTP 403 with ExpectedBucketOwner=${config.accountId}): another AWS account owns it, or the provisioner may not read it (s3:ListBucket)`));
  }
  if (found.status !== 'present') return problemOf(nameRefused(config, `a bucket of that name exists in another region than ${config.region}`));
  const claimant: BucketClaimant = { provisioningId: config.provisioningId, region: config.region, derivedName: derivedBucketName(config) };
  const { verdict, facts } = await judge(s3, name, found.tags, claimant, config.accountId);
  if (verdict.kind === 'ours' || verdict.kind === 'lost-answer') return undefined;
  return problemOf(nameRefused(config, verdict.reason, { inAccount: facts.inAccount }));
}

// ---- delete -------------------------------------------------------------------------------------

/**
 * The buckets that carry this provisioning's ID tag, in the client's region. S3 cannot filter buckets by tag, so
 * this reads the tags of every bucket the account has in the region: the **slow path**, used only when no bucket
 * name is known (a teardown whose request and outputs were lost) and by the leftover sweep in that case.
 *
 * @example await findBucketsByTag(s3Client({ region: 'us-west-2' }), 'p-1') // ['zilliz-byoc-demo-milvus-1a2b3c4d']
 */
export async function findBucketsByTag(s3: S3Client, provisioningId: string): Promise<string[]> {
  const region = await s3.config.region();
  const names = (await listOwnBuckets(s3, { BucketRegion: region }))
    .filter((b) => !b.BucketRegion || b.BucketRegion === region)
    .map((b) => b.Name)
    .filter((n): n is string => Boolean(n));
  const ours: string[] = [];
  const BATCH = 8; // a few tag reads at once: fast enough for hundreds of buckets, far from S3's request rates
  for (let i = 0; i < names.length; i += BATCH) {
    const batch = names.slice(i, i + BATCH);
    const tags = await Promise.all(batch.map((name) => readTags(s3, name)));
    batch.forEach((name, j) => {
      const t = tags[j];
      if (typeof t !== 'string' && t[TAG_PROVISIONING_ID] === provisioningId) ours.push(name);
    });
  }
  return ours.sort();
}

/**
 * For the leftover sweep: which of these buckets still exist and carry our provisioning-ID tag, each with whether
 * it is empty. An empty one should have been deleted; one holding objects was kept on purpose (teardown never
 * deletes data). Buckets that are gone or not ours are left out.
 *
 * @example await bucketLeftovers(s3, ['zilliz-byoc-demo-milvus-1a2b3c4d'], 'p-1') // [{ bucketName: '...', empty: false }]
 */
export async function bucketLeftovers(s3: S3Client, names: string[], provisioningId: string): Promise<BucketLeftover[]> {
  const left: BucketLeftover[] = [];
  for (const name of new Set(names)) {
    const found = await lookupBucket(s3, name);
    if (found.status === 'present' && found.tags[TAG_PROVISIONING_ID] === provisioningId) left.push({ bucketName: name, empty: await isEmpty(s3, name) });
  }
  return left;
}

/** Delete one bucket if it is ours and empty; say what happened to it. */
async function deleteOne(s3: S3Client, state: BucketUndoState, name: string, result: DeleteBucketResult): Promise<void> {
  const { config } = state;
  const accountId = config.accountId;
  const found = await lookupBucket(s3, name, accountId);
  if (found.status === 'absent') {
    result.notFound.push(name);
    return;
  }
  if (found.status !== 'present') {
    logger.warn('S3 bucket is not reachable as ours; leaving it', { bucketName: name, status: found.status });
    result.leftForeign.push(name);
    return;
  }
  const claimant: BucketClaimant = { provisioningId: config.provisioningId, region: config.region, derivedName: derivedBucketName(config) };
  const { verdict, facts } = await judge(s3, name, found.tags, claimant, accountId);
  if (verdict.kind === 'not-ours') {
    logger.warn('S3 bucket is not ours; leaving it', { bucketName: name, reason: verdict.reason });
    result.leftForeign.push(name);
    return;
  }
  if (!(facts.empty ?? (await isEmpty(s3, name, accountId)))) {
    logger.warn('keeping S3 bucket of this provisioning: it holds objects', { bucketName: name });
    result.kept.push({ bucketName: name, reason: KEPT_REASON });
    return;
  }
  try {
    await s3.send(new DeleteBucketCommand({ Bucket: name, ...ownedBy(accountId) }));
    logger.info('deleted S3 bucket', { bucketName: name });
    result.deleted.push(name);
  } catch (error) {
    const code = awsErrorCode(error);
    if (code === 'NoSuchBucket' || code === 'NotFound') result.notFound.push(name); // a parallel teardown was quicker
    else if (code === 'BucketNotEmpty') result.kept.push({ bucketName: name, reason: KEPT_REASON }); // written to meanwhile
    else throw translateAwsError(error, `delete S3 bucket ${name}`);
  }
}

/**
 * Undo of CreateBucket, and the teardown's bucket step. Only a bucket of ours (our provisioning-ID tag, or the
 * untagged empty bucket a lost CreateBucket answer left under our derived name, by the rule of
 * {@link createBucket}) is ever deleted, and only when empty: **teardown never deletes data**. A bucket of ours
 * that holds any object, version or delete marker is kept and named in `kept` with the reason, and the step
 * succeeds. The customer's existing bucket (`$.bucket.managed: false`, or `bucket.existing`) and anyone else's
 * are left untouched (`leftForeign`). A bucket that is not there is `notFound`, never `deleted`.
 *
 * Which buckets: the one in `$.bucket` and the configured `bucket.name` (a rollback after a lost CreateBucket
 * answer has no `$.bucket`); with neither (a teardown that lost its state) those carrying our tag, found by
 * {@link findBucketsByTag} (the slow path).
 *
 * @example await deleteBucket(state, { s3 }) // { deleted: [], notFound: [], kept: [{ bucketName: 'b', reason: 'holds objects ...' }], leftForeign: [] }
 */
export async function deleteBucket(state: BucketUndoState, deps: { s3: S3Client }): Promise<DeleteBucketResult> {
  const { s3 } = deps;
  const { config } = state;
  const result: DeleteBucketResult = { deleted: [], notFound: [], kept: [], leftForeign: [] };
  const customers = new Set<string>();
  if (state.bucket?.bucketName && state.bucket.managed === false) customers.add(state.bucket.bucketName);
  if (config.bucket?.name && config.bucket.existing) customers.add(config.bucket.name);
  result.leftForeign.push(...customers);

  const known = [state.bucket?.bucketName, config.bucket?.name].filter((n): n is string => Boolean(n));
  const names = known.length > 0 ? known.filter((n) => !customers.has(n)) : await findBucketsByTag(s3, config.provisioningId);
  for (const name of new Set(names)) await deleteOne(s3, state, name, result);
  return result;
}

// ---- verify -------------------------------------------------------------------------------------

/** One read of a bucket setting: undefined when the bucket has none of it (S3's "not found" codes for settings). */
async function readSetting<T>(what: string, name: string, read: () => Promise<T>, noneCodes: string[]): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error, ...noneCodes)) return undefined;
    throw translateAwsError(error, `read the ${what} of S3 bucket ${name}`);
  }
}

/**
 * S1 read back from S3, as one check: for a bucket of ours its region, object ownership, public access block,
 * default encryption (and key, and bucket key), TLS-only policy statement and tags; for the customer's existing
 * bucket only that it is the account's and in the region (its settings are the customer's).
 *
 * @example const [s1] = await verifyBucket(config, state, { s3 }); // { id: 'S1', ok: true, detail: 'bucket ... ' }
 */
export async function verifyBucket(config: ProvisioningConfig, state: { bucket?: Pick<BucketState, 'bucketName'> }, deps: { s3: S3Client }): Promise<RequirementCheck[]> {
  const { s3 } = deps;
  const name = state.bucket?.bucketName ?? config.bucket.name;
  const owner = ownedBy(config.accountId);
  const account = config.accountId;
  const existing = config.bucket.existing;
  const elsewhereFix = existing
    ? `name a bucket of account ${account} in ${config.region} in bucket.name, or leave bucket.existing unset to have one created`
    : 'run the provisioning again: CreateBucket creates the bucket, or refuses the name with the reason';
  const fail = (problems: string[], fix: string): RequirementCheck[] => [failed('S1', `bucket ${name}: ${problems.join('; ')}`, fix)];

  const found = await lookupBucket(s3, name, account);
  if (found.status === 'absent') return fail(['does not exist'], elsewhereFix);
  if (found.status === 'forbidden') return fail([`S3 refuses to show it to account ${account} (HTTP 403 with ExpectedBucketOwner=${account})`], elsewhereFix);
  const problems: string[] = [];
  if (!(await listedInAccount(s3, name))) problems.push(`is not listed by account ${account}: another account owns it`);
  const region = found.status === 'elsewhere' ? undefined : await bucketRegion(s3, name, account);
  if (region !== config.region) problems.push(`is in ${region ?? 'another region'}, expected ${config.region}`);
  if (problems.length > 0 || found.status !== 'present') return fail(problems, elsewhereFix);
  if (existing) return [passed('S1', `existing bucket ${name} belongs to account ${account} and is in ${config.region} (used as it is; its settings are the customer's)`)];

  const ownership = await readSetting('ownership controls', name, async () => (await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: name, ...owner }))).OwnershipControls, ['OwnershipControlsNotFoundError']);
  const rules = ownership?.Rules ?? [];
  if (rules.length !== 1 || rules[0].ObjectOwnership !== OBJECT_OWNERSHIP) problems.push(`object ownership is ${rules.map((r) => r.ObjectOwnership).join(', ') || 'not set'}, expected ${OBJECT_OWNERSHIP}`);

  const block = await readSetting('public access block', name, async () => (await s3.send(new GetPublicAccessBlockCommand({ Bucket: name, ...owner }))).PublicAccessBlockConfiguration, ['NoSuchPublicAccessBlockConfiguration']);
  problems.push(...publicAccessProblems(block).map((p) => `public access block: ${p}`));

  const encryption = await readSetting('default encryption', name, async () => (await s3.send(new GetBucketEncryptionCommand({ Bucket: name, ...owner }))).ServerSideEncryptionConfiguration, ['ServerSideEncryptionConfigurationNotFoundError']);
  problems.push(...encryptionProblems(encryption, config.bucket));

  const policy = await readSetting('policy', name, () => readPolicy(s3, name, config.accountId), ['NoSuchBucketPolicy']);
  if (!hasTlsOnlyStatement(policy, config.partition, name)) problems.push('its policy does not deny s3:* on the bucket and its objects when aws:SecureTransport is false');

  problems.push(...tagProblems(found.tags, bucketTags(config)));

  if (problems.length > 0) {
    return fail(problems, 'run the provisioning again: CreateBucket re-applies the S1 settings to a bucket of this provisioning (other tags and policy statements are kept)');
  }
  const encryptionText = config.bucket.kmsKeyArn ? `SSE-KMS with ${config.bucket.kmsKeyArn} and a bucket key` : 'SSE-S3';
  return [passed('S1', `bucket ${name} in ${config.region}: ${OBJECT_OWNERSHIP}, all public access blocked, ${encryptionText}, TLS-only policy, tagged`)];
}
