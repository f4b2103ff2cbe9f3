import { CreateNatGatewayCommand, AllocateAddressCommand, DescribeAddressesCommand, DescribeNatGatewaysCommand, DescribeVpcEndpointsCommand, CreateVpcEndpointCommand, EC2Client, type VpcEndpoint } from '@aws-sdk/client-ec2';
import { GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { checkNatGateway, createNatGateway } from '../../../shared/network/nat-gateway';
import { checkPrivateDnsChange } from '../../../shared/network/private-dns';
import { checkVpcEndpoint, createVpcEndpoint } from '../../../shared/network/vpc-endpoint';
import { testConfig } from '../../helpers/config';

// Waiting is the state machine's job: the create steps return at once with the current state, and the check
// steps report it. moto makes everything available at once, so the in-between states are tested here.
const ec2Mock = mockClient(EC2Client);
const route53Mock = mockClient(Route53Client);
const ec2 = new EC2Client({ region: 'us-west-2' });
const route53 = new Route53Client({ region: 'us-west-2' });
const config = testConfig({ network: { vpcEndpoint: { enabled: true }, privateDns: { enabled: true } } }, 'p-ready');

afterEach(() => {
  ec2Mock.reset();
  route53Mock.reset();
});

describe('the NAT gateway (V6): created without waiting, then checked until available', () => {
  const state = { natGateway: { natGatewayId: 'nat-1', allocationId: 'eipalloc-1', state: 'pending' } };

  it('CreateNatGateway returns at once with the pending gateway', async () => {
    ec2Mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
    // Nothing found by tag before the allocation; the new address listed by tag after it.
    const ours = [{ Key: 'byoc:provisioning-id', Value: 'p-ready' }, { Key: 'byoc:resource', Value: 'nat-eip' }];
    ec2Mock.on(DescribeAddressesCommand).resolvesOnce({ Addresses: [] }).resolves({ Addresses: [{ AllocationId: 'eipalloc-1', Tags: ours }] });
    ec2Mock.on(AllocateAddressCommand).resolves({ AllocationId: 'eipalloc-1', PublicIp: '203.0.113.7' });
    ec2Mock.on(CreateNatGatewayCommand).resolves({ NatGateway: { NatGatewayId: 'nat-1', State: 'pending' } });
    await expect(createNatGateway(config, { publicSubnetId: 'subnet-pub', privateSubnets: [] }, { ec2 })).resolves.toEqual({
      natGatewayId: 'nat-1',
      allocationId: 'eipalloc-1',
      state: 'pending',
    });
    const create = ec2Mock.commandCalls(CreateNatGatewayCommand)[0].args[0].input;
    expect(create).toMatchObject({ SubnetId: 'subnet-pub', AllocationId: 'eipalloc-1', ConnectivityType: 'public', ClientToken: expect.stringMatching(/^byoc-[0-9a-f]{48}$/) });
  });

  it.each([
    ['pending', false],
    ['available', true],
  ])('CheckNatGateway reports %s as ready=%s', async (natState, ready) => {
    ec2Mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [{ NatGatewayId: 'nat-1', State: natState as 'pending' }] });
    await expect(checkNatGateway(config, state, { ec2 })).resolves.toEqual({ state: natState, ready });
  });

  it('CheckNatGateway fails for good (ResourceFailedError) on a failed gateway, with AWS\'s reason', async () => {
    ec2Mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [{ NatGatewayId: 'nat-1', State: 'failed', FailureCode: 'InsufficientFreeAddressesInSubnet', FailureMessage: 'no free IP' }] });
    await expect(checkNatGateway(config, state, { ec2 })).rejects.toMatchObject({ name: 'ResourceFailedError', message: expect.stringContaining('InsufficientFreeAddressesInSubnet: no free IP') });
  });

  it('CheckNatGateway fails for good on a gateway someone deleted', async () => {
    ec2Mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [{ NatGatewayId: 'nat-1', State: 'deleting' }] });
    await expect(checkNatGateway(config, state, { ec2 })).rejects.toMatchObject({ name: 'ResourceFailedError' });
  });

  it('CheckNatGateway asks for a retry (EventualConsistencyError) when the new gateway is not visible yet', async () => {
    ec2Mock.on(DescribeNatGatewaysCommand).rejects(Object.assign(new Error('not found'), { name: 'NatGatewayNotFound', $metadata: { httpStatusCode: 400 } }));
    await expect(checkNatGateway(config, state, { ec2 })).rejects.toMatchObject({ name: 'EventualConsistencyError' });
  });
});

