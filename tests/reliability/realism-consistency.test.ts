import {
  CreateNatGatewayCommand,
  CreateRouteTableCommand,
  CreateVpcCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeVpcsCommand,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import { AttachRolePolicyCommand, CreateRoleCommand, GetRoleCommand, NoSuchEntityException, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateHostedZoneCommand, HostedZoneAlreadyExists, ListHostedZonesByNameCommand } from '@aws-sdk/client-route-53';
import { iamClient, route53Client } from '../../shared/aws/clients';
import { isNotFound, translateAwsError } from '../../shared/aws/translate-error';
import { useMoto } from '../helpers/moto';
import { ec2, fakeClock, natPrerequisites, rejectionOf, useRealism } from './realism-helpers';

const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const INLINE = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeVpcs', Resource: '*' }] });

describe('realism: eventual consistency and idempotency tokens', () => {
  // Each test makes its own resources and looks only at them: no moto.reset() (it makes moto rebuild its backends).
  useMoto();
  const clock = fakeClock();
  const layer = useRealism({ profile: 'realistic', overrides: { readiness: false, throttling: false }, seed: 3, now: clock.now });

  it('a role just created answers NoSuchEntity to GetRole, AttachRolePolicy and PutRolePolicy for a while (real AWS: seconds) (R1-R3)', async () => {
    const iam = iamClient({ region: 'us-east-1' });
    await iam.send(new CreateRoleCommand({ RoleName: 'byoc-eks-consistency', AssumeRolePolicyDocument: TRUST }));
    const attach = () => iam.send(new AttachRolePolicyCommand({ RoleName: 'byoc-eks-consistency', PolicyArn: 'arn:aws:iam::aws:policy/AmazonEKSClusterPolicy' }));
    const put = () => iam.send(new PutRolePolicyCommand({ RoleName: 'byoc-eks-consistency', PolicyName: 'inline', PolicyDocument: INLINE }));

    const get = await rejectionOf(iam.send(new GetRoleCommand({ RoleName: 'byoc-eks-consistency' })));
    expect(get).toBeInstanceOf(NoSuchEntityException);
    expect(get.$metadata?.httpStatusCode).toBe(404);
    expect(isNotFound(get)).toBe(true);
    expect((await rejectionOf(attach())).name).toBe('NoSuchEntityException');
    expect((await rejectionOf(put())).name).toBe('NoSuchEntityException');

    clock.advance(81); // past 8 s / 100
    expect((await iam.send(new GetRoleCommand({ RoleName: 'byoc-eks-consistency' }))).Role?.RoleName).toBe('byoc-eks-consistency');
    await attach();
    await put();
    expect(layer.handle.counts()['eventual-consistency']).toBe(3);
  });

  it('a VPC just created is not found by ID for a while, then is', async () => {
    const vpc = await ec2().send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }));
    const vpcId = vpc.Vpc!.VpcId!;
    const describe = await rejectionOf(ec2().send(new DescribeVpcsCommand({ VpcIds: [vpcId] })));
    expect(describe.name).toBe('InvalidVpcID.NotFound');
    expect(describe.message).toBe(`The vpc ID '${vpcId}' does not exist`);
    const modify = await rejectionOf(ec2().send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } })));
    expect(isNotFound(modify, 'InvalidVpcID.NotFound')).toBe(true);
    clock.advance(31); // past 3 s / 100
    expect((await ec2().send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs?.[0]?.VpcId).toBe(vpcId);
  });

  it('a NAT gateway created twice with the same ClientToken is one NAT gateway, as on AWS (moto would make a second)', async () => {
    const pre = await natPrerequisites('10.31.0.0/16');
    const create = () => ec2().send(new CreateNatGatewayCommand({ SubnetId: pre.subnetId, AllocationId: pre.allocationId, ClientToken: 'p-1-CreateNatGateway' }));
    const [first, second] = await Promise.all([create(), create()]);
    const third = await create();
    expect(second.NatGateway?.NatGatewayId).toBe(first.NatGateway?.NatGatewayId);
    expect(third.NatGateway?.NatGatewayId).toBe(first.NatGateway?.NatGatewayId);
    clock.advance(31);
    const all = await ec2().send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'subnet-id', Values: [pre.subnetId] }] }));
    expect(all.NatGateways).toHaveLength(1);
    expect(layer.handle.counts()['idempotent-replay']).toBe(2);
  });

  it('the same ClientToken with other parameters is IdempotentParameterMismatch, a terminal error', async () => {
    const pre = await natPrerequisites('10.32.0.0/16');
    await ec2().send(new CreateNatGatewayCommand({ SubnetId: pre.subnetId, AllocationId: pre.allocationId, ClientToken: 'p-2-CreateNatGateway' }));
    const other = await natPrerequisites('10.33.0.0/16');
    const error = await rejectionOf(ec2().send(new CreateNatGatewayCommand({ SubnetId: other.subnetId, AllocationId: other.allocationId, ClientToken: 'p-2-CreateNatGateway' })));
    expect(error.name).toBe('IdempotentParameterMismatch');
    expect(error.$metadata?.attempts).toBe(1);
    expect(translateAwsError(error, 'create the NAT gateway').name).toBe('AwsOperationError');
    expect((await ec2().send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'subnet-id', Values: [other.subnetId] }] }))).NatGateways).toHaveLength(0);
  });

  it('a route table created twice with the same ClientToken is one route table', async () => {
    const { vpcId } = await natPrerequisites('10.34.0.0/16');
    const create = () => ec2().send(new CreateRouteTableCommand({ VpcId: vpcId, ClientToken: 'p-3-CreatePrivateRouteTable' }));
    const first = await create();
    expect((await create()).RouteTable?.RouteTableId).toBe(first.RouteTable?.RouteTableId);
    clock.advance(31);
    const tables = await ec2().send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
    expect(tables.RouteTables?.filter((t) => !t.Associations?.some((a) => a.Main))).toHaveLength(1);
  });

  it('a hosted zone CallerReference used again is HostedZoneAlreadyExists, as Route 53 documents it, and no second zone is made', async () => {
    const { vpcId } = await natPrerequisites('10.35.0.0/16');
    const r53 = route53Client({ region: 'us-east-1' });
    const create = () =>
      r53.send(new CreateHostedZoneCommand({ Name: 'consistency.example.com', CallerReference: 'p-4-zone', VPC: { VPCId: vpcId, VPCRegion: 'us-west-2' }, HostedZoneConfig: { PrivateZone: true } }));
    await create();
    const again = await rejectionOf(create());
    expect(again).toBeInstanceOf(HostedZoneAlreadyExists);
    expect(again.$metadata?.httpStatusCode).toBe(409);
    const zones = await r53.send(new ListHostedZonesByNameCommand({ DNSName: 'consistency.example.com' }));
    expect(zones.HostedZones?.filter((z) => z.Name === 'consistency.example.com.')).toHaveLength(1);
  });

  it('the layer is gone after uninstall: moto answers at once again', async () => {
    layer.handle.uninstall();
    const vpc = await ec2().send(new CreateVpcCommand({ CidrBlock: '10.36.0.0/16' }));
    expect((await ec2().send(new DescribeVpcsCommand({ VpcIds: [vpc.Vpc!.VpcId!] }))).Vpcs).toHaveLength(1);
    expect(layer.handle.events).toHaveLength(0);
  });
});
