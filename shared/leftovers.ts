import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { TargetConfig } from './config';
import { findRolesByTag, getRole, isOurRole } from './iam/role';
import { findInternetGateways } from './network/internet-gateway';
import { findNatAddresses, findNatGateways } from './network/nat-gateway';
import { findHostedZones } from './network/private-dns';
import { findRouteTables } from './network/route-tables';
import { findSecurityGroups } from './network/security-group';
import { findSubnets } from './network/subnets';
import { findVpcEndpoints } from './network/vpc-endpoint';
import { findVpcs } from './network/vpc';
import type { CaughtError, Leftovers } from './state';
import { readableError } from './status';

/** What FindLeftovers reads: who and where, the role name when known, the previous sweep and the original error. */
export interface LeftoversInput {
  config: TargetConfig & { iamRole?: { name?: string } };
  eksRole?: { roleName?: string };
  leftovers?: Pick<Leftovers, 'sweep'>;
  error?: CaughtError;
}

/**
 * The safety net at the end of a rollback or teardown: every resource that still carries the provisioning ID,
 * found by tag (and the EKS role by name and tag), whatever the state says. A NAT gateway or endpoint that is
 * still `deleting` counts: it is not gone yet. The state machine sweeps again while anything is left, a bounded
 * number of times, then fails naming each resource.
 *
 * @example const { count, message } = await findLeftovers(state, { ec2, route53, iam });
 */
export async function findLeftovers(input: LeftoversInput, deps: { ec2: EC2Client; route53: Route53Client; iam: IAMClient }): Promise<Leftovers> {
  const id = input.config.provisioningId;
  const { ec2, route53, iam } = deps;
  const resources: Leftovers['resources'] = [];
  const add = (type: string, ids: (string | undefined)[], detail?: (i: number) => string | undefined) =>
    ids.forEach((rid, i) => rid && resources.push({ type, id: rid, ...(detail?.(i) ? { detail: detail(i) } : {}) }));

  const [zones, endpoints, nats, addresses, tables, gateways, groups, subnets, vpcs] = await Promise.all([
    findHostedZones(route53, id),
    findVpcEndpoints(ec2, id),
    findNatGateways(ec2, id, ['pending', 'available', 'deleting']),
    findNatAddresses(ec2, id),
    findRouteTables(ec2, id),
    findInternetGateways(ec2, id),
    findSecurityGroups(ec2, id),
    findSubnets(ec2, id),
    findVpcs(ec2, id),
  ]);
  add('Route 53 hosted zone', zones.map((z) => z.zone.Id?.replace('/hostedzone/', '')), (i) => zones[i].zone.Name);
  const liveEndpoints = endpoints.filter((e) => (e.State ?? '').toLowerCase() !== 'deleted');
  add('VPC endpoint', liveEndpoints.map((e) => e.VpcEndpointId), (i) => liveEndpoints[i].State?.toLowerCase());
  add('NAT gateway', nats.map((n) => n.NatGatewayId), (i) => nats[i].State);
  add('Elastic IP', addresses.map((a) => a.AllocationId), (i) => addresses[i].PublicIp);
  add('route table', tables.map((t) => t.RouteTableId));
  add('internet gateway', gateways.map((g) => g.InternetGatewayId));
  add('security group', groups.map((g) => g.GroupId));
  add('subnet', subnets.map((s) => s.SubnetId));
  add('VPC', vpcs.map((v) => v.VpcId));

  const named = [input.eksRole?.roleName, input.config.iamRole?.name].filter((n): n is string => Boolean(n));
  const roleNames = named.length > 0 ? named : await findRolesByTag(iam, id);
  for (const name of new Set(roleNames)) {
    const role = await getRole(iam, name);
    if (role && isOurRole(role, id)) resources.push({ type: 'IAM role', id: name });
  }

  const sweep = (input.leftovers?.sweep ?? 0) + 1;
  const listing = resources.map((r) => `${r.type} ${r.id}${r.detail ? ` (${r.detail})` : ''}`).join(', ');
  const original = input.error ? readableError(input.error.Error, input.error.Cause) : undefined;
  const message =
    resources.length === 0
      ? `nothing tagged ${id} is left`
      : `${resources.length} resource(s) of provisioning ${id} could not be removed after ${sweep} sweep(s): ${listing}.` +
        (original ? ` The provisioning had failed with ${original.name}${original.step ? ` in ${original.step}` : ''}: ${original.message}` : '') +
        ` Run the teardown again once the cause is fixed; it is safe to repeat.`;
  return { count: resources.length, sweep, resources, message };
}
