import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type SecurityGroup,
  type SecurityGroupRule,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { ProvisioningConfig, TargetConfig } from '../config';
import { TAG_PROVISIONING_ID, TAG_RESOURCE } from '../constants';
import { DependencyViolationError, EventualConsistencyError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { ownershipFilters, tagSpecification, tagValue } from '../tags';
import { UndoTally, keepOwned, ownedResources } from './ownership';
import type { NetworkState, SecurityGroupState, UndoResult, VpcState } from './types';

export const SECURITY_GROUP_RESOURCE = 'security-group';
export const SECURITY_GROUP_RULE_RESOURCE = 'security-group-rule';
/** V7: the port the group opens to and from the outside, both ways. */
export const HTTPS_PORT = 443;
/** EC2's protocol name for "all traffic" (every protocol, every port). */
export const ALL_TRAFFIC = '-1';
const ANYWHERE_IPV4 = '0.0.0.0/0';
/** A rule's peer that is the group itself (a self-reference) rather than a CIDR. */
export const SELF = 'self';

/**
 * Set on the group once our first setup of it is complete (EC2's default allow-all egress revoked, our rules
 * authorized). Before it, a run may revoke that default rule; after it, nothing is ever revoked, so rules the vendor
 * or the AWS Load Balancer Controller add later survive every re-run. A tag rather than a look at the rules because
 * only the tag says "we already did this once": the rules alone cannot tell EC2's default apart from the same rule
 * added back later by someone else.
 */
export const BASELINE_TAG = { Key: 'byoc:security-group-baseline', Value: 'applied' } as const;

/** One rule we want on the group (V7). */
export interface WantedRule {
  egress: boolean;
  /** `https`: TCP 443 only; `all`: every protocol and port (IpProtocol -1). */
  traffic: 'https' | 'all';
  /** An IPv4 CIDR, or {@link SELF}: the group itself. */
  peer: string;
}

/** What V7 asks of our group: the request's settings, plus what the within-VPC rules point at. */
export interface RuleSettings {
  ingressCidrs: string[];
  egressCidrs: string[];
  /** True: TCP 443 only. False (default): also all traffic from/to the VPC CIDR and the group itself. */
  strict: boolean;
  /** The VPC's CIDR (the within-VPC rules). */
  vpcCidr: string;
}

/** True when an EC2 rule is exactly "TCP 443 from/to this IPv4 CIDR" and nothing more. */
export function isHttpsRule(rule: SecurityGroupRule): boolean {
  return (
    rule.IpProtocol === 'tcp' &&
    rule.FromPort === HTTPS_PORT &&
    rule.ToPort === HTTPS_PORT &&
    Boolean(rule.CidrIpv4) &&
    !rule.CidrIpv6 &&
    !rule.PrefixListId &&
    !rule.ReferencedGroupInfo?.GroupId
  );
}

/** True for the rule EC2 puts on every new group in a VPC: all traffic out to 0.0.0.0/0. @example isDefaultEgressRule({ IsEgress: true, IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' }) // true */
export function isDefaultEgressRule(rule: SecurityGroupRule): boolean {
  return Boolean(rule.IsEgress) && rule.IpProtocol === ALL_TRAFFIC && rule.CidrIpv4 === ANYWHERE_IPV4 && !rule.ReferencedGroupInfo?.GroupId && !rule.PrefixListId;
}

/**
 * V7's rules for our group: TCP 443 in from each `ingressCidrs` and out to each `egressCidrs`; unless `strict`,
 * also all traffic in from and out to the VPC CIDR and the group itself (as the vendor's Terraform does: the
 * cluster's nodes use this group and talk to each other on every port).
 *
 * @example wantedRules({ ingressCidrs: ['0.0.0.0/0'], egressCidrs: ['0.0.0.0/0'], strict: true, vpcCidr: '10.0.0.0/16' })
 *   // [{ egress: false, traffic: 'https', peer: '0.0.0.0/0' }, { egress: true, traffic: 'https', peer: '0.0.0.0/0' }]
 */
export function wantedRules(settings: RuleSettings): WantedRule[] {
  const https = [
    ...settings.ingressCidrs.map((peer): WantedRule => ({ egress: false, traffic: 'https', peer })),
    ...settings.egressCidrs.map((peer): WantedRule => ({ egress: true, traffic: 'https', peer })),
  ];
  if (settings.strict) return https;
  const withinVpc = [false, true].flatMap((egress) => [settings.vpcCidr, SELF].map((peer): WantedRule => ({ egress, traffic: 'all', peer })));
  return [...https, ...withinVpc];
}

/**
 * True when an EC2 rule of group `groupId` is exactly the wanted rule (same direction, traffic and peer, nothing more).
 * @example matchesRule({ IsEgress: false, IpProtocol: '-1', ReferencedGroupInfo: { GroupId: 'sg-1' } }, { egress: false, traffic: 'all', peer: SELF }, 'sg-1') // true
 */
export function matchesRule(rule: SecurityGroupRule, wanted: WantedRule, groupId: string): boolean {
  if (Boolean(rule.IsEgress) !== wanted.egress || rule.CidrIpv6 || rule.PrefixListId) return false;
  const traffic = wanted.traffic === 'https' ? rule.IpProtocol === 'tcp' && rule.FromPort === HTTPS_PORT && rule.ToPort === HTTPS_PORT : rule.IpProtocol === ALL_TRAFFIC;
  const peer = wanted.peer === SELF ? !rule.CidrIpv4 && rule.ReferencedGroupInfo?.GroupId === groupId : !rule.ReferencedGroupInfo?.GroupId && rule.CidrIpv4 === wanted.peer;
  return traffic && peer;
}

/** A wanted rule in words. @example describeWantedRule({ egress: true, traffic: 'all', peer: SELF }) // 'egress all traffic to the group itself' */
export function describeWantedRule(rule: WantedRule): string {
  const peer = rule.peer === SELF ? 'the group itself' : rule.peer;
  return `${rule.egress ? 'egress' : 'ingress'} ${rule.traffic === 'https' ? `tcp ${HTTPS_PORT}` : 'all traffic'} ${rule.egress ? 'to' : 'from'} ${peer}`;
}

/**
 * True when a rule is one of ours: tagged at its authorization with this provisioning's ID as a
 * `security-group-rule`. Only such rules are ever revoked once the group's first setup is done; a rule without our
 * tags (added by hand, by the vendor, by the AWS Load Balancer Controller) or tagged by another provisioning never is.
 * @example isOurRule({ Tags: [{ Key: 'byoc:provisioning-id', Value: 'p-1' }, { Key: 'byoc:resource', Value: 'security-group-rule' }] }, 'p-1') // true
 */
export function isOurRule(rule: SecurityGroupRule, provisioningId: string): boolean {
  return tagValue(rule.Tags, TAG_PROVISIONING_ID) === provisioningId && tagValue(rule.Tags, TAG_RESOURCE) === SECURITY_GROUP_RULE_RESOURCE;
}

/**
 * V7 as a plan: the wanted rules the group lacks (authorized first), our own rules the request no longer wants
 * (revoked after: a CIDR removed from `ingressCidrs` / `egressCidrs`, the within-VPC rules once `strict` is on),
 * and whether EC2's default allow-all egress rule is to be revoked, which is only while our first setup of the group
 * is not done (`baselineApplied` false, see {@link BASELINE_TAG}). The default-egress revoke names the rule by its
 * content, not by an ID read before: right after CreateSecurityGroup a read may not show the default rule yet, and a
 * revoke of a rule that is not there does no harm. No rule that is not ours ({@link isOurRule}) is ever revoked: the
 * vendor and the AWS Load Balancer Controller add rules of their own, and people add rules by hand.
 *
 * @example planRuleChanges([defaultEgress], { ingressCidrs: ['0.0.0.0/0'], egressCidrs: ['0.0.0.0/0'], strict: true, vpcCidr: '10.0.0.0/16' }, 'sg-1', { baselineApplied: false, provisioningId: 'p-1' })
 *   // { revokeDefaultEgress: true, authorize: [{ egress: false, traffic: 'https', peer: '0.0.0.0/0' }, { egress: true, traffic: 'https', peer: '0.0.0.0/0' }], revoke: [] }
 */
export function planRuleChanges(
  rules: SecurityGroupRule[],
  settings: RuleSettings,
  groupId: string,
  progress: { baselineApplied: boolean; provisioningId: string },
): { revokeDefaultEgress: boolean; authorize: WantedRule[]; revoke: SecurityGroupRule[] } {
  const wanted = wantedRules(settings);
  return {
    revokeDefaultEgress: !progress.baselineApplied,
    authorize: wanted.filter((w) => !rules.some((rule) => matchesRule(rule, w, groupId))),
    revoke: rules.filter((rule) => isOurRule(rule, progress.provisioningId) && !wanted.some((w) => matchesRule(rule, w, groupId))),
  };
}

/**
 * The wanted rules a group lacks, and its rules that are none of them (for Verify).
 * @example compareRules(rules, ruleSettingsOf(config), 'sg-1') // { missing: [], extra: [the SSH rule someone added] }
 */
export function compareRules(rules: SecurityGroupRule[], settings: RuleSettings, groupId: string): { missing: WantedRule[]; extra: SecurityGroupRule[] } {
  const wanted = wantedRules(settings);
  return {
    missing: wanted.filter((w) => !rules.some((rule) => matchesRule(rule, w, groupId))),
    extra: rules.filter((rule) => !wanted.some((w) => matchesRule(rule, w, groupId))),
  };
}

/** The rule settings of a provisioning's group in VPC `vpc`. @example ruleSettingsOf(config, state.vpc) // { ingressCidrs, egressCidrs, strict, vpcCidr: '10.0.0.0/16' } */
export const ruleSettingsOf = (config: ProvisioningConfig, vpc?: { cidr?: string }): RuleSettings => ({
  ...config.network.securityGroup,
  vpcCidr: vpc?.cidr ?? config.network.vpcCidr,
});

/** The provisioning's security groups, found by the ownership tags. */
export async function findSecurityGroups(ec2: EC2Client, provisioningId: string): Promise<SecurityGroup[]> {
  try {
    const out = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: ownershipFilters(provisioningId, SECURITY_GROUP_RESOURCE) }));
    return keepOwned(out.SecurityGroups ?? [], (g) => g.Tags, provisioningId, [SECURITY_GROUP_RESOURCE]).sort((a, b) => (a.GroupId ?? '').localeCompare(b.GroupId ?? ''));
  } catch (error) {
    throw translateAwsError(error, `look up the security group of provisioning ${provisioningId}`);
  }
}

