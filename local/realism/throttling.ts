import type { BucketLimit, RealismProfile, ThrottledService } from './profiles';

/** Read calls, which AWS meters apart from the ones that change something (S3's HeadBucket / HeadObject too). */
export const isReadOperation = (operation: string): boolean => /^(Describe|Get|List|Head)/.test(operation);

/**
 * AWS's token buckets, on the simulated clock: a bucket refills `refillPerSecond` per AWS second, which is
 * `timeScale` times faster in wall time. So a workload compressed 100x in time meets the same limits per unit of
 * work as on AWS - N concurrent provisionings here are throttled like N concurrent provisionings there.
 */
export class Throttler {
  private readonly buckets = new Map<string, { tokens: number; at: number; limit: BucketLimit }>();

  constructor(
    private readonly profile: RealismProfile,
    private readonly now: () => number,
  ) {}

  /**
   * Take a token for one attempt of `operation`. Returns the name of the empty bucket when the attempt is
   * throttled (nothing is taken then), undefined when it may go ahead.
   */
  take(service: string, operation: string): string | undefined {
    const config = this.profile.throttling ? this.profile.throttling[service as ThrottledService] : undefined;
    if (!config) return undefined;
    const family = isReadOperation(operation) ? 'read' : 'write';
    const own = config.operations?.[operation];
    const wanted: [string, BucketLimit][] = [
      config.perOperation || own ? [`${service}:${operation}`, own ?? config[family]] : [`${service}:${family}`, config[family]],
    ];
    if (config.account) wanted.push([`${service}:account`, config.account]);

    const now = this.now();
    const buckets = wanted.map(([key, limit]) => this.refilled(key, limit, now));
    // The epsilon keeps float sums of refills (0.9 + 0.1) from being a hair short of a token.
    const empty = buckets.findIndex((b) => b.tokens < 1 - 1e-9);
    if (empty >= 0) return wanted[empty][0];
    for (const b of buckets) b.tokens -= 1;
    return undefined;
  }

  private refilled(key: string, limit: BucketLimit, now: number) {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: limit.capacity, at: now, limit };
      this.buckets.set(key, bucket);
    }
    const awsSeconds = ((now - bucket.at) / 1000) * (Number.isFinite(this.profile.timeScale) ? this.profile.timeScale : 1e9);
    bucket.tokens = Math.min(limit.capacity, bucket.tokens + awsSeconds * limit.refillPerSecond);
    bucket.at = now;
    return bucket;
  }
}
