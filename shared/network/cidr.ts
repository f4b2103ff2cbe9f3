/**
 * V2, V3: the address plan. From a /16, one public /24 and three private /18s, as in the guide's example for
 * 10.0.0.0/16 (public 10.0.0.0/24; private 10.0.64.0/18, 10.0.128.0/18, 10.0.192.0/18), shifted to any /16.
 * The first /18 (x.y.0.0/18) holds the public /24 and is otherwise left free.
 */

export interface SubnetPlan {
  vpcCidr: string;
  publicSubnetCidr: string;
  privateSubnetCidrs: [string, string, string];
}

/** Private IPv4 ranges a VPC CIDR must lie in: RFC 1918 and the RFC 6598 shared range AWS also accepts. */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'] as const;

/** Parse `a.b.c.d/n` into a 32-bit number and a prefix length; undefined when it is not an IPv4 CIDR. */
export function parseCidr(cidr: string): { base: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  return { base, prefix };
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** True when CIDR `inner` lies wholly inside CIDR `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i || i.prefix < o.prefix) return false;
  return ((i.base & maskOf(o.prefix)) >>> 0) === ((o.base & maskOf(o.prefix)) >>> 0);
}

/** True when two CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/**
 * Why a VPC CIDR is not acceptable, or undefined when it is. Rules: IPv4 (V2), a /16 (V2), host bits zero,
 * inside a private range.
 */
export function vpcCidrProblem(cidr: string): string | undefined {
  const parsed = parseCidr(cidr);
  if (!parsed) return `must be an IPv4 CIDR block such as 10.0.0.0/16 (IPv4 only, V2); got "${cidr}"`;
  if (parsed.prefix !== 16) return `must use a /16 netmask (V2); got /${parsed.prefix}`;
  const network = (parsed.base & maskOf(16)) >>> 0;
  if (network !== parsed.base) return `host bits must be zero: did you mean ${formatIp(network)}/16?`;
  if (!PRIVATE_RANGES.some((range) => cidrContains(range, cidr))) {
    return `must lie in a private range (${PRIVATE_RANGES.join(', ')}); ${cidr} is public address space`;
  }
  return undefined;
}

/**
 * Plan the subnets of a /16 (V3).
 * @throws Error when the CIDR is not a valid VPC CIDR (callers validate first with {@link vpcCidrProblem}).
 * @example planSubnets('10.1.0.0/16').privateSubnetCidrs // ['10.1.64.0/18', '10.1.128.0/18', '10.1.192.0/18']
 */
export function planSubnets(vpcCidr: string): SubnetPlan {
  const problem = vpcCidrProblem(vpcCidr);
  if (problem) throw new Error(`network.vpcCidr ${problem}`);
  const base = parseCidr(vpcCidr)!.base;
  const at = (offset: number, prefix: number) => `${formatIp((base + offset) >>> 0)}/${prefix}`;
  return {
    vpcCidr,
    publicSubnetCidr: at(0, 24),
    privateSubnetCidrs: [at(64 << 8, 18), at(128 << 8, 18), at(192 << 8, 18)],
  };
}