async function describeSecurityGroup(ec2: EC2Client, id: string): Promise<SecurityGroup | undefined> {
  try {
    return (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups?.[0];
  } catch (error) {
    if (isNotFound(error, 'InvalidGroup.NotFound', 'InvalidGroupId.NotFound')) return undefined;
    throw translateAwsError(error, `look up security group ${id}`);
  }
}

/** Every rule of a group, as EC2 reports them now. */
export async function securityGroupRules(ec2: EC2Client, groupId: string): Promise<SecurityGroupRule[]> {
  const out = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }));
  return out.SecurityGroupRules ?? [];
}

/** EC2's IpPermissions for one wanted rule of group `groupId`. */
function ipPermission(rule: WantedRule, groupId: string) {
  // Only characters EC2 accepts in a rule description: letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*.
  const Description = `${describeWantedRule(rule)} (V7)`;
  const ports = rule.traffic === 'https' ? { IpProtocol: 'tcp', FromPort: HTTPS_PORT, ToPort: HTTPS_PORT } : { IpProtocol: ALL_TRAFFIC };
  return rule.peer === SELF ? { ...ports, UserIdGroupPairs: [{ GroupId: groupId, Description }] } : { ...ports, IpRanges: [{ CidrIp: rule.peer, Description }] };
}

