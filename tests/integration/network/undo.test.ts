import {
  AllocateAddressCommand,
  CreateInternetGatewayCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import type { ProvisioningConfig } from '../../../shared/config';
import { testConfig } from '../../helpers/config';
import { useMoto } from '../../helpers/moto';
import { FULL_BUILD_COUNTS, NOTHING_LEFT, UNDO_ORDER, buildNetwork, countsOf, ec2, resourcesOf, run, type State } from './network-helpers';

const fullOptions = { network: { vpcEndpoint: { enabled: true }, privateDns: { enabled: true } } };
/** What a teardown gives the undo steps: who and where, nothing about the network. */
const teardownConfig = (config: ProvisioningConfig) => ({ provisioningId: config.provisioningId, region: config.region });

// Every test builds under its own provisioning ID, so one moto serves the file without resets.
describe('the network undo steps leave nothing of a provisioning behind, and nothing else is touched', () => {
  useMoto();

  it('a full undo, in reverse order with the whole state, leaves zero resources carrying the provisioning ID', async () => {
    const state = await buildNetwork(testConfig(fullOptions, 'undo-full'));
    expect(await countsOf('undo-full')).toEqual(FULL_BUILD_COUNTS);
    const built = await resourcesOf('undo-full');

    const deleted: Record<string, string[]> = {};
    for (const step of UNDO_ORDER) deleted[step] = (await run<{ deleted: string[] }>(step, state)).deleted;

    expect(await countsOf('undo-full')).toEqual(NOTHING_LEFT);
    expect(deleted.DeleteSubnets.sort()).toEqual([...built.subnets].sort());
    expect(deleted.DeleteRouteTables.sort()).toEqual([...built.routeTables].sort());
    expect(deleted.ReleaseElasticIp).toEqual(built.elasticIps);
    expect(deleted.DeletePrivateDns).toEqual(built.hostedZones);
    expect(deleted.DeleteS3GatewayEndpoint).toEqual(built.s3GatewayEndpoints);
  });

  it('each undo step finds its resources by tag when the state lost its key, and a second run finds nothing more to do', async () => {
    const config = testConfig(fullOptions, 'undo-by-tag');
    await buildNetwork(config);
    const built = await resourcesOf('undo-by-tag');
    const expected: Record<string, string[]> = {
      DeletePrivateDns: built.hostedZones,
      DeleteVpcEndpoint: built.vpcEndpoints,
      DeleteSecurityGroup: built.securityGroups,
      DeleteS3GatewayEndpoint: built.s3GatewayEndpoints,
      DeleteRouteTables: built.routeTables,
      DeleteNatGateway: built.natGateways,
      ReleaseElasticIp: built.elasticIps,
      DeleteInternetGateway: built.internetGateways,
      DeleteSubnets: built.subnets,
      DeleteVpc: built.vpcs,
    };
    const lost: State = { config: teardownConfig(config) };
    for (const step of UNDO_ORDER) {
      const first = await run<{ deleted: string[]; notFound: string[] }>(step, lost);
      const second = await run<{ deleted: string[]; notFound: string[] }>(step, lost);
      expect([step, first]).toEqual([step, { deleted: [...expected[step]].sort(), notFound: [] }]);
      // Deleted once is deleted once: a second run deletes nothing (EC2 may still list what it deleted, as not found).
      expect([step, second.deleted]).toEqual([step, []]);
      for (const id of second.notFound) expect([step, expected[step]]).toEqual([step, expect.arrayContaining([id])]);
    }
    expect(await countsOf('undo-by-tag')).toEqual(NOTHING_LEFT);
  });

  it('every undo step succeeds with nothing to do on a provisioning that never created anything', async () => {
    const state: State = { config: { provisioningId: 'undo-nothing', region: 'us-west-2' } };
    for (const step of UNDO_ORDER) expect([step, await run(step, state)]).toEqual([step, { deleted: [], notFound: [] }]);
  });

  it('ReleaseElasticIp raises DependencyViolationError while the NAT gateway is not deleted, and releases the address once it is', async () => {
    const state = await buildNetwork(testConfig({}, 'undo-eip-order'), 'CreateNatGateway');
    await expect(run('ReleaseElasticIp', state)).rejects.toMatchObject({ name: 'DependencyViolationError', message: expect.stringContaining(state.natGateway!.natGatewayId) });
    expect((await countsOf('undo-eip-order')).elasticIps).toBe(1);

    await run('DeleteNatGateway', state);
    expect(await run('ReleaseElasticIp', state)).toEqual({ deleted: [state.natGateway!.allocationId], notFound: [] });
    expect(await run('ReleaseElasticIp', state)).toEqual({ deleted: [], notFound: [state.natGateway!.allocationId] });
  });

  it('DeleteSecurityGroup raises DependencyViolationError while the VPC endpoint still uses the group', async () => {
    const state = await buildNetwork(testConfig({ network: { vpcEndpoint: { enabled: true } } }, 'undo-sg-order'), 'CheckVpcEndpoint');
    await expect(run('DeleteSecurityGroup', state)).rejects.toMatchObject({ name: 'DependencyViolationError', message: expect.stringContaining(state.vpcEndpoint!.vpcEndpointId) });
    expect((await countsOf('undo-sg-order')).securityGroups).toBe(1);

    await run('DeleteVpcEndpoint', state);
    expect(await run('DeleteSecurityGroup', state)).toEqual({ deleted: [state.securityGroup!.securityGroupId], notFound: [] });
  });

  it('resources without our provisioning-ID tag survive a full undo, even in the same account and region', async () => {
    const client = ec2();
    const vpc = (await client.send(new CreateVpcCommand({ CidrBlock: '10.99.0.0/16' }))).Vpc!;
    const subnet = (await client.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.99.0.0/24', AvailabilityZone: 'us-west-2a' }))).Subnet!;
    const group = await client.send(new CreateSecurityGroupCommand({ VpcId: vpc.VpcId, GroupName: 'demo-byoc-https', Description: 'same name as ours' }));
    const igw = (await client.send(new CreateInternetGatewayCommand({}))).InternetGateway!;
    const eip = await client.send(new AllocateAddressCommand({ Domain: 'vpc' }));

    const state = await buildNetwork(testConfig(fullOptions, 'undo-neighbours'));
    for (const step of UNDO_ORDER) await run(step, state);
    expect(await countsOf('undo-neighbours')).toEqual(NOTHING_LEFT);

    await expect(client.send(new DescribeVpcsCommand({ VpcIds: [vpc.VpcId!] }))).resolves.toMatchObject({ Vpcs: [expect.anything()] });
    await expect(client.send(new DescribeSubnetsCommand({ SubnetIds: [subnet.SubnetId!] }))).resolves.toMatchObject({ Subnets: [expect.anything()] });
    await expect(client.send(new DescribeSecurityGroupsCommand({ GroupIds: [group.GroupId!] }))).resolves.toMatchObject({ SecurityGroups: [expect.anything()] });
    await expect(client.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [igw.InternetGatewayId!] }))).resolves.toMatchObject({ InternetGateways: [expect.anything()] });
    await expect(client.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] }))).resolves.toMatchObject({ Addresses: [expect.anything()] });
  });

  it('an undo step refuses (ForeignResourceError) a resource the state names that lacks our tag, and leaves it in place', async () => {
    const client = ec2();
    const vpc = (await client.send(new CreateVpcCommand({ CidrBlock: '10.98.0.0/16' }))).Vpc!;
    const subnet = (await client.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.98.0.0/24', AvailabilityZone: 'us-west-2a' }))).Subnet!;
    const group = await client.send(new CreateSecurityGroupCommand({ VpcId: vpc.VpcId, GroupName: 'foreign', Description: 'not ours' }));
    const config = { provisioningId: 'undo-foreign', region: 'us-west-2' };

    await expect(run('DeleteSecurityGroup', { config, securityGroup: { securityGroupId: group.GroupId! } })).rejects.toMatchObject({
      name: 'ForeignResourceError',
      message: expect.stringContaining(group.GroupId!),
    });
    await expect(run('DeleteSubnets', { config, subnets: { publicSubnetId: subnet.SubnetId!, privateSubnets: [] } })).rejects.toMatchObject({ name: 'ForeignResourceError' });
    await expect(client.send(new DescribeSecurityGroupsCommand({ GroupIds: [group.GroupId!] }))).resolves.toMatchObject({ SecurityGroups: [expect.anything()] });
    await expect(client.send(new DescribeSubnetsCommand({ SubnetIds: [subnet.SubnetId!] }))).resolves.toMatchObject({ Subnets: [expect.anything()] });
  });

  it('undo steps report IDs in the state that no longer exist as notFound, never as deleted', async () => {
    const config = { provisioningId: 'undo-gone', region: 'us-west-2' };
    const state: State = {
      config,
      vpc: { vpcId: 'vpc-0123456789abcdef0' },
      subnets: { publicSubnetId: 'subnet-0123456789abcdef0', privateSubnets: [] },
      internetGateway: { internetGatewayId: 'igw-0123456789abcdef0' },
      natGateway: { natGatewayId: 'nat-0123456789abcdef0', allocationId: 'eipalloc-0123456789abcdef0', state: 'available' },
      routeTables: { publicRouteTableId: 'rtb-0123456789abcdef0', privateRouteTableId: 'rtb-0123456789abcdef1' },
      securityGroup: { securityGroupId: 'sg-0123456789abcdef0' },
      vpcEndpoint: { vpcEndpointId: 'vpce-0123456789abcdef0', state: 'available' },
      privateDns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', changeId: 'C0123', recordName: 'zilliz-byoc-us.byoc.zillizcloud.com' },
      s3GatewayEndpoint: { vpcEndpointId: 'vpce-0123456789abcdef1' },
    };
    const gone: Record<string, string[]> = {
      DeletePrivateDns: ['Z0123456789ABCDEFGHIJ'],
      DeleteVpcEndpoint: ['vpce-0123456789abcdef0'],
      DeleteSecurityGroup: ['sg-0123456789abcdef0'],
      DeleteS3GatewayEndpoint: ['vpce-0123456789abcdef1'],
      DeleteRouteTables: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef1'],
      DeleteNatGateway: ['nat-0123456789abcdef0'],
      ReleaseElasticIp: ['eipalloc-0123456789abcdef0'],
      DeleteInternetGateway: ['igw-0123456789abcdef0'],
      DeleteSubnets: ['subnet-0123456789abcdef0'],
      DeleteVpc: ['vpc-0123456789abcdef0'],
    };
    for (const step of UNDO_ORDER) expect([step, await run(step, state)]).toEqual([step, { deleted: [], notFound: gone[step] }]);
  });
});
