import { CreateRouteTableCommand, CreateVpcCommand, CreateVpcEndpointCommand, DescribeRouteTablesCommand, DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import { TAG_PROVISIONING_ID } from '../../../shared/constants';
import { tagSpecification } from '../../../shared/tags';
import { installRealism } from '../../../local/realism';
import { testConfig, TEST_EXTERNAL_ID } from '../../helpers/config';
import { useMoto } from '../../helpers/moto';
import { buildNetwork, countsOf, ec2, run, type State } from './network-helpers';

const S3 = 'com.amazonaws.us-west-2.s3';
const withExternalId = { crossAccountRole: { externalId: TEST_EXTERNAL_ID } };
const config = (provisioningId: string, network: Record<string, unknown> = {}) => testConfig({ ...withExternalId, network }, provisioningId);

/** Every S3 gateway endpoint carrying the provisioning ID that is not deleted, as EC2 reports it. */
async function gatewayEndpointsOf(provisioningId: string) {
  const out = await ec2().send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: `tag:${TAG_PROVISIONING_ID}`, Values: [provisioningId] }, { Name: 'vpc-endpoint-type', Values: ['Gateway'] }] }));
  return (out.VpcEndpoints ?? []).filter((e) => !['deleting', 'deleted'].includes((e.State ?? '').toLowerCase()));
}

/** The routes of a route table that go to a VPC endpoint (a gateway endpoint's prefix-list routes). */
async function endpointRoutes(routeTableId: string): Promise<string[]> {
  const [table] = (await ec2().send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTableId] }))).RouteTables!;
  return (table.Routes ?? []).filter((r) => r.GatewayId?.startsWith('vpce-')).map((r) => r.GatewayId!);
}