/**
 * Bring the group's rules to V7 as the config wants them: the missing rules are added, then our own rules that the
 * config no longer wants are revoked (an update that removed a CIDR or turned `strict` on; see {@link isOurRule}).
 * While {@link BASELINE_TAG} is absent (our first setup of a group we just created, or a retry of it after a lost
 * answer), EC2's default allow-all egress rule is revoked first; the tag is set last, once every rule is in place,
 * so a retry at any point before it does the same again and converges. After that, only rules carrying our tags
 * are ever revoked. (The one untagged rule revoked before the tag is exactly EC2's default; someone would have to
 * add that same rule to our brand-new group within the seconds of our first setup for it to be revoked, and the
 * group is in no one else's hands yet.)
 */
async function reconcileRules(ec2: EC2Client, config: ProvisioningConfig, vpc: VpcState, group: { groupId: string; tags: Tag[] | undefined }): Promise<void> {
  const { groupId } = group;
  const baselineApplied = tagValue(group.tags, BASELINE_TAG.Key) === BASELINE_TAG.Value;
  const { revokeDefaultEgress, authorize, revoke } = planRuleChanges(await securityGroupRules(ec2, groupId), ruleSettingsOf(config, vpc), groupId, {
    baselineApplied,
    provisioningId: config.provisioningId,
  });
  if (revokeDefaultEgress) {
    try {
      const out = await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: ALL_TRAFFIC, IpRanges: [{ CidrIp: ANYWHERE_IPV4 }] }] }));
      // AWS answers a rule that is not there (gone already: a retry) with UnknownIpPermissions, not an error.
      if ((out.UnknownIpPermissions ?? []).length === 0) logger.info('revoked EC2\'s default egress rule of our new security group', { groupId });
    } catch (error) {
      // moto's answer for a rule that is not there.
      if (!isNotFound(error, 'InvalidPermission.NotFound')) throw error;
    }
  }
  for (const rule of authorize) {
    const input = { GroupId: groupId, IpPermissions: [ipPermission(rule, groupId)], TagSpecifications: tagSpecification(config, 'security-group-rule', SECURITY_GROUP_RULE_RESOURCE) };
    try {
      if (rule.egress) await ec2.send(new AuthorizeSecurityGroupEgressCommand(input));
      else await ec2.send(new AuthorizeSecurityGroupIngressCommand(input));
    } catch (error) {
      // Added by a concurrent run since our look-up: that is the rule we want.
      if (awsErrorCode(error) !== 'InvalidPermission.Duplicate') throw error;
    }
  }
  if (authorize.length > 0) logger.info('authorized security group rules', { groupId, rules: authorize.map(describeWantedRule) });
  // Revoked after the new rules are in: a CIDR change never leaves a moment with neither the old rule nor the new.
  for (const egress of [false, true]) {
    const ids = revoke.filter((r) => Boolean(r.IsEgress) === egress).map((r) => r.SecurityGroupRuleId!);
    if (ids.length === 0) continue;
    try {
      if (egress) await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, SecurityGroupRuleIds: ids }));
      else await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ids }));
      logger.info('revoked our security group rules the request no longer wants', { groupId, ruleIds: ids });
    } catch (error) {
      // Revoked by a concurrent run, or by hand, since our look-up: gone is what we wanted.
      if (!isNotFound(error, 'InvalidSecurityGroupRuleId.NotFound', 'InvalidPermission.NotFound')) throw error;
    }
  }
  if (!baselineApplied) {
    await ec2.send(new CreateTagsCommand({ Resources: [groupId], Tags: [{ ...BASELINE_TAG }] }));
    logger.info('marked the security group\'s first setup done', { groupId, tag: BASELINE_TAG.Key });
  }
}

