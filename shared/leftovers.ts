import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TargetConfig } from './config';
import { findRolesByTag, getRole, isOurRole } from './iam/role';
import { findInternetGateways } from './network/internet-gateway';
import { findNatAddresses, findNatGateways } from './network/nat-gateway';
import { findHostedZones } from './network/private-dns';
import { findRouteTables } from './network/route-tables';
import { findS3GatewayEndpoints } from './network/s3-gateway-endpoint';
import { findSecurityGroups } from './network/security-group';
import { findSubnets } from './network/subnets';
import { findVpcEndpoints } from './network/vpc-endpoint';
import { findVpcs } from './network/vpc';
import { bucketLeftovers, findBucketsByTag } from './storage/bucket';
import type { CaughtError, Leftovers } from './state';
import { readableError } from './status';

/**
 * What FindLeftovers reads: who and where, the role and bucket names when known (the provisioning's config during
 * a rollback, the teardown request's names during a teardown), the state's keys, the previous sweep and the
 * original error.
 */
export interface LeftoversInput {
  config: TargetConfig & {
    iamRole?: { name?: string };
    storageRole?: { name?: string };
    crossAccountRole?: { name?: string };
    bucket?: { name?: string };
  };
  eksRole?: { roleName?: string };
  storageRole?: { roleName?: string };
  crossAccountRole?: { roleName?: string };
  bucket?: { bucketName?: string };
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
export async function findLeftovers(input: LeftoversInput, deps: { ec2: EC2Client; route53: Route53Client; iam: IAMClient; s3: S3Client }): Promise<Leftovers> {
  const id = input.config.provisioningId;
  const { ec2, route53, iam, s3 } = deps;
  const resources: Leftovers['resources'] = [];
  const add = (type: string, ids: (string | undefined)[], detail?: (i: number) => string | undefined) =>
    ids.forEach((rid, i) => rid && resources.push({ type, id: rid, ...(detail?.(i) ? { detail: detail(i) } : {}) }));

  const [zones, interfaceEndpoints, gatewayEndpoints, nats, addresses, tables, gateways, groups, subnets, vpcs] = await Promise.all([
    findHostedZones(route53, id),
    findVpcEndpoints(ec2, id),
    findS3GatewayEndpoints(ec2, id),
    findNatGateways(ec2, id, ['pending', 'available', 'deleting']),
    findNatAddresses(ec2, id),
    findRouteTables(ec2, id),
    findInternetGateways(ec2, id),
    findSecurityGroups(ec2, id),
    findSubnets(ec2, id),
    findVpcs(ec2, id),
  ]);
  add('Route 53 hosted zone', zones.map((z) => z.zone.Id?.replace('/hostedzone/', '')), (i) => zones[i].zone.Name);
  const endpoints = [...interfaceEndpoints, ...gatewayEndpoints];
  const liveEndpoints = endpoints.filter((e) => (e.State ?? '').toLowerCase() !== 'deleted');
  add('VPC endpoint', liveEndpoints.map((e) => e.VpcEndpointId), (i) => liveEndpoints[i].State?.toLowerCase());
  add('NAT gateway', nats.map((n) => n.NatGatewayId), (i) => nats[i].State);
  add('Elastic IP', addresses.map((a) => a.AllocationId), (i) => addresses[i].PublicIp);
  add('route table', tables.map((t) => t.RouteTableId));
  add('internet gateway', gateways.map((g) => g.InternetGatewayId));
  add('security group', groups.map((g) => g.GroupId));
  add('subnet', subnets.map((s) => s.SubnetId));
  add('VPC', vpcs.map((v) => v.VpcId));

  // IAM cannot filter roles by tag and S3 cannot filter buckets by tag: look them up by the names we know, and
  // only when we know none (a teardown whose request lost them) read every role's or bucket's tags.
  const { config } = input;
  const named = [input.eksRole?.roleName, config.iamRole?.name, input.storageRole?.roleName, config.storageRole?.name, input.crossAccountRole?.roleName, config.crossAccountRole?.name];
  const knownRoles = named.filter((n): n is string => Boolean(n));
  const roleNames = knownRoles.length > 0 ? knownRoles : await findRolesByTag(iam, id);
  for (const name of new Set(roleNames)) {
    const role = await getRole(iam, name);
    if (role && isOurRole(role, id)) resources.push({ type: 'IAM role', id: name });
  }
  const knownBuckets = [input.bucket?.bucketName, config.bucket?.name].filter((n): n is string => Boolean(n));
  const bucketNames = knownBuckets.length > 0 ? [...new Set(knownBuckets)] : await findBucketsByTag(s3, id);
  // A bucket of ours that holds objects is kept on purpose (teardown never deletes data): reported, not a failure.
  const kept: Leftovers['resources'] = [];
  for (const bucket of await bucketLeftovers(s3, bucketNames, id)) {
    if (bucket.empty) resources.push({ type: 'S3 bucket', id: bucket.bucketName });
    else kept.push({ type: 'S3 bucket', id: bucket.bucketName, detail: 'holds objects: kept, never deleted with data' });
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
  const keptNote = kept.length > 0 ? ` Kept on purpose: ${kept.map((k) => `${k.type} ${k.id} (${k.detail})`).join(', ')}; empty it and tear down again to delete it.` : '';
  return { count: resources.length, sweep, resources, kept, message: message + keptNote };
}
