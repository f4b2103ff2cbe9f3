import type { ProvisioningConfig, TargetConfig } from '../config';

/** `$.bucket`, written by CreateBucket (S1). */
export interface BucketState {
  bucketName: string;
  bucketArn: string;
  /** The bucket's region as S3 reports it. */
  region: string;
  /**
   * True when the bucket is ours (created by this provisioning, or found carrying our provisioning-ID tag after a
   * lost answer); false for the customer's existing bucket (`bucket.existing`), which we never modify or delete.
   */
  managed: boolean;
  /**
   * True when CreateBucket found the bucket an earlier attempt of this provisioning made (a retried step, or a
   * CreateBucket whose answer was lost) instead of creating it now; always false for an existing bucket.
   */
  adopted: boolean;
  /** The KMS key of SSE-KMS, when `bucket.kmsKeyArn` is configured (S2 lets the storage role use it). */
  kmsKeyArn?: string;
}

/** What CreateBucket reads. */
export interface BucketStepState {
  config: ProvisioningConfig;
  bucket?: BucketState;
}

/**
 * What DeleteBucket reads: the provisioning's config during a rollback (all fields), or the teardown's config
 * (who and where, and the bucket name when known: no account, no project name), plus `$.bucket` if any.
 */
export interface BucketUndoState {
  config: TargetConfig &
    Partial<Pick<ProvisioningConfig, 'accountId' | 'projectName'>> & {
      bucket?: { name?: string; existing?: boolean };
    };
  bucket?: Partial<BucketState>;
}

/** What DeleteBucket did. Teardown never deletes data: a bucket with objects is kept and named in `kept`. */
export interface DeleteBucketResult {
  /** Buckets of ours deleted now. */
  deleted: string[];
  /** Buckets that were not there (already gone, or never made). */
  notFound: string[];
  /** Buckets of ours kept because they hold objects, with why. */
  kept: { bucketName: string; reason: string }[];
  /** Buckets not ours (the customer's existing one, or someone else's): left untouched. */
  leftForeign: string[];
}

/** A bucket of ours that still exists, for the leftover sweep: `empty: false` means kept on purpose (it holds data). */
export interface BucketLeftover {
  bucketName: string;
  empty: boolean;
}
