import {
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DeleteRouteTableCommand,
  DescribeRouteTablesCommand,
  DisassociateRouteTableCommand,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
  type EC2Client,
  type Filter,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import type { ProvisioningConfig, TargetConfig } from '../config';
import { TAG_RESOURCE } from '../constants';
import { EventualConsistencyError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { clientToken, ownershipFilters, tagSpecification, tagValue } from '../tags';
import { UndoTally, keepOwned, ownedResources } from './ownership';
import type { InternetGatewayState, NatGatewayState, NetworkState, RouteTablesState, SubnetsState, UndoResult, VpcState } from './types';

export const PUBLIC_ROUTE_TABLE_RESOURCE = 'public-route-table';
export const PRIVATE_ROUTE_TABLE_RESOURCE = 'private-route-table';
/** The default route: everything not inside the VPC. */
export const ANYWHERE_IPV4 = '0.0.0.0/0';

/** EC2 codes meaning "an ID we were given (or just made) is not visible yet". */
const NOT_VISIBLE = ['InvalidRouteTableID.NotFound', 'InvalidGatewayID.NotFound', 'InvalidNatGatewayID.NotFound', 'InvalidSubnetID.NotFound', 'InvalidVpcID.NotFound'];

/** The provisioning's route tables (both kinds), found by the ownership tags; optionally only those of one VPC. */
export async function findRouteTables(ec2: EC2Client, provisioningId: string, vpcId?: string): Promise<RouteTable[]> {
  const filters: Filter[] = [
    ...ownershipFilters(provisioningId),
    { Name: `tag:${TAG_RESOURCE}`, Values: [PUBLIC_ROUTE_TABLE_RESOURCE, PRIVATE_ROUTE_TABLE_RESOURCE] },
  ];
  if (vpcId) filters.push({ Name: 'vpc-id', Values: [vpcId] });
  try {
    const out = await ec2.send(new DescribeRouteTablesCommand({ Filters: filters }));
    return keepOwned(out.RouteTables ?? [], (t) => t.Tags, provisioningId, [PUBLIC_ROUTE_TABLE_RESOURCE, PRIVATE_ROUTE_TABLE_RESOURCE]).sort((a, b) => (a.RouteTableId ?? '').localeCompare(b.RouteTableId ?? ''));
  } catch (error) {
    throw translateAwsError(error, `look up the route tables of provisioning ${provisioningId}`);
  }
}

async function describeRouteTable(ec2: EC2Client, id: string): Promise<RouteTable | undefined> {
  try {
    return (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }))).RouteTables?.[0];
  } catch (error) {
    if (isNotFound(error, 'InvalidRouteTableID.NotFound')) return undefined;
    throw translateAwsError(error, `look up route table ${id}`);
  }
}

type Target = { GatewayId: string } | { NatGatewayId: string };

const targetId = (target: Target): string => ('GatewayId' in target ? target.GatewayId : target.NatGatewayId);

interface TablePlan {
  kind: typeof PUBLIC_ROUTE_TABLE_RESOURCE | typeof PRIVATE_ROUTE_TABLE_RESOURCE;
  target: Target;
  subnetIds: string[];
}

/** Find-or-create one route table, make its default route point at `target`, and associate it with its subnets. */
async function ensureRouteTable(ec2: EC2Client, config: ProvisioningConfig, vpcId: string, existing: RouteTable[], plan: TablePlan): Promise<string> {
  let table = existing.find((t) => tagValue(t.Tags, TAG_RESOURCE) === plan.kind);
  const what = `the ${plan.kind} of ${vpcId}`;
  try {
    if (table) {
      logger.info('found existing route table', { routeTableId: table.RouteTableId, kind: plan.kind });
    } else {
      const out = await ec2.send(
        new CreateRouteTableCommand({
          VpcId: vpcId,
          ClientToken: clientToken(config.provisioningId, `CreateRouteTable/${plan.kind}`),
          TagSpecifications: tagSpecification(config, 'route-table', plan.kind),
        }),
      );
      table = out.RouteTable;
      if (!table?.RouteTableId) throw new EventualConsistencyError('EC2 returned no route table ID');
      logger.info('created route table', { routeTableId: table.RouteTableId, kind: plan.kind });
    }
    const routeTableId = table.RouteTableId!;

    const current = (table.Routes ?? []).find((r) => r.DestinationCidrBlock === ANYWHERE_IPV4);
    const pointsAtTarget = current && (current.GatewayId ?? current.NatGatewayId) === targetId(plan.target) && current.State !== 'blackhole';
    if (!pointsAtTarget) {
      const route = { RouteTableId: routeTableId, DestinationCidrBlock: ANYWHERE_IPV4, ...plan.target };
      if (current) {
        await ec2.send(new ReplaceRouteCommand(route));
      } else {
        try {
          await ec2.send(new CreateRouteCommand(route));
        } catch (error) {
          // Added by a concurrent run since our look-up: make sure it points where we want.
          if (awsErrorCode(error) !== 'RouteAlreadyExists') throw error;
          await ec2.send(new ReplaceRouteCommand(route));
        }
      }
      logger.info('set default route', { routeTableId, target: targetId(plan.target) });
    }

    // Where each subnet is associated now (a subnet has at most one explicit association).
    const inVpc = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: plan.subnetIds }] }));
    for (const subnetId of plan.subnetIds) {
      const association = (inVpc.RouteTables ?? [])
        .flatMap((t) => t.Associations ?? [])
        .find((a) => a.SubnetId === subnetId && a.AssociationState?.State !== 'disassociated');
      if (association?.RouteTableId === routeTableId) continue;
      if (association?.RouteTableAssociationId) {
        await ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId: association.RouteTableAssociationId, RouteTableId: routeTableId }));
      } else {
        await ec2.send(new AssociateRouteTableCommand({ RouteTableId: routeTableId, SubnetId: subnetId }));
      }
      logger.info('associated route table', { routeTableId, subnetId });
    }
    return routeTableId;
  } catch (error) {
    if (isNotFound(error, ...NOT_VISIBLE)) throw new EventualConsistencyError(`a resource of ${what} is not visible yet: ${awsErrorCode(error)}`, { cause: error });
    throw translateAwsError(error, `set up ${what}`);
  }
}

