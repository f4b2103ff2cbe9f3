import { DescribeNatGatewaysCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../../../shared/aws/clients';
import { TAG_PROVISIONING_ID } from '../../../shared/constants';
import type { ProvisioningOutputs } from '../../../shared/state';
import { outputOf, useLocalStack } from '../../helpers/local-stack';
import { fullRequest, leftoversOf, REGION, statesEntered } from '../../helpers/workflow';

const ec2 = () => ec2Client({ region: REGION });
const byTag = (id: string) => [{ Name: `tag:${TAG_PROVISIONING_ID}`, Values: [id] }];

describe('the provision workflow on the local stack', () => {
  const stack = useLocalStack();

  it('builds the network and the role in parallel, verifies every requirement and reports the outputs (V11, R4)', async () => {
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
      eksRoleArn: 'arn:aws:iam::123456789012:role/wf-ok-eks',
    });
    // The outputs name what really exists (read back from moto, not from our state).
    const [vpc] = (await ec2().send(new DescribeVpcsCommand({ Filters: byTag('wf-ok') }))).Vpcs!;
    expect(vpc.VpcId).toBe(out.vpcId);
    const subnets = (await ec2().send(new DescribeSubnetsCommand({ Filters: byTag('wf-ok') }))).Subnets!;
    expect(subnets.map((s) => s.SubnetId).sort()).toEqual([...out.privateSubnetIds, out.publicSubnetId].sort());

    // Verify ran and passed; every state of both branches ran.
    const entered = statesEntered(record.history);
    expect(entered).toEqual(expect.arrayContaining(['Verify', 'Report', 'CreateEksRole', 'PutInlinePolicies', 'CreateRouteTables', 'CreatePrivateDns']));
    expect(entered).not.toContain('BeginRollback');
  });

  it('skips the endpoint and the private zone when the request does not ask for them (V9, V10 optional)', async () => {
    const record = await stack.run('byoc-provision', { provisioningId: 'wf-min', projectName: 'demo', region: REGION, iamRole: { name: 'wf-min-eks' } });
    const out = outputOf<ProvisioningOutputs>(record);
    expect(out.vpcEndpointId).toBeNull();
    expect(out.hostedZoneId).toBeNull();
    expect(statesEntered(record.history)).toEqual(expect.arrayContaining(['SkipVpcEndpoint']));
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
    const record = await stack.run('byoc-provision', { provisioningId: 'wf-bad', projectName: 'Demo', region: 'mars-1', network: { vpcCidr: '10.0.0.0/20', privateDns: { enabled: true } } });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('InvalidInputError');
    const message = JSON.parse(record.cause!).errorMessage as string;
    for (const field of ['projectName', 'region', 'network.vpcCidr', 'network.privateDns.enabled']) expect(message).toContain(`${field}: `);
    expect(statesEntered(record.history)).toEqual(['ValidateInput']);
    expect((await leftoversOf('wf-bad')).count).toBe(0);
  });

  it('uses the execution name as the provisioning ID when a console input has none', async () => {
    const record = await stack.run('byoc-provision', { projectName: 'demo', region: REGION, iamRole: { name: 'wf-named-eks' } }, { name: 'wf-named' });
    expect(outputOf<ProvisioningOutputs>(record).provisioningId).toBe('wf-named');
  });
});