// Each test builds under its own provisioning ID, so one moto serves the file without resets.
describe('S1: CreateS3GatewayEndpoint puts one gateway endpoint for S3 on the private route table, and its undo takes it away', () => {
  useMoto();

  it('S1: makes a Gateway endpoint to com.amazonaws.<region>.s3 in the VPC, on the private route table only, tagged, available at once', async () => {
    const state = await buildNetwork(config('s3-create'), 'CreateS3GatewayEndpoint');
    const { vpcEndpointId } = state.s3GatewayEndpoint as { vpcEndpointId: string };
    const [endpoint] = await gatewayEndpointsOf('s3-create');
    expect(endpoint).toMatchObject({ VpcEndpointId: vpcEndpointId, VpcEndpointType: 'Gateway', ServiceName: S3, VpcId: state.vpc!.vpcId, State: 'available' });
    expect(endpoint.RouteTableIds).toEqual([state.routeTables!.privateRouteTableId]);
    expect(Object.fromEntries((endpoint.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({ Vendor: 'zilliz-byoc', Name: 'demo-s3-gateway-endpoint', 'byoc:resource': 's3-gateway-endpoint' });
    expect(await endpointRoutes(state.routeTables!.privateRouteTableId)).toEqual([vpcEndpointId]);
    expect(await endpointRoutes(state.routeTables!.publicRouteTableId)).toEqual([]);
  });

  it('S1: run twice, the second time with the first answer lost (its key not in the state), it makes exactly one endpoint and names it both times', async () => {
    const state = await buildNetwork(config('s3-twice'), 'CreateRouteTables');
    const first = await run('CreateS3GatewayEndpoint', state);
    const second = await run('CreateS3GatewayEndpoint', state);
    expect(second).toEqual(first);
    expect((await gatewayEndpointsOf('s3-twice')).map((e) => e.VpcEndpointId)).toEqual([(first as { vpcEndpointId: string }).vpcEndpointId]);
  });

  it('S1: after a lost answer to CreateVpcEndpoint (AWS acted, the step got a network error), the retry finds that endpoint: one in all', async () => {
    const state = await buildNetwork(config('s3-lost'), 'CreateRouteTables');
    const realism = installRealism({ profile: 'realistic', seed: 3, overrides: { readiness: false, consistency: false, throttling: false }, faults: 'CreateVpcEndpoint:lose-response' });
    try {
      await expect(run('CreateS3GatewayEndpoint', state)).rejects.toMatchObject({ name: 'RetryableAwsError' });
      expect(await gatewayEndpointsOf('s3-lost')).toHaveLength(1); // AWS acted
      const retried = await run<{ vpcEndpointId: string }>('CreateS3GatewayEndpoint', state);
      expect((await gatewayEndpointsOf('s3-lost')).map((e) => e.VpcEndpointId)).toEqual([retried.vpcEndpointId]);
      expect(realism.events.map((e) => [e.kind, e.operation])).toEqual([['lose-response', 'CreateVpcEndpoint']]);
    } finally {
      realism.uninstall();
    }
  });

  it('S1: skipped when the request turns it off, making nothing; its undo then has nothing to do', async () => {
    const state = await buildNetwork(config('s3-off', { s3GatewayEndpoint: { enabled: false } }), 'CreateS3GatewayEndpoint');
    expect(state.s3GatewayEndpoint).toEqual({ skipped: true });
    expect(await gatewayEndpointsOf('s3-off')).toEqual([]);
    expect(await run('DeleteS3GatewayEndpoint', state)).toEqual({ deleted: [], notFound: [] });
  });

  it('S1: the undo removes the endpoint and its route; run again it says the endpoint is not there rather than deleted', async () => {
    const state = await buildNetwork(config('s3-undo'), 'CreateS3GatewayEndpoint');
    const { vpcEndpointId } = state.s3GatewayEndpoint as { vpcEndpointId: string };
    expect(await run('DeleteS3GatewayEndpoint', state)).toEqual({ deleted: [vpcEndpointId], notFound: [] });
    expect(await gatewayEndpointsOf('s3-undo')).toEqual([]);
    expect(await endpointRoutes(state.routeTables!.privateRouteTableId)).toEqual([]);
    expect(await run('DeleteS3GatewayEndpoint', state)).toEqual({ deleted: [], notFound: [vpcEndpointId] });
    // A teardown knows only who and where: found by tag, already deleted.
    expect(await run('DeleteS3GatewayEndpoint', { config: { provisioningId: 's3-undo', region: 'us-west-2' } })).toEqual({ deleted: [], notFound: [vpcEndpointId] });
  });

  it('S1 and V9: each endpoint undo deletes only its own kind, even when the state names the other one', async () => {
    const state = await buildNetwork(config('s3-kinds', { vpcEndpoint: { enabled: true } }), 'CheckVpcEndpoint');
    const gateway = (state.s3GatewayEndpoint as { vpcEndpointId: string }).vpcEndpointId;
    const iface = state.vpcEndpoint!.vpcEndpointId;
    const live = async () =>
      (await ec2().send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [gateway, iface] }))).VpcEndpoints!.filter((e) => (e.State ?? '').toLowerCase() !== 'deleted').map((e) => e.VpcEndpointId).sort();

    // Crossed IDs in the state: each undo must leave the other kind alone.
    expect(await run('DeleteS3GatewayEndpoint', { config: state.config, s3GatewayEndpoint: { vpcEndpointId: iface } })).toEqual({ deleted: [gateway], notFound: [] });
    expect(await live()).toEqual([iface]);
    await buildNetwork(state.config as ReturnType<typeof config>, 'CreateS3GatewayEndpoint'); // the gateway endpoint again
    const again = (await gatewayEndpointsOf('s3-kinds'))[0].VpcEndpointId!;
    expect(await run('DeleteVpcEndpoint', { config: state.config, vpcEndpoint: { vpcEndpointId: again, state: 'available' } })).toEqual({ deleted: [iface], notFound: [] });
    expect((await gatewayEndpointsOf('s3-kinds')).map((e) => e.VpcEndpointId)).toEqual([again]);
  });

  it('S1: the undo refuses an endpoint the state names that is not ours, and leaves it; another provisioning\'s is never found', async () => {
    const client = ec2();
    const vpc = (await client.send(new CreateVpcCommand({ CidrBlock: '10.97.0.0/16' }))).Vpc!;
    const table = (await client.send(new CreateRouteTableCommand({ VpcId: vpc.VpcId }))).RouteTable!;
    const foreign = (await client.send(new CreateVpcEndpointCommand({ VpcEndpointType: 'Gateway', VpcId: vpc.VpcId, ServiceName: S3, RouteTableIds: [table.RouteTableId!] }))).VpcEndpoint!;
    const othersConfig = config('s3-another');
    const others = (
      await client.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Gateway',
          VpcId: vpc.VpcId,
          ServiceName: 'com.amazonaws.us-west-2.dynamodb',
          RouteTableIds: [table.RouteTableId!],
          TagSpecifications: tagSpecification(othersConfig, 'vpc-endpoint', 's3-gateway-endpoint'),
        }),
      )
    ).VpcEndpoint!;

    const mine: State = { config: { provisioningId: 's3-foreign', region: 'us-west-2' }, s3GatewayEndpoint: { vpcEndpointId: foreign.VpcEndpointId! } };
    await expect(run('DeleteS3GatewayEndpoint', mine)).rejects.toMatchObject({ name: 'ForeignResourceError', message: expect.stringContaining(foreign.VpcEndpointId!) });
    expect(await run('DeleteS3GatewayEndpoint', { config: mine.config })).toEqual({ deleted: [], notFound: [] });
    const still = (await client.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [foreign.VpcEndpointId!, others.VpcEndpointId!] }))).VpcEndpoints!;
    expect(still.map((e) => e.State)).toEqual(['available', 'available']);
    expect((await countsOf('s3-foreign')).s3GatewayEndpoints).toBe(0);
  });
});