/**
 * V6: the public route table (0.0.0.0/0 -> internet gateway) for the public subnet, and one private route table
 * (0.0.0.0/0 -> the NAT gateway) for the three private subnets. Find-or-create by tag (plus a ClientToken), then
 * converge the default route and the associations, so a re-run changes nothing and never adds a table.
 *
 * @example const { publicRouteTableId, privateRouteTableId } = await createRouteTables(config, state, { ec2 });
 */
export async function createRouteTables(
  config: ProvisioningConfig,
  inputs: { vpc: VpcState; subnets: SubnetsState; internetGateway: InternetGatewayState; natGateway: NatGatewayState },
  deps: { ec2: EC2Client },
): Promise<RouteTablesState> {
  const { ec2 } = deps;
  const existing = await findRouteTables(ec2, config.provisioningId, inputs.vpc.vpcId);
  const publicRouteTableId = await ensureRouteTable(ec2, config, inputs.vpc.vpcId, existing, {
    kind: PUBLIC_ROUTE_TABLE_RESOURCE,
    target: { GatewayId: inputs.internetGateway.internetGatewayId },
    subnetIds: [inputs.subnets.publicSubnetId],
  });
  const privateRouteTableId = await ensureRouteTable(ec2, config, inputs.vpc.vpcId, existing, {
    kind: PRIVATE_ROUTE_TABLE_RESOURCE,
    target: { NatGatewayId: inputs.natGateway.natGatewayId },
    subnetIds: inputs.subnets.privateSubnets.map((s) => s.subnetId),
  });
  return { publicRouteTableId, privateRouteTableId };
}

/**
 * Undo of {@link createRouteTables}: for each route table of the provisioning (named in the state, or found by
 * tag), remove its subnet associations, then delete it (its routes go with it). "Not found" is success, reported
 * in `notFound`.
 *
 * @example await deleteRouteTables(config, state, { ec2 }) // { deleted: ['rtb-1', 'rtb-2'], notFound: [] }
 */
export async function deleteRouteTables(config: TargetConfig, state: NetworkState, deps: { ec2: EC2Client }): Promise<UndoResult> {
  const { ec2 } = deps;
  const { owned: tables, notFound } = await ownedResources({
    provisioningId: config.provisioningId,
    kind: 'route table',
    found: await findRouteTables(ec2, config.provisioningId),
    named: [state.routeTables?.publicRouteTableId, state.routeTables?.privateRouteTableId],
    idOf: (t) => t.RouteTableId,
    tagsOf: (t) => t.Tags,
    describe: (id) => describeRouteTable(ec2, id),
  });
  const tally = new UndoTally(notFound);
  for (const table of tables) {
    const id = table.RouteTableId!;
    try {
      for (const association of table.Associations ?? []) {
        // Our tables are never a VPC's main table; the main association cannot be removed anyway.
        if (association.Main || !association.RouteTableAssociationId) continue;
        try {
          await ec2.send(new DisassociateRouteTableCommand({ AssociationId: association.RouteTableAssociationId }));
        } catch (error) {
          if (!isNotFound(error, 'InvalidAssociationID.NotFound')) throw error;
        }
      }
      await ec2.send(new DeleteRouteTableCommand({ RouteTableId: id }));
      logger.info('deleted route table', { routeTableId: id });
      tally.deleted.push(id);
    } catch (error) {
      if (!isNotFound(error, 'InvalidRouteTableID.NotFound')) throw translateAwsError(error, `disassociate and delete route table ${id}`);
      tally.notFound.push(id);
    }
  }
  return tally.result();
}
