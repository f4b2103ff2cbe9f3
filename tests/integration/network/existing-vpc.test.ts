import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DeleteTagsCommand,
  ModifyVpcAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
  type Tag,
} from '@aws-sdk/client-ec2';
import { checkVpc } from '../../../shared/api/vpc-check';
import { ec2Client, route53Client } from '../../../shared/aws/clients';
import { checkExistingVpc } from '../../../shared/network/verify';
import type { RequirementCheck } from '../../../shared/requirements';
import { useMoto } from '../../helpers/moto';
import { ec2, route53 } from './network-helpers';

const ZONES = ['us-west-2a', 'us-west-2b', 'us-west-2c'];
const VENDOR: Tag = { Key: 'Vendor', Value: 'zilliz-byoc' };
const tags = (name: string, ...extra: Tag[]) => [{ Key: 'Name', Value: name }, VENDOR, ...extra];
const https = (cidr: string): IpPermission => ({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: cidr }] });

/** How an existing VPC was built: by hand in the console as the guide says, or with the vendor's Terraform. */
interface Layout {
  vpcCidr: string;
  publicCidrs: string[];
  privateCidrs: string[];
  /** One private route table per private subnet (the console's "VPC and more"), or one for all. */
  privateTablePerZone: boolean;
  securityGroup: 'console' | 'terraform';
}

const GUIDE: Layout = {
  // The guide's console steps: "VPC and more", 3 zones, 3 public /24s (the wizard needs them for its NAT gateway), 3 private /18s.
  vpcCidr: '10.0.0.0/16',
  publicCidrs: ['10.0.0.0/24', '10.0.16.0/24', '10.0.32.0/24'],
  privateCidrs: ['10.0.64.0/18', '10.0.128.0/18', '10.0.192.0/18'],
  privateTablePerZone: true,
  securityGroup: 'console',
};

const TERRAFORM: Layout = { ...GUIDE, publicCidrs: ['10.0.0.0/24'], privateTablePerZone: false, securityGroup: 'terraform' };

/**
 * Build a VPC with the SDK the way a customer would, with the Vendor tag and Names everywhere (the guide's
 * "additional tags"), DNS on, one NAT gateway, the private subnets tagged for internal load balancers, an S3
 * gateway endpoint on the private route tables (the console wizard's default, and the Terraform's), and the group:
 * - console: EC2's default allow-all egress kept, HTTPS in from anywhere and an HTTPS egress rule added;
 * - terraform: all TCP and UDP within the VPC (its CIDR and the group itself) both ways, and HTTPS out to anywhere.
 */
async function buildExistingVpc(name: string, layout: Layout) {
  const client = ec2();
  const vpcId = (await client.send(new CreateVpcCommand({ CidrBlock: layout.vpcCidr, TagSpecifications: [{ ResourceType: 'vpc', Tags: tags(`${name}-vpc`) }] }))).Vpc!.VpcId!;
  await client.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: true } }));
  await client.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
  const subnet = async (cidr: string, zone: string, label: string, extra: Tag[] = []) =>
    (await client.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone, TagSpecifications: [{ ResourceType: 'subnet', Tags: tags(`${name}-${label}`, ...extra) }] })))
      .Subnet!.SubnetId!;
  const publicSubnets = await Promise.all(layout.publicCidrs.map((cidr, i) => subnet(cidr, ZONES[i], `public-${ZONES[i]}`)));
  const privateSubnets = await Promise.all(layout.privateCidrs.map((cidr, i) => subnet(cidr, ZONES[i], `private-${ZONES[i]}`, [{ Key: 'kubernetes.io/role/internal-elb', Value: '1' }])));

  const igw = (await client.send(new CreateInternetGatewayCommand({ TagSpecifications: [{ ResourceType: 'internet-gateway', Tags: tags(`${name}-igw`) }] }))).InternetGateway!.InternetGatewayId!;
  await client.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
  const eip = await client.send(new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: tags(`${name}-eip`) }] }));
  const nat = (
    await client.send(new CreateNatGatewayCommand({ SubnetId: publicSubnets[0], AllocationId: eip.AllocationId, TagSpecifications: [{ ResourceType: 'natgateway', Tags: tags(`${name}-nat`) }] }))
  ).NatGateway!.NatGatewayId!;

  const table = async (label: string, target: { GatewayId: string } | { NatGatewayId: string }, subnetIds: string[]) => {
    const id = (await client.send(new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: [{ ResourceType: 'route-table', Tags: tags(`${name}-rtb-${label}`) }] }))).RouteTable!.RouteTableId!;
    await client.send(new CreateRouteCommand({ RouteTableId: id, DestinationCidrBlock: '0.0.0.0/0', ...target }));
    for (const subnetId of subnetIds) await client.send(new AssociateRouteTableCommand({ RouteTableId: id, SubnetId: subnetId }));
    return id;
  };
  await table('public', { GatewayId: igw }, publicSubnets);
  const privateTables = layout.privateTablePerZone
    ? await Promise.all(privateSubnets.map((s, i) => table(`private-${ZONES[i]}`, { NatGatewayId: nat }, [s])))
    : [await table('private', { NatGatewayId: nat }, privateSubnets)];
  const s3 = await client.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Gateway',
      VpcId: vpcId,
      ServiceName: 'com.amazonaws.us-west-2.s3',
      RouteTableIds: privateTables,
      TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: tags(`${name}-vpce-s3`) }],
    }),
  );

  const groupId = (
    await client.send(
      new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: `${name}-sg`, Description: 'Zilliz BYOC', TagSpecifications: [{ ResourceType: 'security-group', Tags: tags(`${name}-sg`) }] }),
    )
  ).GroupId!;
  if (layout.securityGroup === 'console') {
    await client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [https('0.0.0.0/0')] }));
    await client.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [https('0.0.0.0/0')] }));
  } else {
    const withinVpc: IpPermission[] = ['tcp', 'udp'].flatMap((IpProtocol) => [
      { IpProtocol, FromPort: 0, ToPort: 65535, IpRanges: [{ CidrIp: layout.vpcCidr }] },
      { IpProtocol, FromPort: 0, ToPort: 65535, UserIdGroupPairs: [{ GroupId: groupId }] },
    ]);
    await client.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    await client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: withinVpc }));
    await client.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [...withinVpc, https('0.0.0.0/0')] }));
  }
  return { vpcId, publicSubnets, privateSubnets, privateTables, groupId, s3EndpointId: s3.VpcEndpoint!.VpcEndpointId! };
}

