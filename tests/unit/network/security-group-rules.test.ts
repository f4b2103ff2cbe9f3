import type { SecurityGroupRule } from '@aws-sdk/client-ec2';
import { compareRules, isDefaultEgressRule, isHttpsRule, matchesRule, planRuleChanges, wantedRules, type RuleSettings } from '../../../shared/network/security-group';

const GROUP = 'sg-0123456789abcdef0';
const VPC_CIDR = '10.0.0.0/16';
const rule = (r: Partial<SecurityGroupRule>): SecurityGroupRule => ({ SecurityGroupRuleId: `sgr-${Math.random().toString(16).slice(2, 10)}`, GroupId: GROUP, ...r });
const https = (egress: boolean, cidr: string) => rule({ IsEgress: egress, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: cidr });
const allTo = (egress: boolean, cidr: string) => rule({ IsEgress: egress, IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv4: cidr });
const allSelf = (egress: boolean) => rule({ IsEgress: egress, IpProtocol: '-1', FromPort: -1, ToPort: -1, ReferencedGroupInfo: { GroupId: GROUP, UserId: '123456789012' } });
const defaultEgress = allTo(true, '0.0.0.0/0');

const anywhere = { ingressCidrs: ['0.0.0.0/0'], egressCidrs: ['0.0.0.0/0'], vpcCidr: VPC_CIDR };
const byDefault: RuleSettings = { ...anywhere, strict: false };
const strict: RuleSettings = { ...anywhere, strict: true };
const ME = 'p-1';
const notYet = { baselineApplied: false, provisioningId: ME };
const done = { baselineApplied: true, provisioningId: ME };
/** A rule as CreateSecurityGroup authorizes it: tagged with a provisioning's ID as a security-group rule. */
const taggedBy = (r: SecurityGroupRule, provisioningId = ME): SecurityGroupRule => ({
  ...r,
  Tags: [{ Key: 'byoc:provisioning-id', Value: provisioningId }, { Key: 'byoc:resource', Value: 'security-group-rule' }],
});

/** The whole default group as CreateSecurityGroup leaves it. */
const defaultGroup = () => [https(false, '0.0.0.0/0'), https(true, '0.0.0.0/0'), allTo(false, VPC_CIDR), allSelf(false), allTo(true, VPC_CIDR), allSelf(true)];

describe('V7: the security group rules we want', () => {
  it('by default: 443 in and out, and all traffic in from and out to the VPC CIDR and the group itself (as the vendor\'s Terraform)', () => {
    expect(wantedRules(byDefault)).toEqual([
      { egress: false, traffic: 'https', peer: '0.0.0.0/0' },
      { egress: true, traffic: 'https', peer: '0.0.0.0/0' },
      { egress: false, traffic: 'all', peer: VPC_CIDR },
      { egress: false, traffic: 'all', peer: 'self' },
      { egress: true, traffic: 'all', peer: VPC_CIDR },
      { egress: true, traffic: 'all', peer: 'self' },
    ]);
  });

  it('strict: TCP 443 only, one rule per given CIDR', () => {
    expect(wantedRules({ ingressCidrs: ['10.1.0.0/16', '192.168.0.0/24'], egressCidrs: ['10.0.0.0/8'], strict: true, vpcCidr: VPC_CIDR })).toEqual([
      { egress: false, traffic: 'https', peer: '10.1.0.0/16' },
      { egress: false, traffic: 'https', peer: '192.168.0.0/24' },
      { egress: true, traffic: 'https', peer: '10.0.0.0/8' },
    ]);
  });

  it('matches only the exact rule: direction, protocol and port, and a CIDR or a reference to this very group', () => {
    const selfIn = { egress: false, traffic: 'all', peer: 'self' } as const;
    const vpcIn = { egress: false, traffic: 'all', peer: VPC_CIDR } as const;
    expect(matchesRule(allSelf(false), selfIn, GROUP)).toBe(true);
    expect(matchesRule(allSelf(true), selfIn, GROUP)).toBe(false);
    expect(matchesRule(rule({ IsEgress: false, IpProtocol: '-1', ReferencedGroupInfo: { GroupId: 'sg-other' } }), selfIn, GROUP)).toBe(false);
    expect(matchesRule(allTo(false, VPC_CIDR), vpcIn, GROUP)).toBe(true);
    expect(matchesRule(rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, CidrIpv4: VPC_CIDR }), vpcIn, GROUP)).toBe(false);
    expect(matchesRule(https(false, VPC_CIDR), vpcIn, GROUP)).toBe(false);
  });

  it('tells EC2\'s default allow-all egress rule apart from rules that look like it', () => {
    expect(isDefaultEgressRule(defaultEgress)).toBe(true);
    expect([allTo(false, '0.0.0.0/0'), allTo(true, VPC_CIDR), https(true, '0.0.0.0/0'), allSelf(true)].map(isDefaultEgressRule)).toEqual([false, false, false, false]);
  });

  it('isHttpsRule: exactly TCP 443 to or from an IPv4 CIDR', () => {
    const near = [
      rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 443, ToPort: 444, CidrIpv4: '0.0.0.0/0' }),
      rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv6: '::/0' }),
      rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, ReferencedGroupInfo: { GroupId: 'sg-other' } }),
      rule({ IsEgress: false, IpProtocol: 'udp', FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0' }),
    ];
    expect(near.map(isHttpsRule)).toEqual([false, false, false, false]);
    expect(isHttpsRule(https(true, '10.0.0.0/8'))).toBe(true);
  });
});

