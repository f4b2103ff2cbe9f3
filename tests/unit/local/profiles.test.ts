import { PROFILES, resolveProfile, scaledMs, UnknownProfileError } from '../../../local/realism/profiles';
import { randomStreams, seededRandom } from '../../../local/realism/random';
import { Throttler } from '../../../local/realism/throttling';

describe('realism profiles', () => {
  it('instant adds nothing and never waits', () => {
    const p = resolveProfile('instant');
    expect(p).toMatchObject({ timeScale: Infinity, readiness: false, consistency: false, throttling: false, idempotencyTokens: false, dependencies: false, faults: '' });
    expect(scaledMs(120, p.timeScale)).toBe(0);
  });

  it('realistic runs AWS durations 100 times faster, with throttling, consistency, tokens and dependencies', () => {
    const p = resolveProfile('realistic');
    expect(p.timeScale).toBe(100);
    expect(p.readiness && p.readiness.natGatewayAvailable).toEqual([60, 120]);
    expect(scaledMs(120, p.timeScale)).toBe(1200);
    expect(p.throttling && p.throttling.ec2).toMatchObject({ read: { capacity: 100, refillPerSecond: 20 } });
    expect(p).toMatchObject({ idempotencyTokens: true, dependencies: true, faults: '' });
  });

  it('chaos is realistic plus random faults', () => {
    const p = resolveProfile('chaos');
    expect({ ...p, name: 'x', faults: '' }).toEqual({ ...PROFILES.realistic, name: 'x' });
    expect(p.faults).toContain('lose-response');
  });

  it('applies overrides on top of a profile, section by section', () => {
    const p = resolveProfile('realistic', { timeScale: 1000, consistency: false, readiness: { natGatewayAvailable: [1, 2] }, throttling: { ec2: { read: { capacity: 5, refillPerSecond: 1 } } } });
    expect(p.timeScale).toBe(1000);
    expect(p.consistency).toBe(false);
    expect(p.readiness && p.readiness.natGatewayAvailable).toEqual([1, 2]);
    expect(p.readiness && p.readiness.route53InSync).toEqual([30, 60]);
    expect(p.throttling && p.throttling.ec2).toMatchObject({ perOperation: true, read: { capacity: 5, refillPerSecond: 1 }, write: { capacity: 50 } });
    expect(p.throttling && p.throttling.iam).toBeDefined();
  });

  it('turns a section on from the instant profile with realistic defaults for the rest', () => {
    const p = resolveProfile('instant', { readiness: { natGatewayAvailable: [10, 10] }, timeScale: 10 });
    expect(p.readiness && p.readiness.vpcEndpointAvailable).toEqual([60, 180]);
  });

  it('refuses an unknown profile, listing the known ones', () => {
    expect(() => resolveProfile('slow')).toThrow(UnknownProfileError);
    expect(() => resolveProfile('slow')).toThrow('choose one of instant, realistic, chaos');
  });

  it('refuses a bad override with what is wrong', () => {
    expect(() => resolveProfile('realistic', { timeScale: 0 })).toThrow('timeScale must be a positive number');
    expect(() => resolveProfile('realistic', { readiness: { natGatewayAvailable: [5, 1] } })).toThrow('readiness.natGatewayAvailable must be [min, max]');
    expect(() => resolveProfile('realistic', { faults: 'CreateVpc:boom' })).toThrow('faults: fault entry 1');
    expect(() => resolveProfile('realistic', { throttling: { iam: { write: { capacity: 0, refillPerSecond: 1 } } } })).toThrow('throttling.iam.write');
  });
});

describe('the seeded random source', () => {
  it('replays the same sequence for the same seed, and another for another seed', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    for (const x of draw(7)) expect(x >= 0 && x < 1).toBe(true);
  });

  it('keeps fault draws independent of duration draws', () => {
    const a = randomStreams(9);
    const b = randomStreams(9);
    b.durations();
    b.durations();
    expect([a.faults(), a.faults()]).toEqual([b.faults(), b.faults()]);
  });
});

describe('throttling buckets', () => {
  const clock = { t: 0, now: () => clock.t };

  it('lets a bucket full of requests through, then throttles, and refills on the simulated clock', () => {
    clock.t = 0;
    const profile = resolveProfile('realistic', { timeScale: 100, throttling: { ec2: { read: { capacity: 3, refillPerSecond: 1 } } } });
    const throttler = new Throttler(profile, clock.now);
    expect([1, 2, 3].map(() => throttler.take('ec2', 'DescribeVpcs'))).toEqual([undefined, undefined, undefined]);
    expect(throttler.take('ec2', 'DescribeVpcs')).toBe('ec2:DescribeVpcs');
    // EC2 meters each API on its own: another operation still has its tokens.
    expect(throttler.take('ec2', 'DescribeSubnets')).toBeUndefined();
    clock.t += 9; // 0.9 AWS seconds: not yet a whole token
    expect(throttler.take('ec2', 'DescribeVpcs')).toBe('ec2:DescribeVpcs');
    clock.t += 1; // 1 AWS second in all: one token
    expect(throttler.take('ec2', 'DescribeVpcs')).toBeUndefined();
    expect(throttler.take('ec2', 'DescribeVpcs')).toBe('ec2:DescribeVpcs');
  });

  it('meters Route 53 on an account-wide bucket as well as per operation', () => {
    clock.t = 0;
    const profile = resolveProfile('realistic', { throttling: { route53: { account: { capacity: 2, refillPerSecond: 1 } } } });
    const throttler = new Throttler(profile, clock.now);
    expect(throttler.take('route53', 'GetChange')).toBeUndefined();
    expect(throttler.take('route53', 'ListHostedZones')).toBeUndefined();
    expect(throttler.take('route53', 'GetHostedZone')).toBe('route53:account');
  });

  it('meters S3 (S1) on one read and one write bucket for the account, HeadBucket being a read, at S3\'s documented rates by default', () => {
    clock.t = 0;
    expect(resolveProfile('realistic').throttling).toMatchObject({ s3: { perOperation: false, read: { capacity: 5500 }, write: { capacity: 3500 } } });
    const profile = resolveProfile('realistic', { throttling: { s3: { read: { capacity: 2, refillPerSecond: 1 } } } });
    const throttler = new Throttler(profile, clock.now);
    expect(throttler.take('s3', 'HeadBucket')).toBeUndefined();
    expect(throttler.take('s3', 'GetBucketTagging')).toBeUndefined();
    expect(throttler.take('s3', 'ListBuckets')).toBe('s3:read');
    expect(throttler.take('s3', 'PutBucketTagging')).toBeUndefined(); // writes have their own bucket
  });

  it('never throttles a service without buckets, nor any service when throttling is off', () => {
    const off = new Throttler(resolveProfile('realistic', { throttling: false }), clock.now);
    const sts = new Throttler(resolveProfile('realistic'), clock.now);
    for (let i = 0; i < 200; i++) {
      expect(off.take('ec2', 'DescribeVpcs')).toBeUndefined();
      expect(sts.take('sts', 'GetCallerIdentity')).toBeUndefined();
    }
  });
});
