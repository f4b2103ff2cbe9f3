import type { SecurityGroupRule } from '@aws-sdk/client-ec2';
import { isHttpsRule, planRuleChanges } from '../../../shared/network/security-group';

const rule = (r: Partial<SecurityGroupRule>): SecurityGroupRule => ({ SecurityGroupRuleId: `sgr-${Math.random().toString(16).slice(2, 10)}`, ...r });
const https = (egress: boolean, cidr: string) => rule({ IsEgress: egress, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: cidr });
const allowAllEgress = rule({ IsEgress: true, IpProtocol: '-1', FromPort: -1, ToPort: -1, CidrIpv4: '0.0.0.0/0' });

describe('V7: the security group rule plan (HTTPS in and out, and no other rule)', () => {
  const anywhere = { ingressCidrs: ['0.0.0.0/0'], egressCidrs: ['0.0.0.0/0'] };

  it('for a new group: revokes EC2\'s default allow-all egress and adds HTTPS in and out', () => {
    expect(planRuleChanges([allowAllEgress], anywhere)).toEqual({
      revoke: [allowAllEgress],
      authorize: [
        { egress: false, cidr: '0.0.0.0/0' },
        { egress: true, cidr: '0.0.0.0/0' },
      ],
    });
  });

  it('for a group that already matches: changes nothing', () => {
    expect(planRuleChanges([https(false, '0.0.0.0/0'), https(true, '0.0.0.0/0')], anywhere)).toEqual({ revoke: [], authorize: [] });
  });

  it('uses the caller\'s CIDRs, one rule each, and revokes rules for CIDRs no longer wanted', () => {
    const stale = https(false, '0.0.0.0/0');
    const plan = planRuleChanges([stale, https(true, '10.0.0.0/8')], { ingressCidrs: ['10.1.0.0/16', '192.168.0.0/24'], egressCidrs: ['10.0.0.0/8'] });
    expect(plan).toEqual({ revoke: [stale], authorize: [{ egress: false, cidr: '10.1.0.0/16' }, { egress: false, cidr: '192.168.0.0/24' }] });
  });

  it('revokes a rule that is close but not HTTPS-only: a port range, another port, IPv6, a group reference, egress where ingress is wanted', () => {
    const near = [
      rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 443, ToPort: 444, CidrIpv4: '0.0.0.0/0' }),
      rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '0.0.0.0/0' }),
      rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv6: '::/0' }),
      rule({ IsEgress: false, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, ReferencedGroupInfo: { GroupId: 'sg-other' } }),
      rule({ IsEgress: false, IpProtocol: 'udp', FromPort: 443, ToPort: 443, CidrIpv4: '0.0.0.0/0' }),
    ];
    const plan = planRuleChanges([...near, https(true, '0.0.0.0/0')], { ingressCidrs: ['0.0.0.0/0'], egressCidrs: ['0.0.0.0/0'] });
    expect(plan.revoke).toEqual(near);
    expect(plan.authorize).toEqual([{ egress: false, cidr: '0.0.0.0/0' }]);
    expect(near.map(isHttpsRule)).toEqual([false, false, false, false, false]);
  });
});