const check = (vpcId: string) => checkExistingVpc(vpcId, { ec2: ec2(), route53: route53(), region: 'us-west-2' });
const statuses = (checks: RequirementCheck[]) => Object.fromEntries(checks.map((c) => [c.id, c.status]));
const ALL_PASS = { V2: 'pass', V3: 'pass', V4: 'pass', V5: 'pass', V6: 'pass', V7: 'pass', V8: 'pass', V9: 'pass', V10: 'pass' };

// Each test builds its own VPC and looks only at it: one moto serves the file without resets.
describe('V12: an existing VPC, built by hand or by the vendor\'s Terraform, checked requirement by requirement', () => {
  useMoto();

  it('V12: a VPC built exactly as the guide says (console defaults) passes every check; the console\'s allow-all egress is a note on V7', async () => {
    const vpc = await buildExistingVpc('guide', GUIDE);
    const checks = await check(vpc.vpcId);
    expect(statuses(checks)).toEqual(ALL_PASS);
    expect(checks.every((c) => c.ok && c.fix === undefined)).toBe(true);
    const v7 = checks.find((c) => c.id === 'V7')!;
    expect(v7.detail).toContain(`${vpc.groupId} allows HTTPS (TCP 443) in from 0.0.0.0/0 and out to 0.0.0.0/0`);
    expect(v7.detail).toContain('egress all traffic to 0.0.0.0/0');
    expect(checks.find((c) => c.id === 'V8')!.detail).toContain(`the 3 private subnets and security group ${vpc.groupId} carry Vendor=zilliz-byoc`);
  });

  it('V12: the API answer (POST /vpc-checks) keeps ok and failed, and adds warnings', async () => {
    const vpc = await buildExistingVpc('guide-api', GUIDE);
    const answer = await checkVpc({ vpcId: vpc.vpcId, region: 'us-west-2' }, { ec2: ec2Client, route53: route53Client });
    expect(answer).toMatchObject({ vpcId: vpc.vpcId, region: 'us-west-2', ok: true, failed: [], warnings: [] });
    expect(answer.checks.map((c) => c.id)).toEqual(Object.keys(ALL_PASS));
  });

  it('V12: a VPC built like the vendor\'s Terraform (all TCP/UDP within the VPC, HTTPS out, an S3 gateway endpoint) passes', async () => {
    const vpc = await buildExistingVpc('terraform', TERRAFORM);
    const checks = await check(vpc.vpcId);
    expect(statuses(checks)).toEqual(ALL_PASS);
    expect(checks.find((c) => c.id === 'V7')!.detail).toContain(`${vpc.groupId} allows HTTPS (TCP 443) in from 10.0.0.0/16 and out to 10.0.0.0/16, 0.0.0.0/0`);
  });

  it('V12: the Terraform-built VPC with HTTPS inbound closed fails V7 only, saying why and what to do', async () => {
    const vpc = await buildExistingVpc('closed', TERRAFORM);
    await ec2().send(new RevokeSecurityGroupIngressCommand({ GroupId: vpc.groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }] }));
    const checks = await check(vpc.vpcId);
    expect(checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['V7']);
    expect(checks.find((c) => c.id === 'V7')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('no security group allows HTTPS (TCP 443) both in and out'),
      fix: expect.stringContaining('inbound rule HTTPS (TCP 443)'),
    });
    const answer = await checkVpc({ vpcId: vpc.vpcId, region: 'us-west-2' }, { ec2: ec2Client, route53: route53Client });
    expect(answer).toMatchObject({ ok: false, failed: ['V7'], warnings: [] });
  });

  it('V12 (V2): a /20 VPC is a warning, not a failure, and so are its subnets smaller than the guide\'s /18', async () => {
    const vpc = await buildExistingVpc('small', {
      ...GUIDE,
      vpcCidr: '10.1.0.0/20',
      publicCidrs: ['10.1.0.0/24'],
      privateCidrs: ['10.1.4.0/22', '10.1.8.0/22', '10.1.12.0/22'],
    });
    const checks = await check(vpc.vpcId);
    expect(statuses(checks)).toEqual({ ...ALL_PASS, V2: 'warning', V3: 'warning' });
    expect(checks.find((c) => c.id === 'V2')).toMatchObject({ ok: true, detail: 'VPC CIDR 10.1.0.0/20 is a /20; the guide recommends a /16', fix: expect.stringContaining('/16') });
    expect(checks.find((c) => c.id === 'V3')!.fix).toContain('/18');
    const answer = await checkVpc({ vpcId: vpc.vpcId, region: 'us-west-2' }, { ec2: ec2Client, route53: route53Client });
    expect(answer).toMatchObject({ ok: true, failed: [], warnings: ['V2', 'V3'] });
  });

  it('V12 (V8): a private subnet without the Vendor tag fails V8 naming that subnet; a public one without it, or without a Name, is only a note', async () => {
    const vpc = await buildExistingVpc('untagged', GUIDE);
    await ec2().send(new DeleteTagsCommand({ Resources: [vpc.privateSubnets[1]], Tags: [{ Key: 'Vendor' }] }));
    await ec2().send(new DeleteTagsCommand({ Resources: [vpc.publicSubnets[2]], Tags: [{ Key: 'Vendor' }, { Key: 'Name' }] }));
    const checks = await check(vpc.vpcId);
    expect(checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['V8']);
    const v8 = checks.find((c) => c.id === 'V8')!;
    expect(v8.detail).toContain(`private subnet ${vpc.privateSubnets[1]} lacks Vendor=zilliz-byoc`);
    expect(v8.detail).not.toContain(`private subnet ${vpc.privateSubnets[0]}`);
    expect(v8.detail).toContain(`note: ${vpc.publicSubnets[2]} without Vendor=zilliz-byoc`);
    expect(v8.detail).toContain(`${vpc.publicSubnets[2]} without a Name tag`);
    expect(v8.fix).toBe(`Tag ${vpc.privateSubnets[1]} with Vendor=zilliz-byoc: the vendor's cross-account permissions launch instances only into subnets and security groups carrying it.`);
  });

  it('V12 (V8): the security group without the Vendor tag fails V8 naming the group', async () => {
    const vpc = await buildExistingVpc('untagged-sg', GUIDE);
    await ec2().send(new DeleteTagsCommand({ Resources: [vpc.groupId], Tags: [{ Key: 'Vendor' }] }));
    const checks = await check(vpc.vpcId);
    expect(checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['V8']);
    expect(checks.find((c) => c.id === 'V8')!.detail).toBe(`security group ${vpc.groupId} lacks Vendor=zilliz-byoc`);
  });

  it('V12 (V7): of two groups that open 443 both ways, the one tagged Vendor=zilliz-byoc is the one checked', async () => {
    const vpc = await buildExistingVpc('two-groups', GUIDE);
    const other = (await ec2().send(new CreateSecurityGroupCommand({ VpcId: vpc.vpcId, GroupName: 'aaa-untagged', Description: 'another HTTPS group' }))).GroupId!;
    await ec2().send(new AuthorizeSecurityGroupIngressCommand({ GroupId: other, IpPermissions: [https('0.0.0.0/0')] }));
    const checks = await check(vpc.vpcId);
    expect(statuses(checks)).toEqual(ALL_PASS);
    expect(checks.find((c) => c.id === 'V7')!.detail).toContain(`${vpc.groupId} allows HTTPS`);
    expect(checks.find((c) => c.id === 'V7')!.detail).toContain(`other groups that also open 443 both ways: ${other}`);
  });
});
