import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { TAG_PROVISIONING_ID, TAG_RESOURCE } from '../../../shared/constants';
import { BASELINE_TAG, SECURITY_GROUP_RESOURCE } from '../../../shared/network/security-group';
import { verifyNetwork } from '../../../shared/network/verify';
import { tagSpecification } from '../../../shared/tags';
import { installRealism } from '../../../local/realism';
import { testConfig, TEST_EXTERNAL_ID } from '../../helpers/config';
import { useMoto } from '../../helpers/moto';
import { ec2, route53, run, type State } from './network-helpers';

const withExternalId = { crossAccountRole: { externalId: TEST_EXTERNAL_ID } };

/** A group's rules as short strings: direction, traffic, peer (`self` for the group itself). */
async function shapeOf(groupId: string): Promise<string[]> {
  const rules = (await ec2().send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }))).SecurityGroupRules!;
  return rules.map((r) => shape(r, groupId)).sort();
}
const shape = (r: SecurityGroupRule, groupId: string) =>
  `${r.IsEgress ? 'out' : 'in'} ${r.IpProtocol === '-1' ? 'all' : `${r.IpProtocol} ${r.FromPort}-${r.ToPort}`} ${r.CidrIpv4 ?? (r.ReferencedGroupInfo?.GroupId === groupId ? 'self' : r.ReferencedGroupInfo?.GroupId)}`;

const DEFAULT_RULES = ['in all 10.0.0.0/16', 'in all self', 'in tcp 443-443 0.0.0.0/0', 'out all 10.0.0.0/16', 'out all self', 'out tcp 443-443 0.0.0.0/0'];
const STRICT_RULES = ['in tcp 443-443 0.0.0.0/0', 'out tcp 443-443 0.0.0.0/0'];

