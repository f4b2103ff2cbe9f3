import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcEndpointCommand,
  DeleteNatGatewayCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcEndpointsCommand,
  DescribeNatGatewaysCommand,
  DescribeVpcEndpointsCommand,
  DetachInternetGatewayCommand,
  ReleaseAddressCommand,
} from '@aws-sdk/client-ec2';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, GetChangeCommand } from '@aws-sdk/client-route-53';
import { route53Client } from '../../shared/aws/clients';
import { translateAwsError } from '../../shared/aws/translate-error';
import { useMoto } from '../helpers/moto';
import { ec2, fakeClock, natPrerequisites, rejectionOf, useRealism } from './realism-helpers';

const natState = async (id: string) => (await ec2().send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways?.[0]?.State;
const endpointState = async (id: string) => (await ec2().send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))).VpcEndpoints?.[0]?.State;

async function createNat() {
  const pre = await natPrerequisites();
  const out = await ec2().send(new CreateNatGatewayCommand({ SubnetId: pre.subnetId, AllocationId: pre.allocationId, ClientToken: `nat-${pre.subnetId}` }));
  return { ...pre, natGatewayId: out.NatGateway!.NatGatewayId!, createState: out.NatGateway!.State };
}

async function createEndpoint() {
  const pre = await natPrerequisites('10.2.0.0/16');
  const subnet = await ec2().send(new CreateSubnetCommand({ VpcId: pre.vpcId, CidrBlock: '10.2.64.0/18', AvailabilityZone: 'us-west-2b' }));
  const sg = await ec2().send(new CreateSecurityGroupCommand({ VpcId: pre.vpcId, GroupName: 'endpoint', Description: 'endpoint' }));
  const out = await ec2().send(
    new CreateVpcEndpointCommand({
      VpcId: pre.vpcId,
      VpcEndpointType: 'Interface',
      ServiceName: 'com.amazonaws.vpce.us-west-2.vpce-svc-0123456789abcdef0',
      SubnetIds: [subnet.Subnet!.SubnetId!],
      SecurityGroupIds: [sg.GroupId!],
      PrivateDnsEnabled: true,
    }),
  );
  return { subnetId: subnet.Subnet!.SubnetId!, groupId: sg.GroupId!, endpointId: out.VpcEndpoint!.VpcEndpointId!, createState: out.VpcEndpoint!.State };
}