/**
 * V7, V8: the security group in the VPC. By default: TCP 443 in from `config.network.securityGroup.ingressCidrs`,
 * TCP 443 out to `egressCidrs`, and all traffic in from and out to the VPC CIDR and the group itself (the vendor's
 * Terraform does the same: the cluster's nodes use this group). `strict: true`: the 443 rules only. EC2's default
 * allow-all egress rule is revoked during our first setup of the group, as Terraform does.
 *
 * Find-or-create by tag (CreateSecurityGroup takes no ClientToken). A re-run (an update) adds missing rules and
 * revokes only our own rules that the request no longer wants; it never removes a rule that is not ours: the vendor
 * and the AWS Load Balancer Controller add rules to this group later (see {@link reconcileRules}).
 *
 * @example const { securityGroupId } = await createSecurityGroup(config, state.vpc, { ec2 });
 */
export async function createSecurityGroup(config: ProvisioningConfig, vpc: VpcState, deps: { ec2: EC2Client }): Promise<SecurityGroupState> {
  const { ec2 } = deps;
  const [found] = (await findSecurityGroups(ec2, config.provisioningId)).filter((g) => g.VpcId === vpc.vpcId);
  let groupId = found?.GroupId;
  let tags = found?.Tags;
  try {
    if (groupId) {
      logger.info('found existing security group', { groupId });
    } else {
      const TagSpecifications = tagSpecification(config, 'security-group', SECURITY_GROUP_RESOURCE);
      const out = await ec2.send(
        new CreateSecurityGroupCommand({
          VpcId: vpc.vpcId,
          GroupName: `${config.projectName}-byoc-https`,
          Description: config.network.securityGroup.strict
            ? 'Zilliz BYOC: HTTPS (TCP 443) in and out only (V7)'
            : 'Zilliz BYOC: HTTPS (TCP 443) in and out, all traffic within the VPC (V7)',
          TagSpecifications,
        }),
      );
      groupId = out.GroupId;
      if (!groupId) throw new EventualConsistencyError('EC2 returned no security group ID');
      tags = TagSpecifications[0].Tags;
      logger.info('created security group', { groupId });
    }
    await reconcileRules(ec2, config, vpc, { groupId, tags });
  } catch (error) {
    if (isNotFound(error, 'InvalidVpcID.NotFound', 'InvalidGroup.NotFound', 'InvalidGroupId.NotFound')) {
      throw new EventualConsistencyError(`VPC ${vpc.vpcId} or its new security group is not visible yet`, { cause: error });
    }
    // The name is taken in our VPC by a group the tag lookup does not show yet (a create whose answer was lost).
    if (awsErrorCode(error) === 'InvalidGroup.Duplicate') {
      throw new EventualConsistencyError(`a security group named ${config.projectName}-byoc-https already exists in ${vpc.vpcId} but is not (yet) found by tag`, { cause: error });
    }
    throw translateAwsError(error, `create the security group in ${vpc.vpcId}`);
  }
  return { securityGroupId: groupId };
}

