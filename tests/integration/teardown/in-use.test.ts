import {
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeImagesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand } from '@aws-sdk/client-eks';
import { CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, GetInstanceProfileCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { handler as AttachManagedPolicies } from '../../../functions/steps/attach-managed-policies';
import { handler as CheckInUse } from '../../../functions/steps/check-in-use';
import { handler as CreateCrossAccountRole } from '../../../functions/steps/create-cross-account-role';
import { handler as CreateEksRole } from '../../../functions/steps/create-eks-role';
import { handler as CreateStorageRole } from '../../../functions/steps/create-storage-role';
import { handler as DeleteEksRole } from '../../../functions/steps/delete-eks-role';
import { handler as FindLeftovers } from '../../../functions/steps/find-leftovers';
import { handler as ValidateTeardownInput } from '../../../functions/steps/validate-teardown-input';
import type { LocalHandler } from '../../../local/functions';
import { invokeLocal } from '../../../local/lambda-runtime';
import { ec2Client, eksClient, elbv2Client, iamClient } from '../../../shared/aws/clients';
import type { ProvisioningConfig } from '../../../shared/config';
import type { InUseResult } from '../../../shared/in-use';
import type { EksRoleState } from '../../../shared/iam/types';
import type { Leftovers } from '../../../shared/state';
import type { TeardownConfig } from '../../../shared/teardown-request';
import { testConfig } from '../../helpers/config';
import { useMoto } from '../../helpers/moto';
import { buildNetwork, resourcesOf, type State } from '../network/network-helpers';

const target = { region: 'us-west-2' };
const ec2 = () => ec2Client(target);
const iam = () => iamClient(target);

/** Invoke a step handler as Lambda would (JSON in, JSON out, errors by name, the cause being Lambda's JSON). */
const step = <T>(name: string, handler: unknown, state: unknown) => invokeLocal(name, handler as LocalHandler, state) as Promise<T>;
/** The error message a failed step hands Step Functions. */
const messageOf = (error: unknown): string => (JSON.parse((error as Error).message) as { errorMessage: string }).errorMessage;

interface Provisioning {
  config: ProvisioningConfig;
  network: State & { subnets?: { publicSubnetId: string; privateSubnets: { subnetId: string }[] }; vpc?: { vpcId: string } };
  eksRole: EksRoleState;
}

/** A provisioning as the provision workflow leaves it: the whole network (with the V9 endpoint, NAT gateway and S3 gateway endpoint) and the three roles. */
async function provision(provisioningId: string): Promise<Provisioning> {
  const config = testConfig({ network: { vpcEndpoint: { enabled: true } } }, provisioningId);
  const network = (await buildNetwork(config)) as Provisioning['network'];
  const eksRole = await step<EksRoleState>('CreateEksRole', CreateEksRole, { config });
  await step('AttachManagedPolicies', AttachManagedPolicies, { config, eksRole });
  await step('CreateStorageRole', CreateStorageRole, { config });
  await step('CreateCrossAccountRole', CreateCrossAccountRole, { config });
  return { config, network, eksRole };
}

/** The teardown's state after ValidateTeardownInput, from the input the API and CLI build (`force` when asked). */
async function teardownState(p: Provisioning, force?: boolean): Promise<{ config: TeardownConfig }> {
  const { config } = p;
  const input = {
    provisioningId: config.provisioningId,
    region: config.region,
    iamRoleName: config.iamRole.name,
    storageRoleName: config.storageRole.name,
    crossAccountRoleName: config.crossAccountRole.name,
    ...(force === undefined ? {} : { force }),
  };
  return step('ValidateTeardownInput', ValidateTeardownInput, { request: input });
}

const privateSubnet = (p: Provisioning) => p.network.subnets!.privateSubnets[0].subnetId;
const vpcId = (p: Provisioning) => p.network.vpc!.vpcId;

async function runForeignInstance(subnetId: string): Promise<string> {
  const imageId = (await ec2().send(new DescribeImagesCommand({}))).Images![0].ImageId;
  const out = await ec2().send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, SubnetId: subnetId, InstanceType: 't3.large' }));
  return out.Instances![0].InstanceId!;
}

/** Run CheckInUse and expect the refusal: the named error and its message. */
async function expectRefused(state: unknown): Promise<string> {
  const error = await step('CheckInUse', CheckInUse, state).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ name: 'ResourceInUseError' });
  return messageOf(error);
}

