import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
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
} from '@aws-sdk/client-ec2';
import type { ProvisioningConfig, TargetConfig } from '../config';
import { DependencyViolationError, EventualConsistencyError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { ownershipFilters, tagSpecification } from '../tags';
import { keepOwned, ownedResources } from './ownership';
import type { NetworkState, SecurityGroupState, UndoResult, VpcState } from './types';

export const SECURITY_GROUP_RESOURCE = 'security-group';
export const SECURITY_GROUP_RULE_RESOURCE = 'security-group-rule';
/** V7: the only port the group opens, both ways. */
export const HTTPS_PORT = 443;

/** One rule as V7 wants it: TCP 443 from/to one IPv4 CIDR. */
export interface HttpsRule {
  egress: boolean;
  cidr: string;
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

/**
 * V7 as a diff: which of the group's rules to revoke (anything that is not one of the wanted HTTPS rules,
 * including the allow-all egress rule EC2 adds to every new group) and which wanted rules to add.
 *
 * @example planRuleChanges(rules, { ingressCidrs: ['0.0.0.0/0'], egressCidrs: ['0.0.0.0/0'] })
 *   // { revoke: [the default egress rule], authorize: [{ egress: false, cidr: '0.0.0.0/0' }, { egress: true, cidr: '0.0.0.0/0' }] }
 */
export function planRuleChanges(
  rules: SecurityGroupRule[],
  wanted: { ingressCidrs: string[]; egressCidrs: string[] },
): { revoke: SecurityGroupRule[]; authorize: HttpsRule[] } {
  const want = [...wanted.ingressCidrs.map((cidr) => ({ egress: false, cidr })), ...wanted.egressCidrs.map((cidr) => ({ egress: true, cidr }))];
  const matches = (rule: SecurityGroupRule, w: HttpsRule) => isHttpsRule(rule) && Boolean(rule.IsEgress) === w.egress && rule.CidrIpv4 === w.cidr;
  return {
    revoke: rules.filter((rule) => !want.some((w) => matches(rule, w))),
    authorize: want.filter((w) => !rules.some((rule) => matches(rule, w))),
  };
}

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

/** Make the group's rules exactly V7's: revoke the rest, authorize what is missing (one CIDR per call, so a duplicate only skips itself). */
async function reconcileRules(ec2: EC2Client, config: ProvisioningConfig, groupId: string): Promise<void> {
  const { revoke, authorize } = planRuleChanges(await securityGroupRules(ec2, groupId), config.network.securityGroup);
  const ingressIds = revoke.filter((r) => !r.IsEgress).map((r) => r.SecurityGroupRuleId!);
  const egressIds = revoke.filter((r) => r.IsEgress).map((r) => r.SecurityGroupRuleId!);
  if (ingressIds.length > 0) await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ingressIds }));
  if (egressIds.length > 0) await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, SecurityGroupRuleIds: egressIds }));
  if (revoke.length > 0) logger.info('revoked security group rules', { groupId, ruleIds: [...ingressIds, ...egressIds] });
  for (const rule of authorize) {
    const input = {
      GroupId: groupId,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: HTTPS_PORT, ToPort: HTTPS_PORT, IpRanges: [{ CidrIp: rule.cidr, Description: `HTTPS ${rule.egress ? 'to' : 'from'} ${rule.cidr} (V7)` }] },
      ],
      TagSpecifications: tagSpecification(config, 'security-group-rule', SECURITY_GROUP_RULE_RESOURCE),
    };
    try {
      if (rule.egress) await ec2.send(new AuthorizeSecurityGroupEgressCommand(input));
      else await ec2.send(new AuthorizeSecurityGroupIngressCommand(input));
    } catch (error) {
      // Added by a concurrent run since our look-up: that is the rule we want.
      if (awsErrorCode(error) !== 'InvalidPermission.Duplicate') throw error;
    }
  }
  if (authorize.length > 0) logger.info('authorized security group rules', { groupId, rules: authorize });
}

/**
 * V7, V8: the security group in the VPC with exactly two kinds of rule: TCP 443 in from
 * `config.network.securityGroup.ingressCidrs` and TCP 443 out to `egressCidrs`, and nothing else (EC2's default
 * allow-all egress rule is revoked). Find-or-create by tag (CreateSecurityGroup takes no ClientToken); the rules
 * are converged on every run, so a re-run, or a group someone loosened by hand, ends exactly as V7 says.
 *
 * @example const { securityGroupId } = await createSecurityGroup(config, state.vpc, { ec2 });
 */
export async function createSecurityGroup(config: ProvisioningConfig, vpc: VpcState, deps: { ec2: EC2Client }): Promise<SecurityGroupState> {
  const { ec2 } = deps;
  const [found] = (await findSecurityGroups(ec2, config.provisioningId)).filter((g) => g.VpcId === vpc.vpcId);
  let groupId = found?.GroupId;
  try {
    if (groupId) {
      logger.info('found existing security group', { groupId });
    } else {
      const out = await ec2.send(
        new CreateSecurityGroupCommand({
          VpcId: vpc.vpcId,
          GroupName: `${config.projectName}-byoc-https`,
          Description: 'Zilliz BYOC: HTTPS (TCP 443) in and out only (V7)',
          TagSpecifications: tagSpecification(config, 'security-group', SECURITY_GROUP_RESOURCE),
        }),
      );
      groupId = out.GroupId;
      if (!groupId) throw new EventualConsistencyError('EC2 returned no security group ID');
      logger.info('created security group', { groupId });
    }
    await reconcileRules(ec2, config, groupId);
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
 * found" is success; while the VPC endpoint (or its network interfaces) still uses the group,
 * `DependencyViolationError` tells the state machine to retry later.
 *
 * @example await deleteSecurityGroup(config, state, { ec2 }) // { deleted: ['sg-1'] }
 */
export async function deleteSecurityGroup(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<UndoResult> {
  const { ec2 } = deps;
  const groups = await ownedResources({
    provisioningId: config.provisioningId,
    kind: 'security group',
    found: await findSecurityGroups(ec2, config.provisioningId),
    named: [state.securityGroup?.securityGroupId],
    idOf: (g) => g.GroupId,
    tagsOf: (g) => g.Tags,
    describe: (id) => describeSecurityGroup(ec2, id),
  });
  const deleted: string[] = [];
  for (const group of groups) {
    const id = group.GroupId!;
    try {
      const users = await usersOf(ec2, group);
      if (users.length > 0) throw new DependencyViolationError(`security group ${id} is still used by ${users.join(', ')}; retry once they are deleted`);
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));
      logger.info('deleted security group', { groupId: id });
    } catch (error) {
      if (!isNotFound(error, 'InvalidGroup.NotFound', 'InvalidGroupId.NotFound')) throw translateAwsError(error, `delete security group ${id}`);
    }
    deleted.push(id);
  }
  return { deleted };
}