/**
 * What still uses a security group: network interfaces (AWS: the VPC endpoint's) and VPC endpoints not yet
 * deleted. Checked before deleting, because moto deletes a group that is still in use; AWS refuses with
 * DependencyViolation, which we report the same way.
 */
async function usersOf(ec2: EC2Client, group: SecurityGroup): Promise<string[]> {
  const groupId = group.GroupId!;
  const enis = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }));
  const endpoints = group.VpcId
    ? await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [group.VpcId] }] }))
    : { VpcEndpoints: [] };
  return [
    ...(enis.NetworkInterfaces ?? []).map((n) => n.NetworkInterfaceId!),
    ...(endpoints.VpcEndpoints ?? [])
      .filter((e) => e.State?.toLowerCase() !== 'deleted' && (e.Groups ?? []).some((g) => g.GroupId === groupId))
      .map((e) => `${e.VpcEndpointId} (${e.State})`),
  ];
}

/**
 * Undo of {@link createSecurityGroup}: delete the group named in the state and every one found by tag. "Not
 * found" is success, reported in `notFound`; while the VPC endpoint (or its network interfaces) still uses the group,
 * `DependencyViolationError` tells the state machine to retry later.
 *
 * @example await deleteSecurityGroup(config, state, { ec2 }) // { deleted: ['sg-1'], notFound: [] }
 */
export async function deleteSecurityGroup(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<UndoResult> {
  const { ec2 } = deps;
  const { owned: groups, notFound } = await ownedResources({
    provisioningId: config.provisioningId,
    kind: 'security group',
    found: await findSecurityGroups(ec2, config.provisioningId),
    named: [state.securityGroup?.securityGroupId],
    idOf: (g) => g.GroupId,
    tagsOf: (g) => g.Tags,
    describe: (id) => describeSecurityGroup(ec2, id),
  });
  const tally = new UndoTally(notFound);
  for (const group of groups) {
    const id = group.GroupId!;
    try {
      const users = await usersOf(ec2, group);
      if (users.length > 0) throw new DependencyViolationError(`security group ${id} is still used by ${users.join(', ')}; retry once they are deleted`);
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));
      logger.info('deleted security group', { groupId: id });
      tally.deleted.push(id);
    } catch (error) {
      if (!isNotFound(error, 'InvalidGroup.NotFound', 'InvalidGroupId.NotFound')) throw translateAwsError(error, `delete security group ${id}`);
      tally.notFound.push(id);
    }
  }
  return tally.result();
}
