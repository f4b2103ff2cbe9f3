import { DescribeNatGatewaysCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../../../shared/aws/clients';
import { TAG_PROVISIONING_ID } from '../../../shared/constants';
import type { ProvisioningOutputs } from '../../../shared/state';
import { outputOf, useLocalStack } from '../../helpers/local-stack';
import { TEST_EXTERNAL_ID } from '../../helpers/config';
import { fullRequest, leftoversOf, namesOf, REGION, statesEntered } from '../../helpers/workflow';

const ec2 = () => ec2Client({ region: REGION });
const byTag = (id: string) => [{ Name: `tag:${TAG_PROVISIONING_ID}`, Values: [id] }];

describe('the provision workflow on the local stack', () => {
  const stack = useLocalStack();

  it('builds the network, the EKS role and the storage and vendor access in parallel, verifies every requirement and reports the outputs (C1: V11, R4, S1, S2, X1)', async () => {
    const record = await stack.run('byoc-provision', fullRequest('wf-ok'));
    const out = outputOf<ProvisioningOutputs>(record);

    expect(out).toMatchObject({
      provisioningId: 'wf-ok',
      region: REGION,
      vpcId: expect.stringMatching(/^vpc-/),
      privateSubnetIds: [expect.stringMatching(/^subnet-/), expect.stringMatching(/^subnet-/), expect.stringMatching(/^subnet-/)],
      securityGroupId: expect.stringMatching(/^sg-/),
      natGatewayId: expect.stringMatching(/^nat-/),
      vpcEndpointId: expect.stringMatching(/^vpce-/),
      hostedZoneId: expect.any(String),
      eksRoleArn: 'arn:aws:iam::123456789012:role/zilliz-byoc-wf-ok-eks',
      s3GatewayEndpointId: expect.stringMatching(/^vpce-/),
      bucketName: namesOf('wf-ok').bucketName,
      bucketManaged: true,
      storageRoleArn: 'arn:aws:iam::123456789012:role/zilliz-byoc-wf-ok-storage',
      crossAccountRoleArn: 'arn:aws:iam::123456789012:role/zilliz-byoc-wf-ok-xacct',
      externalId: TEST_EXTERNAL_ID,
    });
    // C1: grouped as the vendor console asks, and shaped like the vendor API's awsParam.
    expect(out.console).toEqual({
      storage: { bucketName: out.bucketName, storageRoleArn: out.storageRoleArn },
      eks: { eksRoleArn: out.eksRoleArn },
      crossAccount: { crossAccountRoleArn: out.crossAccountRoleArn, externalId: TEST_EXTERNAL_ID },
      network: { vpcId: out.vpcId, subnetIds: out.privateSubnetIds, securityGroupId: out.securityGroupId, vpcEndpointId: out.vpcEndpointId },
    });
    expect(out.vendorApi).toEqual({
      bucketId: out.bucketName,
      storageRoleArn: out.storageRoleArn,
      eksRoleArn: out.eksRoleArn,
      bootstrapRoleArn: out.crossAccountRoleArn,
      userVpcId: out.vpcId,
      subnetIds: out.privateSubnetIds,
      securityGroupIds: [out.securityGroupId],
      endpointId: out.vpcEndpointId,
    });
    // The outputs name what really exists (read back from moto, not from our state).
    const [vpc] = (await ec2().send(new DescribeVpcsCommand({ Filters: byTag('wf-ok') }))).Vpcs!;
    expect(vpc.VpcId).toBe(out.vpcId);
    const subnets = (await ec2().send(new DescribeSubnetsCommand({ Filters: byTag('wf-ok') }))).Subnets!;
    expect(subnets.map((s) => s.SubnetId).sort()).toEqual([...out.privateSubnetIds, out.publicSubnetId].sort());

    // Verify ran and passed; every state of both branches ran.
    const entered = statesEntered(record.history);
    expect(entered).toEqual(expect.arrayContaining(['Verify', 'Report', 'CreateEksRole', 'PutInlinePolicies', 'CreateRouteTables', 'CreatePrivateDns', 'CreateS3GatewayEndpoint', 'CreateBucket', 'CreateStorageRole', 'CreateCrossAccountRole']));
    expect(entered).not.toContain('BeginRollback');
  });

  it('skips the endpoint, the private zone and the S3 gateway endpoint when the request does not ask for them (V9, V10 optional; S1 gateway opt-out)', async () => {
    const record = await stack.run('byoc-provision', { ...fullRequest('wf-min'), network: { s3GatewayEndpoint: { enabled: false } } });
    const out = outputOf<ProvisioningOutputs>(record);
    expect(out.vpcEndpointId).toBeNull();
    expect(out.hostedZoneId).toBeNull();
    expect(out.s3GatewayEndpointId).toBeNull();
    expect(statesEntered(record.history)).toEqual(expect.arrayContaining(['SkipVpcEndpoint', 'SkipS3GatewayEndpoint']));
    expect(statesEntered(record.history)).not.toContain('CreateVpcEndpoint');
  });

  it('makes nothing twice when the same provisioning runs again', async () => {
    const first = outputOf<ProvisioningOutputs>(await stack.run('byoc-provision', fullRequest('wf-twice')));
    const second = outputOf<ProvisioningOutputs>(await stack.run('byoc-provision', fullRequest('wf-twice')));
    expect(second).toEqual(first);
    // moto ignores tag filters on DescribeNatGateways: filter here too.
    const nats = (await ec2().send(new DescribeNatGatewaysCommand({ Filter: byTag('wf-twice') }))).NatGateways!.filter((n) => n.Tags?.some((t) => t.Key === TAG_PROVISIONING_ID && t.Value === 'wf-twice'));
    expect(nats).toHaveLength(1);
    expect((await leftoversOf('wf-twice')).resources.filter((r) => r.type === 'VPC')).toHaveLength(1);
  });

  it('validates a hand-started console input and names each bad field, creating nothing', async () => {
    const record = await stack.run('byoc-provision', { provisioningId: 'wf-bad', projectName: 'Demo', region: 'mars-1', network: { vpcCidr: '10.0.0.0/20', privateDns: { enabled: true } }, iamRole: { name: 'demo-eks-role' } });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('InvalidInputError');
    const message = JSON.parse(record.cause!).errorMessage as string;
    for (const field of ['projectName', 'region', 'network.vpcCidr', 'network.privateDns.enabled', 'iamRole.name', 'crossAccountRole']) expect(message).toContain(`${field}: `);
    // Only the registry writes and its read (it records the provisioning, then FAILED), the choices, ValidateInput and
    // the completion event (docs/events.md) ran: nothing was made.
    expect(statesEntered(record.history)).toEqual([
      'NameProvisioning', 'HasRequestProvisioningId', 'TakeRequestProvisioningId', 'RegisterProvisioning', 'IsUpdate', 'RecordProvisioningStarted',
      'ReadPreviousRequest', 'ValidateInput', 'IsUpdateRejected', 'RecordInputRejected', 'PublishInputRejected', 'InputRejected',
    ]);
    expect((await leftoversOf('wf-bad')).count).toBe(0);
  });

  it('uses the execution name as the provisioning ID when a console input has none', async () => {
    const { provisioningId: _, ...request } = fullRequest('wf-named');
    const record = await stack.run('byoc-provision', request, { name: 'wf-named' });
    expect(outputOf<ProvisioningOutputs>(record).provisioningId).toBe('wf-named');
  });
});