async function groupTags(groupId: string): Promise<Record<string, string>> {
  const [group] = (await ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups!;
  return Object.fromEntries((group.Tags ?? []).map((t) => [t.Key!, t.Value!]));
}

/** A VPC made by CreateVpc for a new provisioning, ready for CreateSecurityGroup. */
async function withVpc(provisioningId: string, request: Parameters<typeof testConfig>[0] = {}): Promise<State & { config: ReturnType<typeof testConfig> }> {
  const config = testConfig({ ...withExternalId, ...request }, provisioningId);
  const state: State & { config: typeof config } = { config };
  state.vpc = await run('CreateVpc', state);
  return state;
}

// Each test uses its own provisioning ID and VPC, so one moto serves the file without resets.
describe('V7: CreateSecurityGroup builds the group the vendor\'s cluster uses, and never takes away what others add', () => {
  useMoto();

  it('V7 default: ends with exactly 443 in and out and all traffic within the VPC (CIDR and group itself), each rule tagged, EC2\'s default egress revoked, first setup marked', async () => {
    const state = await withVpc('sg-default');
    const { securityGroupId } = await run<{ securityGroupId: string }>('CreateSecurityGroup', state);
    expect(await shapeOf(securityGroupId)).toEqual(DEFAULT_RULES);
    const rules = (await ec2().send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [securityGroupId] }] }))).SecurityGroupRules!;
    for (const r of rules) expect([shape(r, securityGroupId), r.Tags]).toEqual([shape(r, securityGroupId), expect.arrayContaining([{ Key: TAG_PROVISIONING_ID, Value: 'sg-default' }])]);
    expect(await groupTags(securityGroupId)).toMatchObject({ [BASELINE_TAG.Key]: BASELINE_TAG.Value, [TAG_RESOURCE]: SECURITY_GROUP_RESOURCE });

    const v7 = (await verifyNetwork(state.config, { ...state, securityGroup: { securityGroupId } }, { ec2: ec2(), route53: route53() })).find((c) => c.id === 'V7');
    expect(v7).toMatchObject({ status: 'pass', ok: true });
  });

  it('V7 strict: ends with exactly TCP 443 in and out, nothing else', async () => {
    const state = await withVpc('sg-strict', { network: { securityGroup: { strict: true } } });
    const { securityGroupId } = await run<{ securityGroupId: string }>('CreateSecurityGroup', state);
    expect(await shapeOf(securityGroupId)).toEqual(STRICT_RULES);
    expect(await run('CreateSecurityGroup', state)).toEqual({ securityGroupId });
    expect(await shapeOf(securityGroupId)).toEqual(STRICT_RULES);
  });

  it('V7 strict: Verify fails V7 (with a fix) when the group allows more than 443; the default plan only notes it', async () => {
    const state = await withVpc('sg-strict-verify', { network: { securityGroup: { strict: true } } });
    const { securityGroupId } = await run<{ securityGroupId: string }>('CreateSecurityGroup', state);
    await ec2().send(new AuthorizeSecurityGroupIngressCommand({ GroupId: securityGroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '10.0.0.0/16' }] }] }));
    const withGroup = { ...state, securityGroup: { securityGroupId } };
    const strict = (await verifyNetwork(state.config, withGroup, { ec2: ec2(), route53: route53() })).find((c) => c.id === 'V7')!;
    expect(strict).toMatchObject({ status: 'fail', detail: `${securityGroupId} has an extra rule: ingress all traffic from 10.0.0.0/16 (strict: TCP 443 only)`, fix: expect.stringContaining('strict') });

    const relaxed = { ...state.config, network: { ...state.config.network, securityGroup: { ...state.config.network.securityGroup, strict: false } } };
    const byDefault = (await verifyNetwork(relaxed, withGroup, { ec2: ec2(), route53: route53() })).find((c) => c.id === 'V7')!;
    // Against the default plan the same group lacks the other within-VPC rules: that is what fails, not the extra one.
    expect(byDefault.detail).not.toContain('extra rule');
  });

  it('V7: a re-run after the vendor and the load balancer controller added rules keeps every one of them, and an allow-all egress added back', async () => {
    const state = await withVpc('sg-keep');
    const { securityGroupId } = await run<{ securityGroupId: string }>('CreateSecurityGroup', state);
    const other = await ec2().send(new CreateSecurityGroupCommand({ VpcId: state.vpc!.vpcId, GroupName: 'k8s-elb', Description: 'a load balancer\'s group' }));
    await ec2().send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: securityGroupId,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: other.GroupId }] },
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '192.168.0.0/24' }] },
        ],
      }),
    );
    await ec2().send(new AuthorizeSecurityGroupEgressCommand({ GroupId: securityGroupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    const before = await shapeOf(securityGroupId);
    expect(before).toHaveLength(DEFAULT_RULES.length + 3);

    expect(await run('CreateSecurityGroup', state)).toEqual({ securityGroupId });
    expect(await shapeOf(securityGroupId)).toEqual(before);
  });

  it('V7: a retry after CreateSecurityGroup\'s answer was lost finds the group and finishes its first setup (default egress revoked, rules added, marked)', async () => {
    const state = await withVpc('sg-lost-create');
    // What the lost call left: a group carrying our tags, with nothing but EC2's default egress, and no marker.
    const orphan = await ec2().send(
      new CreateSecurityGroupCommand({ VpcId: state.vpc!.vpcId, GroupName: 'demo-byoc-https', Description: 'made by the first attempt', TagSpecifications: tagSpecification(state.config, 'security-group', SECURITY_GROUP_RESOURCE) }),
    );
    expect(await shapeOf(orphan.GroupId!)).toEqual(['out all 0.0.0.0/0']);

    expect(await run('CreateSecurityGroup', state)).toEqual({ securityGroupId: orphan.GroupId });
    expect(await shapeOf(orphan.GroupId!)).toEqual(DEFAULT_RULES);
    expect(await groupTags(orphan.GroupId!)).toMatchObject({ [BASELINE_TAG.Key]: BASELINE_TAG.Value });
  });

  it('V7: lost answers to CreateSecurityGroup and to a rule authorization (AWS acted) still end with one group and exactly the intended rules', async () => {
    const state = await withVpc('sg-lost-answers');
    const realism = installRealism({
      profile: 'realistic',
      seed: 7,
      overrides: { readiness: false, consistency: false, throttling: false },
      faults: 'CreateSecurityGroup:lose-response,AuthorizeSecurityGroupIngress:lose-response',
    });
    try {
      // Each lost answer (once per call: the create, then each of the three ingress rules) fails one attempt with a
      // retryable error; the state machine runs the step again.
      let answer: { securityGroupId: string } | undefined;
      const errors: string[] = [];
      for (let attempt = 0; attempt < 6 && !answer; attempt++) {
        answer = await run<{ securityGroupId: string }>('CreateSecurityGroup', state).catch((e: Error) => {
          errors.push(e.name);
          return undefined;
        });
      }
      expect(errors).toEqual(Array(4).fill('RetryableAwsError'));
      expect(realism.events.filter((e) => e.kind === 'lose-response').map((e) => e.operation)).toEqual(['CreateSecurityGroup', ...Array(3).fill('AuthorizeSecurityGroupIngress')]);
      const groups = (await ec2().send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: `tag:${TAG_PROVISIONING_ID}`, Values: ['sg-lost-answers'] }] }))).SecurityGroups!;
      expect(groups.map((g) => g.GroupId)).toEqual([answer!.securityGroupId]);
      expect(await shapeOf(answer!.securityGroupId)).toEqual(DEFAULT_RULES);
    } finally {
      realism.uninstall();
    }
  });

  it('V7: the undo deletes the group with its self-referencing rules, and is safe to repeat (the second run reports it notFound)', async () => {
    const state = await withVpc('sg-undo');
    const { securityGroupId } = await run<{ securityGroupId: string }>('CreateSecurityGroup', state);
    const undoState = { config: { provisioningId: 'sg-undo', region: 'us-west-2' }, securityGroup: { securityGroupId } };
    expect(await run('DeleteSecurityGroup', undoState)).toEqual({ deleted: [securityGroupId], notFound: [] });
    // Run again, the group the state names is not there: reported as such, not as deleted.
    expect(await run('DeleteSecurityGroup', undoState)).toEqual({ deleted: [], notFound: [securityGroupId] });
    await expect(ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: [securityGroupId] }))).rejects.toMatchObject({ name: expect.stringMatching(/NotFound/) });
  });
});
