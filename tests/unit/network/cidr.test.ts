import fc from 'fast-check';
import { cidrContains, cidrsOverlap, formatIp, parseCidr, planSubnets, vpcCidrProblem } from '../../../shared/network/cidr';

/** Any valid VPC /16: inside one of the private ranges AWS accepts, host bits zero. */
const validVpcCidr = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((b) => `10.${b}.0.0/16`),
  fc.integer({ min: 16, max: 31 }).map((b) => `172.${b}.0.0/16`),
  fc.constant('192.168.0.0/16'),
  fc.integer({ min: 64, max: 127 }).map((b) => `100.${b}.0.0/16`),
);

const isPrivate = (a: number, b: number) => a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);

describe('the address plan (V2, V3)', () => {
  it('plans the guide\'s example layout for 10.0.0.0/16', () => {
    expect(planSubnets('10.0.0.0/16')).toEqual({
      vpcCidr: '10.0.0.0/16',
      publicSubnetCidr: '10.0.0.0/24',
      privateSubnetCidrs: ['10.0.64.0/18', '10.0.128.0/18', '10.0.192.0/18'],
    });
  });

  it('for any valid /16: one public /24 and three private /18s, all inside the VPC, none overlapping (property)', () => {
    fc.assert(
      fc.property(validVpcCidr, (vpcCidr) => {
        expect(vpcCidrProblem(vpcCidr)).toBeUndefined();
        const plan = planSubnets(vpcCidr);
        const all = [plan.publicSubnetCidr, ...plan.privateSubnetCidrs];
        expect(parseCidr(plan.publicSubnetCidr)?.prefix).toBe(24);
        expect(plan.privateSubnetCidrs.map((c) => parseCidr(c)?.prefix)).toEqual([18, 18, 18]);
        for (const cidr of all) expect(cidrContains(vpcCidr, cidr)).toBe(true);
        all.forEach((a, i) => all.slice(i + 1).forEach((b) => expect([a, b, cidrsOverlap(a, b)]).toEqual([a, b, false])));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects public address space with a reason (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 223 }),
        fc.integer({ min: 0, max: 255 }),
        (a, b) => {
          fc.pre(!isPrivate(a, b));
          const cidr = `${a}.${b}.0.0/16`;
          expect(vpcCidrProblem(cidr)).toMatch(/must lie in a private range .* is public address space/);
          expect(() => planSubnets(cidr)).toThrow(/public address space/);
        },
      ),
    );
  });

  it('rejects any prefix other than /16 with a reason (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 }), (prefix) => {
        fc.pre(prefix !== 16);
        expect(vpcCidrProblem(`10.0.0.0/${prefix}`)).toBe(`must use a /16 netmask (V2); got /${prefix}`);
      }),
    );
  });

  it('rejects a /16 with host bits set, suggesting the network address (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (b, c, d) => {
        fc.pre(c !== 0 || d !== 0);
        expect(vpcCidrProblem(`10.${b}.${c}.${d}/16`)).toBe(`host bits must be zero: did you mean 10.${b}.0.0/16?`);
      }),
    );
  });

  it('rejects IPv6 blocks: IPv4 only (V2)', () => {
    for (const cidr of ['fd00::/16', '2001:db8::/32', '::/0']) expect(vpcCidrProblem(cidr)).toMatch(/IPv4 only, V2/);
  });

  it('rejects garbage with a reason, and never throws while judging it (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.test(text));
        expect(vpcCidrProblem(text)).toBe(`must be an IPv4 CIDR block such as 10.0.0.0/16 (IPv4 only, V2); got "${text}"`);
      }),
    );
    for (const cidr of ['10.0.0.0', '10.0.0/16', '256.0.0.0/16', '10.0.0.0/33', ' 10.0.0.0/16', '10.0.0.0/16 ']) expect(vpcCidrProblem(cidr)).toBeDefined();
  });

  it('parses and formats IPv4 addresses as inverses (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (n, prefix) => {
        expect(parseCidr(`${formatIp(n)}/${prefix}`)).toEqual({ base: n, prefix });
      }),
    );
  });

  it('containment and overlap agree: a CIDR overlaps exactly the CIDRs it contains or that contain it (property)', () => {
    const cidr = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 8, max: 28 })).map(([n, p]) => `${formatIp(n)}/${p}`);
    fc.assert(
      fc.property(cidr, cidr, (a, b) => {
        expect(cidrsOverlap(a, b)).toBe(cidrsOverlap(b, a));
        if (cidrContains(a, b)) expect(cidrsOverlap(a, b)).toBe(true);
        expect(cidrContains(a, a)).toBe(true);
      }),
    );
  });
});