describe('the VPC endpoint (V9): created without waiting, then checked until available', () => {
  const state = { vpcEndpoint: { vpcEndpointId: 'vpce-1', state: 'pending' } };
  const dns = [{ DnsName: 'vpce-1-abc.vpce-svc-0654fb016640c364a.us-west-2.vpce.amazonaws.com', HostedZoneId: 'Z1YSA3EXCYUU9Z' }];

  it('CreateVpcEndpoint returns at once with the pending endpoint, in the private subnets, private DNS on, with the group', async () => {
    ec2Mock.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });
    ec2Mock.on(CreateVpcEndpointCommand).resolves({ VpcEndpoint: { VpcEndpointId: 'vpce-1', State: 'pending' as VpcEndpoint['State'] } });
    const inputs = {
      vpc: { vpcId: 'vpc-1' },
      subnets: { publicSubnetId: 'subnet-p', privateSubnets: ['a', 'b', 'c'].map((z) => ({ subnetId: `subnet-${z}`, cidr: '', availabilityZone: z })) },
      securityGroup: { securityGroupId: 'sg-1' },
    };
    await expect(createVpcEndpoint(config, inputs, { ec2 })).resolves.toEqual({ vpcEndpointId: 'vpce-1', state: 'pending' });
    expect(ec2Mock.commandCalls(CreateVpcEndpointCommand)[0].args[0].input).toMatchObject({
      VpcEndpointType: 'Interface',
      ServiceName: 'com.amazonaws.vpce.us-west-2.vpce-svc-0654fb016640c364a',
      SubnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
      SecurityGroupIds: ['sg-1'],
      PrivateDnsEnabled: true,
    });
  });

  // AWS answers in camel case (`pendingAcceptance`, `available`); the SDK's enum is capitalised. Both are understood.
  it.each([
    ['pending', false],
    ['Pending', false],
    ['available', true],
    ['Available', true],
  ])('CheckVpcEndpoint reports %s as ready=%s', async (endpointState, ready) => {
    ec2Mock.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [{ VpcEndpointId: 'vpce-1', State: endpointState as VpcEndpoint['State'], DnsEntries: ready ? dns : [] }] });
    await expect(checkVpcEndpoint(config, state, { ec2 })).resolves.toEqual({
      state: endpointState,
      ready,
      dnsName: ready ? dns[0].DnsName : null,
      hostedZoneId: ready ? dns[0].HostedZoneId : null,
    });
  });

  it.each(['failed', 'deleting', 'deleted'])('CheckVpcEndpoint fails for good (ResourceFailedError) on a %s endpoint', async (endpointState) => {
    ec2Mock.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [{ VpcEndpointId: 'vpce-1', State: endpointState as VpcEndpoint['State'], ServiceName: 'svc' }] });
    await expect(checkVpcEndpoint(config, state, { ec2 })).rejects.toMatchObject({ name: 'ResourceFailedError', message: expect.stringContaining(`is ${endpointState}`) });
  });

  it('CheckVpcEndpoint names EC2\'s reason for a failed endpoint', async () => {
    ec2Mock.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [{ VpcEndpointId: 'vpce-1', State: 'Failed', ServiceName: 'svc', LastError: { Code: 'InsufficientCapacity', Message: 'no room' } }] });
    await expect(checkVpcEndpoint(config, state, { ec2 })).rejects.toMatchObject({ name: 'ResourceFailedError', message: expect.stringContaining('(InsufficientCapacity: no room)') });
  });

  const service = 'com.amazonaws.vpce.us-west-2.vpce-svc-0654fb016640c364a';
  it.each([
    ['pendingAcceptance', 'is pendingAcceptance: the vendor has not accepted its connection'],
    ['PendingAcceptance', 'is pendingAcceptance: the vendor has not accepted its connection'],
    ['rejected', 'was rejected by the vendor\'s endpoint service'],
    ['Rejected', 'was rejected by the vendor\'s endpoint service'],
    ['expired', 'expired before the vendor accepted its connection'],
  ])('V9: CheckVpcEndpoint reports a %s endpoint at once as VpcEndpointNotAcceptedError (terminal), saying what to ask the vendor', async (endpointState, why) => {
    ec2Mock.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [{ VpcEndpointId: 'vpce-1', State: endpointState as VpcEndpoint['State'], ServiceName: service, OwnerId: '123456789012' }] });
    const error = await checkVpcEndpoint(config, state, { ec2 }).then(() => undefined, (e: Error) => e);
    expect(error).toMatchObject({ name: 'VpcEndpointNotAcceptedError' });
    expect(error!.message).toBe(
      `VPC endpoint vpce-1 to ${service} ${why}${why.startsWith('is pending') ? ', and it does not become available until they do' : ''}. ` +
        `Ask Zilliz to allow account 123456789012 on ${service} and to accept its endpoint connections automatically (the rollback deletes this endpoint), then provision again (V9)`,
    );
  });
});

describe('the private DNS change (V10): checked until INSYNC', () => {
  const state = { privateDns: { hostedZoneId: 'Z1', changeId: 'C1', recordName: 'zilliz-byoc-us.byoc.zillizcloud.com' } };

  it.each([
    ['PENDING', false],
    ['INSYNC', true],
  ] as const)('CheckPrivateDnsChange reports %s as ready=%s', async (status, ready) => {
    route53Mock.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: status, SubmittedAt: new Date() } });
    await expect(checkPrivateDnsChange(state, { route53 })).resolves.toEqual({ status, ready });
  });

  it('CheckPrivateDnsChange retries (EventualConsistencyError) a change Route 53 does not know yet', async () => {
    route53Mock.on(GetChangeCommand).rejects(Object.assign(new Error('no such change'), { name: 'NoSuchChange', $metadata: { httpStatusCode: 404 } }));
    await expect(checkPrivateDnsChange(state, { route53 })).rejects.toMatchObject({ name: 'EventualConsistencyError' });
  });
});