describe('realism: time to become ready, on the time scale (real AWS duration / 100)', () => {
  // No moto.reset() between tests: every test makes its own resources and looks only at them (a reset makes
  // moto rebuild its EC2 backend on the next call, which costs seconds).
  useMoto();
  const clock = fakeClock();
  const layer = useRealism({ profile: 'realistic', overrides: { consistency: false, throttling: false }, seed: 1, now: clock.now });

  it('a NAT gateway is pending until its scaled time passes (real AWS: 1-2 min), then available (V6)', async () => {
    const nat = await createNat();
    expect(nat.createState).toBe('pending');
    expect(await natState(nat.natGatewayId)).toBe('pending');
    clock.advance(599); // just under 60 s / 100
    expect(await natState(nat.natGatewayId)).toBe('pending');
    clock.advance(601); // past 120 s / 100
    expect(await natState(nat.natGatewayId)).toBe('available');
    expect(layer.handle.events.filter((e) => e.kind === 'not-ready').map((e) => e.operation)).toEqual(['CreateNatGateway', 'DescribeNatGateways', 'DescribeNatGateways']);
  });

  it('a NAT gateway state filter matches the state AWS would show, not moto\'s instant one', async () => {
    const nat = await createNat();
    const withState = async (state: string) =>
      (
        (await ec2().send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'state', Values: [state] }, { Name: 'subnet-id', Values: [nat.subnetId] }] }))).NatGateways ?? []
      ).map((n) => n.NatGatewayId);
    expect(await withState('pending')).toEqual([nat.natGatewayId]);
    expect(await withState('available')).toEqual([]);
    clock.advance(1201);
    expect(await withState('pending')).toEqual([]);
    expect(await withState('available')).toEqual([nat.natGatewayId]);
  });

  it('a deleting NAT gateway holds its Elastic IP, subnet and the internet gateway until it is gone, with the errors AWS gives', async () => {
    const nat = await createNat();
    const igw = await ec2().send(new CreateInternetGatewayCommand({}));
    const igwId = igw.InternetGateway!.InternetGatewayId!;
    await ec2().send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: nat.vpcId }));
    clock.advance(1201);
    await ec2().send(new DeleteNatGatewayCommand({ NatGatewayId: nat.natGatewayId }));
    expect(await natState(nat.natGatewayId)).toBe('deleting');

    // AWS's answer to releasing an address a NAT gateway still holds is the misleading AuthFailure.
    const release = await rejectionOf(ec2().send(new ReleaseAddressCommand({ AllocationId: nat.allocationId })));
    expect(release.name).toBe('AuthFailure');
    expect(release.$metadata?.httpStatusCode).toBe(400);
    const subnet = await rejectionOf(ec2().send(new DeleteSubnetCommand({ SubnetId: nat.subnetId })));
    expect(subnet.name).toBe('DependencyViolation');
    expect(translateAwsError(subnet, 'delete the subnet').name).toBe('DependencyViolationError');
    const detach = await rejectionOf(ec2().send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: nat.vpcId })));
    expect(detach.message).toContain('mapped public address');

    clock.advance(901); // past 90 s / 100
    expect(await natState(nat.natGatewayId)).toBe('deleted');
    await ec2().send(new ReleaseAddressCommand({ AllocationId: nat.allocationId }));
    await ec2().send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: nat.vpcId }));
    await ec2().send(new DeleteSubnetCommand({ SubnetId: nat.subnetId }));
    expect(layer.handle.counts().dependency).toBe(3);
  });

  it('a VPC endpoint is pending (real AWS: 1-3 min), then available; while deleting, its subnet and security group stay in use (V9)', async () => {
    const endpoint = await createEndpoint();
    expect(endpoint.createState).toBe('pending');
    expect(await endpointState(endpoint.endpointId)).toBe('pending');
    clock.advance(1801);
    expect(await endpointState(endpoint.endpointId)).toBe('available');

    await ec2().send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [endpoint.endpointId] }));
    expect(await endpointState(endpoint.endpointId)).toBe('deleting');
    expect((await rejectionOf(ec2().send(new DeleteSubnetCommand({ SubnetId: endpoint.subnetId })))).name).toBe('DependencyViolation');
    const sg = await rejectionOf(ec2().send(new DeleteSecurityGroupCommand({ GroupId: endpoint.groupId })));
    expect(sg.name).toBe('DependencyViolation');
    expect(translateAwsError(sg, 'delete the security group').name).toBe('DependencyViolationError');

    clock.advance(901);
    expect(await endpointState(endpoint.endpointId)).toBe('deleted');
    await ec2().send(new DeleteSubnetCommand({ SubnetId: endpoint.subnetId }));
    await ec2().send(new DeleteSecurityGroupCommand({ GroupId: endpoint.groupId }));
  });

  it('a Route 53 change is PENDING (real AWS: 30-60 s), then INSYNC (V10)', async () => {
    const { vpcId } = await natPrerequisites();
    const r53 = route53Client({ region: 'us-east-1' });
    const zone = await r53.send(
      new CreateHostedZoneCommand({ Name: 'byoc.zillizcloud.com', CallerReference: 'zone-1', VPC: { VPCId: vpcId, VPCRegion: 'us-west-2' }, HostedZoneConfig: { PrivateZone: true } }),
    );
    expect(zone.ChangeInfo?.Status).toBe('PENDING');
    const change = await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.HostedZone!.Id,
        ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'zilliz-byoc-us.byoc.zillizcloud.com', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '10.0.64.10' }] } }] },
      }),
    );
    expect(change.ChangeInfo?.Status).toBe('PENDING');
    expect((await r53.send(new GetChangeCommand({ Id: change.ChangeInfo!.Id }))).ChangeInfo?.Status).toBe('PENDING');
    clock.advance(299);
    expect((await r53.send(new GetChangeCommand({ Id: change.ChangeInfo!.Id }))).ChangeInfo?.Status).toBe('PENDING');
    clock.advance(302);
    expect((await r53.send(new GetChangeCommand({ Id: change.ChangeInfo!.Id }))).ChangeInfo?.Status).toBe('INSYNC');
  });

  it('a route to a NAT gateway: NotFound right after the NAT gateway is created, accepted while it is still pending (as AWS does)', async () => {
    layer.install({ overrides: { consistency: { ec2: [2, 2] }, throttling: false } }); // 20 ms here
    const pre = await natPrerequisites();
    const table = await ec2().send(new CreateRouteTableCommand({ VpcId: pre.vpcId }));
    clock.advance(21);
    const nat = await ec2().send(new CreateNatGatewayCommand({ SubnetId: pre.subnetId, AllocationId: pre.allocationId }));
    const route = () =>
      ec2().send(new CreateRouteCommand({ RouteTableId: table.RouteTable!.RouteTableId, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat.NatGateway!.NatGatewayId }));
    // Seen on AWS (boto3 #779, kops #944): InvalidNatGatewayID.NotFound just after CreateNatGateway ...
    expect((await rejectionOf(route())).name).toBe('InvalidNatGatewayID.NotFound');
    // ... and the route is accepted once the ID is known, the NAT gateway still pending.
    clock.advance(21);
    await route();
    expect(await natState(nat.NatGateway!.NatGatewayId!)).toBe('pending');
  });

  it('on the real clock too: pending first, available once the scaled time has passed', async () => {
    layer.install({ now: Date.now, overrides: { timeScale: 1000, consistency: false, throttling: false } }); // 60-120 ms
    const nat = await createNat();
    expect(nat.createState).toBe('pending');
    const deadline = Date.now() + 2000;
    let state = await natState(nat.natGatewayId);
    while (state === 'pending' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      state = await natState(nat.natGatewayId);
    }
    expect(state).toBe('available');
  });
});