describe('CheckInUse: a teardown of something in use is refused with the list, unless forced (issue 10, "Teardown of something in use")', () => {
  const moto = useMoto();
  beforeEach(() => moto.reset());

  it('a clean provisioning passes with an empty list: our NAT gateway\'s and our endpoints\' interfaces, the default group and the main route table are not dependents', async () => {
    const p = await provision('inuse-clean');
    await expect(step('CheckInUse', CheckInUse, await teardownState(p))).resolves.toEqual({ inUse: [], forced: false, notChecked: [] });
  });

  it('a provisioning with nothing left (a second teardown, or one that never built) passes with an empty list', async () => {
    const state = await step<{ config: TeardownConfig }>('ValidateTeardownInput', ValidateTeardownInput, { request: { provisioningId: 'inuse-none', region: 'us-west-2' } });
    await expect(step('CheckInUse', CheckInUse, state)).resolves.toEqual({ inUse: [], forced: false, notChecked: [] });
  });

  it('a foreign EC2 instance in our private subnet: refused with ResourceInUseError naming the instance ID, and nothing is deleted', async () => {
    const p = await provision('inuse-instance');
    const instanceId = await runForeignInstance(privateSubnet(p));
    const before = await resourcesOf('inuse-instance');

    const message = await expectRefused(await teardownState(p));

    expect(message).toMatch(/^CheckInUse: Teardown of provisioning inuse-instance refused; nothing was deleted\./);
    expect(message).toContain(`EC2 instance ${instanceId} (running, t3.large, ${privateSubnet(p)}`);
    expect(message).toContain('tear down with force');
    expect(message).toContain('TeardownIncompleteError');
    // The instance's own interface is part of the instance, not a second entry.
    expect(message).not.toMatch(/network interface eni-/);
    expect(await resourcesOf('inuse-instance')).toEqual(before);
  });

  it('a foreign network interface in our subnet is refused, and each says what it is from its description, type and requester', async () => {
    const p = await provision('inuse-eni');
    const lambda = (await ec2().send(new CreateNetworkInterfaceCommand({ SubnetId: privateSubnet(p), Description: 'AWS Lambda VPC ENI-orders-fn-1a2b3c' }))).NetworkInterface!.NetworkInterfaceId!;
    const eks = (await ec2().send(new CreateNetworkInterfaceCommand({ SubnetId: p.network.subnets!.privateSubnets[1].subnetId, Description: 'Amazon EKS prod' }))).NetworkInterface!.NetworkInterfaceId!;

    const message = await expectRefused(await teardownState(p));

    expect(message).toContain(`network interface ${lambda} (Lambda function (AWS Lambda VPC ENI-orders-fn-1a2b3c)`);
    expect(message).toContain(`network interface ${eks} (EKS control plane of cluster prod`);
    expect(message).toContain('2 resource(s) that provisioning inuse-eni did not make depend on what it made');
  });

  it('a VPC endpoint of someone else in our VPC (no provisioning-ID tag) is refused naming it, its interfaces folded into it; ours are not listed', async () => {
    const p = await provision('inuse-endpoint');
    const endpoint = (
      await ec2().send(
        new CreateVpcEndpointCommand({ VpcId: vpcId(p), ServiceName: 'com.amazonaws.us-west-2.ecr.api', VpcEndpointType: 'Interface', SubnetIds: [privateSubnet(p)] }),
      )
    ).VpcEndpoint!;

    const message = await expectRefused(await teardownState(p));

    expect(message).toContain(`VPC endpoint ${endpoint.VpcEndpointId} (Interface endpoint to com.amazonaws.us-west-2.ecr.api`);
    expect(message).toContain(`network interface(s) ${endpoint.NetworkInterfaceIds![0]}`);
    expect(message).toContain('1 resource(s)');
    expect(message).not.toContain(p.network.vpcEndpoint!.vpcEndpointId);
  });

  it('a load balancer in our VPC is refused naming its ARN (ELBv2 DescribeLoadBalancers by VPC)', async () => {
    const p = await provision('inuse-lb');
    const lb = (
      await elbv2Client(target).send(
        new CreateLoadBalancerCommand({ Name: 'k8s-default-web', Subnets: p.network.subnets!.privateSubnets.map((s) => s.subnetId), Scheme: 'internal', Type: 'application' }),
      )
    ).LoadBalancers![0];

    const message = await expectRefused(await teardownState(p));

    expect(message).toContain(`load balancer ${lb.LoadBalancerArn} (application, internal, k8s-default-web`);
  });

  it('the EKS role in an instance profile (we create none): refused naming the profile; the undo then leaves the role in it, untouched, and FindLeftovers names the role', async () => {
    const p = await provision('inuse-profile');
    await iam().send(new CreateInstanceProfileCommand({ InstanceProfileName: 'eks-nodes-1a2b' }));
    await iam().send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'eks-nodes-1a2b', RoleName: p.eksRole.roleName }));
    const state = await teardownState(p);

    const message = await expectRefused(state);
    expect(message).toContain(`IAM instance profile eks-nodes-1a2b (holds our EKS role ${p.eksRole.roleName}; made by an EKS managed node group;`);

    // Forced: DeleteEksRole never takes our role out of a profile we did not create, and does not strip it either.
    const forced = await teardownState(p, true);
    const deleteError = await step('DeleteEksRole', DeleteEksRole, forced).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(deleteError).toMatchObject({ name: 'DependencyViolationError' });
    expect(messageOf(deleteError)).toContain('eks-nodes-1a2b');
    const profile = (await iam().send(new GetInstanceProfileCommand({ InstanceProfileName: 'eks-nodes-1a2b' }))).InstanceProfile!;
    expect(profile.Roles!.map((r) => r.RoleName)).toEqual([p.eksRole.roleName]);
    expect((await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: p.eksRole.roleName }))).AttachedPolicies).toHaveLength(5);
    const leftovers = await step<Leftovers>('FindLeftovers', FindLeftovers, forced);
    expect(leftovers.resources).toContainEqual({ type: 'IAM role', id: p.eksRole.roleName });
  });

  it('an EKS cluster whose cluster role is our EKS role is refused naming the cluster, even outside our VPC', async () => {
    const p = await provision('inuse-cluster');
    const otherVpc = (await ec2().send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc!.VpcId!;
    const otherSubnet = (await ec2().send(new CreateSubnetCommand({ VpcId: otherVpc, CidrBlock: '10.9.0.0/24', AvailabilityZone: 'us-west-2a' }))).Subnet!.SubnetId!;
    await eksClient(target).send(new CreateClusterCommand({ name: 'vendor-milvus', roleArn: p.eksRole.roleArn, resourcesVpcConfig: { subnetIds: [otherSubnet] } }));
    // A cluster that uses neither our role nor our VPC is none of our business.
    await eksClient(target).send(new CreateClusterCommand({ name: 'unrelated', roleArn: 'arn:aws:iam::123456789012:role/other', resourcesVpcConfig: { subnetIds: [otherSubnet] } }));

    const message = await expectRefused(await teardownState(p));

    expect(message).toContain(`EKS cluster vendor-milvus (`);
    expect(message).toContain(`its cluster role is our EKS role ${p.eksRole.roleName}`);
    expect(message).not.toContain('unrelated');
  });

  it('an EKS cluster in our subnets, a foreign subnet and a foreign security group in our VPC are all named (each would block DeleteVpc)', async () => {
    const p = await provision('inuse-vpc');
    await eksClient(target).send(new CreateClusterCommand({ name: 'in-our-vpc', roleArn: 'arn:aws:iam::123456789012:role/someone-elses', resourcesVpcConfig: { subnetIds: [privateSubnet(p)] } }));
    const subnet = (await ec2().send(new CreateSubnetCommand({ VpcId: vpcId(p), CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-west-2a' }))).Subnet!.SubnetId!;
    const group = (await ec2().send(new CreateSecurityGroupCommand({ VpcId: vpcId(p), GroupName: 'k8s-elb-sg', Description: 'made by the load balancer controller' }))).GroupId!;

    const message = await expectRefused(await teardownState(p));

    expect(message).toContain(`EKS cluster in-our-vpc (`);
    expect(message).toContain(`runs in our VPC (subnets ${privateSubnet(p)})`);
    expect(message).toContain(`subnet ${subnet} (10.0.1.0/24 in us-west-2a)`);
    expect(message).toContain(`security group ${group} (k8s-elb-sg: made by the load balancer controller)`);
  });

  it('with force: CheckInUse returns the list as a warning (forced: true) and the teardown proceeds', async () => {
    const p = await provision('inuse-force');
    const instanceId = await runForeignInstance(privateSubnet(p));

    const out = await step<InUseResult>('CheckInUse', CheckInUse, await teardownState(p, true));

    expect(out.forced).toBe(true);
    expect(out.notChecked).toEqual([]);
    expect(out.inUse).toEqual([{ type: 'EC2 instance', id: instanceId, detail: expect.stringContaining('running, t3.large') }]);
  });

  it('force: false is the default and refuses as without it', async () => {
    const p = await provision('inuse-noforce');
    await runForeignInstance(privateSubnet(p));
    await expectRefused(await teardownState(p, false));
  });
});