describe('V7: the plan adds what is missing and revokes only our own rules that are no longer wanted (and EC2\'s default egress during our first setup)', () => {
  it('a new group (default): revoke EC2\'s default egress, add all six rules', () => {
    expect(planRuleChanges([defaultEgress], byDefault, GROUP, notYet)).toEqual({ revokeDefaultEgress: true, authorize: wantedRules(byDefault), revoke: [] });
  });

  it('a new group (strict): revoke EC2\'s default egress, add 443 in and out', () => {
    expect(planRuleChanges([defaultEgress], strict, GROUP, notYet)).toEqual({ revokeDefaultEgress: true, authorize: wantedRules(strict), revoke: [] });
  });

  it('a retry of the first setup after a lost answer: the default egress is still revoked (a no-op if gone), only the missing rules added', () => {
    const half = [https(false, '0.0.0.0/0'), https(true, '0.0.0.0/0')];
    expect(planRuleChanges(half, byDefault, GROUP, notYet)).toEqual({ revokeDefaultEgress: true, authorize: wantedRules(byDefault).slice(2), revoke: [] });
  });

  it('a re-run once the baseline is set: nothing to do, whatever else is on the group', () => {
    const added = [rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '0.0.0.0/0' }), rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 80, ToPort: 80, ReferencedGroupInfo: { GroupId: 'sg-alb' } })];
    expect(planRuleChanges([...defaultGroup(), ...added], byDefault, GROUP, done)).toEqual({ revokeDefaultEgress: false, authorize: [], revoke: [] });
  });

  it('never revokes after the baseline, not even an allow-all egress someone added back', () => {
    expect(planRuleChanges([...defaultGroup(), defaultEgress], byDefault, GROUP, done).revokeDefaultEgress).toBe(false);
  });

  it('adds back a rule of ours that someone removed, and keeps the rest', () => {
    const group = defaultGroup().filter((r) => !(r.IsEgress && r.ReferencedGroupInfo));
    expect(planRuleChanges(group, byDefault, GROUP, done)).toEqual({ revokeDefaultEgress: false, authorize: [{ egress: true, traffic: 'all', peer: 'self' }], revoke: [] });
  });

  it('adds a rule for a newly given CIDR and keeps the one no longer given (it may be someone else\'s)', () => {
    const plan = planRuleChanges([https(false, '0.0.0.0/0'), https(true, '10.0.0.0/8')], { ingressCidrs: ['10.1.0.0/16'], egressCidrs: ['10.0.0.0/8'], strict: true, vpcCidr: VPC_CIDR }, GROUP, done);
    expect(plan).toEqual({ revokeDefaultEgress: false, authorize: [{ egress: false, traffic: 'https', peer: '10.1.0.0/16' }], revoke: [] });
  });

  it('update: a CIDR removed from the request revokes our rule for it (tagged by us), after the new one is planned', () => {
    const old = taggedBy(https(false, '0.0.0.0/0'));
    const plan = planRuleChanges([old, taggedBy(https(true, '0.0.0.0/0'))], { ...strict, ingressCidrs: ['10.1.0.0/16'] }, GROUP, done);
    expect(plan).toEqual({ revokeDefaultEgress: false, authorize: [{ egress: false, traffic: 'https', peer: '10.1.0.0/16' }], revoke: [old] });
  });

  it('update: strict turned on revokes our four within-VPC rules and keeps the 443 ones', () => {
    const ours = defaultGroup().map((r) => taggedBy(r));
    const plan = planRuleChanges(ours, strict, GROUP, done);
    expect(plan.authorize).toEqual([]);
    expect(plan.revoke.map((r) => [r.IsEgress, r.IpProtocol, r.CidrIpv4 ?? 'self'])).toEqual([
      [false, '-1', VPC_CIDR],
      [false, '-1', 'self'],
      [true, '-1', VPC_CIDR],
      [true, '-1', 'self'],
    ]);
  });

  it('never revokes a rule that is not ours: untagged (added by hand) or tagged by another provisioning, even when it matches what we dropped', () => {
    const byHand = https(false, '0.0.0.0/0');
    const others = taggedBy(https(false, '192.168.0.0/24'), 'p-other');
    const half = { ...taggedBy(https(false, '172.16.0.0/12')), Tags: [{ Key: 'byoc:provisioning-id', Value: ME }] }; // not marked as a rule of ours
    expect(planRuleChanges([byHand, others, half], { ...strict, ingressCidrs: ['10.1.0.0/16'] }, GROUP, done).revoke).toEqual([]);
  });

  it('does not take a broader rule for ours: an allow-all from 0.0.0.0/0 does not stand in for 443 from 0.0.0.0/0', () => {
    expect(planRuleChanges([allTo(false, '0.0.0.0/0'), https(true, '0.0.0.0/0')], strict, GROUP, done).authorize).toEqual([{ egress: false, traffic: 'https', peer: '0.0.0.0/0' }]);
  });
});

describe('V7: comparing a group with the plan (what Verify reports)', () => {
  it('the default group has nothing missing and nothing extra', () => {
    expect(compareRules(defaultGroup(), byDefault, GROUP)).toEqual({ missing: [], extra: [] });
  });

  it('against strict, the within-VPC rules are extra', () => {
    const { missing, extra } = compareRules(defaultGroup(), strict, GROUP);
    expect(missing).toEqual([]);
    expect(extra).toHaveLength(4);
  });
});
