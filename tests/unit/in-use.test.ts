import {
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { AccessDeniedException, DescribeClusterCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetRoleCommand, IAMClient, ListInstanceProfilesForRoleCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { TAG_PROVISIONING_ID, TAG_RESOURCE } from '../../shared/constants';
import { AccessDeniedError, ResourceInUseError, RetryableAwsError, TERMINAL_ERROR_NAMES, InvalidInputError } from '../../shared/errors';
import { MAX_RETURNED, checkInUse, describeInterface, listInUse, type InUseResource } from '../../shared/in-use';
import { parseTeardownRequest, teardownInputFor } from '../../shared/teardown-request';
import { parseRequest } from '../../shared/request';

const ec2 = new EC2Client({ region: 'us-west-2' });
const iam = new IAMClient({ region: 'us-west-2' });
const eks = new EKSClient({ region: 'us-west-2' });
const elbv2 = new ElasticLoadBalancingV2Client({ region: 'us-west-2' });
const mocks = [mockClient(ec2), mockClient(iam), mockClient(eks), mockClient(elbv2)] as const;
const [ec2Mock, iamMock, eksMock, elbMock] = mocks;
const deps = { ec2, iam, eks, elbv2 };

const ID = 'p-unit';
const ours = (resource: string) => [
  { Key: TAG_PROVISIONING_ID, Value: ID },
  { Key: TAG_RESOURCE, Value: resource },
];
const ROLE = 'zilliz-byoc-demo-eks-role';
const ROLE_ARN = `arn:aws:iam::123456789012:role/${ROLE}`;

/** Our provisioning as EC2 and IAM show it: one VPC, one private subnet, a NAT gateway with its interface, our EKS role. */
function givenOurProvisioning() {
  ec2Mock.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', Tags: ours('vpc') }] });
  ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-1', VpcId: 'vpc-1', Tags: ours('private-subnet') }] });
  ec2Mock.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [{ NatGatewayId: 'nat-1', Tags: ours('nat-gateway'), NatGatewayAddresses: [{ NetworkInterfaceId: 'eni-nat' }] }] });
  ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-nat', SubnetId: 'subnet-1' }] });
  ec2Mock.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });
  ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-default', GroupName: 'default' }] });
  ec2Mock.on(DescribeRouteTablesCommand).resolves({ RouteTables: [{ RouteTableId: 'rtb-main', Associations: [{ Main: true }] }] });
  elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [] });
  eksMock.on(ListClustersCommand).resolves({ clusters: [] });
  iamMock.on(GetRoleCommand).callsFake((input: { RoleName: string }) => {
    if (input.RoleName !== ROLE) throw new NoSuchEntityException({ message: 'no role', $metadata: { httpStatusCode: 404 } });
    return { Role: { RoleName: ROLE, Arn: ROLE_ARN, Path: '/', RoleId: 'x', CreateDate: new Date(), Tags: ours('eks-role') } };
  });
  iamMock.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
}

const config = (force?: boolean) => ({ provisioningId: ID, region: 'us-west-2', iamRole: { name: ROLE }, ...(force === undefined ? {} : { force }) });

afterEach(() => mocks.forEach((m) => m.reset()));

describe('CheckInUse decides from what it finds (issue 10)', () => {
  it('nothing of others: passes with an empty list, and our NAT gateway\'s interface is not a dependent', async () => {
    givenOurProvisioning();
    await expect(checkInUse(config(), deps)).resolves.toEqual({ inUse: [], forced: false, notChecked: [] });
  });

  it('refuses with the terminal ResourceInUseError, whose `resources` lists each dependent by type and ID', async () => {
    givenOurProvisioning();
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [
        { NetworkInterfaceId: 'eni-nat', SubnetId: 'subnet-1' },
        { NetworkInterfaceId: 'eni-lambda', SubnetId: 'subnet-1', InterfaceType: 'lambda', RequesterManaged: true, RequesterId: '123456789012', Status: 'in-use' },
      ],
    });
    const error = await checkInUse(config(), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceInUseError);
    expect(TERMINAL_ERROR_NAMES).toContain((error as Error).name);
    expect((error as ResourceInUseError).resources).toEqual([{ type: 'network interface', id: 'eni-lambda', detail: 'Lambda function, managed by 123456789012; subnet-1; in-use' }]);
  });

  it('a check the caller may not run (AccessDenied on eks:ListClusters) is never taken as "nothing there": refused with AccessDeniedError saying what to grant, unless forced', async () => {
    givenOurProvisioning();
    eksMock.on(ListClustersCommand).rejects(new AccessDeniedException({ message: 'not authorized: eks:ListClusters', $metadata: { httpStatusCode: 403 } }));

    const error = await checkInUse(config(), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect((error as Error).message).toMatch(/Could not check: EKS clusters \(eks:ListClusters, eks:DescribeCluster\)/);
    expect((error as Error).message).toMatch(/Grant the missing read permission\(s\).*or tear down with force/);

    const forced = await checkInUse(config(true), deps);
    expect(forced).toEqual({ inUse: [], forced: true, notChecked: [{ check: 'EKS clusters (eks:ListClusters, eks:DescribeCluster)', reason: expect.stringContaining('AccessDenied') }] });
  });

  it('forced with very many dependents: the returned list is cut (the state stays small) and says how many were left out', async () => {
    givenOurProvisioning();
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: Array.from({ length: MAX_RETURNED + 5 }, (_, i) => ({ NetworkInterfaceId: `eni-${String(i).padStart(4, '0')}`, SubnetId: 'subnet-1', InterfaceType: 'branch' as const })),
    });
    const out = await checkInUse(config(true), deps);
    expect(out.inUse).toHaveLength(MAX_RETURNED);
    expect(out.omitted).toBe(5);
  });

  it('throttling is not swallowed: it fails the step with the retryable error, as everywhere else', async () => {
    givenOurProvisioning();
    elbMock.on(DescribeLoadBalancersCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }));
    await expect(checkInUse(config(), deps)).rejects.toBeInstanceOf(RetryableAwsError);
  });

  it('reads every page: an instance on the second page of DescribeInstances is found', async () => {
    givenOurProvisioning();
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [], NextToken: 't2' })
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: 'i-2', State: { Name: 'stopped' }, InstanceType: 'm5.large', SubnetId: 'subnet-1' }] }] });
    const error = (await checkInUse(config(), deps).catch((e: unknown) => e)) as ResourceInUseError;
    expect(error.resources.map((r) => r.id)).toEqual(['i-2']);
  });

  it('an EKS cluster using our role is found, one deleted while we list is skipped', async () => {
    givenOurProvisioning();
    eksMock.on(ListClustersCommand).resolves({ clusters: ['gone', 'prod'] });
    eksMock
      .on(DescribeClusterCommand, { name: 'gone' })
      .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } }));
    eksMock.on(DescribeClusterCommand, { name: 'prod' }).resolves({ cluster: { name: 'prod', arn: 'arn:aws:eks:us-west-2:123456789012:cluster/prod', roleArn: ROLE_ARN, status: 'ACTIVE', resourcesVpcConfig: { vpcId: 'vpc-other' } } });
    const error = (await checkInUse(config(), deps).catch((e: unknown) => e)) as ResourceInUseError;
    expect(error.resources).toEqual([{ type: 'EKS cluster', id: 'prod', detail: `ACTIVE; its cluster role is our EKS role ${ROLE}; arn:aws:eks:us-west-2:123456789012:cluster/prod` }]);
  });
});

describe('what a foreign network interface is, from its type, description and requester', () => {
  it.each([
    [{ Description: 'ELB app/k8s-default-web/50dc6c495c0c9188' }, 'Application Load Balancer k8s-default-web'],
    [{ Description: 'ELB net/k8s-nlb/0123abcd', InterfaceType: 'network_load_balancer' as const }, 'Network Load Balancer k8s-nlb'],
    [{ Description: 'ELB my-classic' }, 'Classic Load Balancer my-classic'],
    [{ Description: 'Amazon EKS prod' }, 'EKS control plane of cluster prod'],
    [{ Description: 'AWS Lambda VPC ENI-fn-1', InterfaceType: 'lambda' as const }, 'Lambda function (AWS Lambda VPC ENI-fn-1)'],
    [{ Description: 'Interface for NAT Gateway nat-0abc', InterfaceType: 'natGateway' as const }, 'NAT gateway nat-0abc (not ours)'],
    [{ InterfaceType: 'natGateway' as const }, 'NAT gateway (not ours)'],
    [{ Description: 'VPC Endpoint Interface vpce-0abc', InterfaceType: 'vpc_endpoint' as const }, 'VPC endpoint vpce-0abc'],
    [{ InterfaceType: 'branch' as const }, 'EKS pod (VPC CNI branch interface)'],
    [{ Description: 'aws-K8S-i-0abc' }, "EKS node's secondary interface (VPC CNI, aws-K8S-i-0abc)"],
    [{ Attachment: { InstanceId: 'i-9' } }, 'attached to EC2 instance i-9'],
    [{ Description: 'made by hand' }, 'network interface "made by hand"'],
    [{}, 'network interface'],
  ])('%j -> %s', (eni, what) => {
    expect(describeInterface({ NetworkInterfaceId: 'eni-1', SubnetId: 'subnet-1', Status: 'in-use', ...eni })).toBe(`${what}; subnet-1; in-use`);
  });

  it('says who manages it when AWS does', () => {
    expect(describeInterface({ RequesterManaged: true, RequesterId: 'amazon-elb', SubnetId: 's', Status: 'in-use' })).toBe('network interface, managed by amazon-elb; s; in-use');
  });
});

describe('the refusal stays within Step Functions\' 32,768-character cause', () => {
  it('lists every dependent while it fits, then says how many more', () => {
    const many: InUseResource[] = Array.from({ length: 2_000 }, (_, i) => ({ type: 'network interface', id: `eni-${i}`, detail: 'EKS pod (VPC CNI branch interface); subnet-1; in-use' }));
    const listing = listInUse(many);
    expect(listing.length).toBeLessThan(21_000);
    expect(listing).toMatch(/and \d+ more \(the CheckInUse log lists all\)$/);
  });
});

describe('the teardown request takes `force` (issue 10)', () => {
  it('force: true reaches the config; absent or false, the config has none', () => {
    expect(parseTeardownRequest({ provisioningId: 'p-1', region: 'us-west-2', force: true })).toEqual({ provisioningId: 'p-1', region: 'us-west-2', force: true });
    expect(parseTeardownRequest({ provisioningId: 'p-1', region: 'us-west-2', force: false })).toEqual({ provisioningId: 'p-1', region: 'us-west-2' });
    expect(parseTeardownRequest({ provisioningId: 'p-1', region: 'us-west-2' })).not.toHaveProperty('force');
  });

  it('a force that is not a boolean is an input error naming the field', () => {
    const error = (() => {
      try {
        parseTeardownRequest({ provisioningId: 'p-1', region: 'us-west-2', force: 'yes' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).problems.map((p) => p.field)).toEqual(['force']);
  });

  it('teardownInputFor adds force only when asked', () => {
    const request = parseRequest({ projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } });
    expect(teardownInputFor('p-1', request)).not.toHaveProperty('force');
    expect(teardownInputFor('p-1', request, null, { force: true })).toMatchObject({ provisioningId: 'p-1', force: true });
  });
});
