import { DescribeVpcAttributeCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../../shared/aws/clients';
import { TAG_PROVISIONING_ID, TAG_VENDOR_KEY, TAG_VENDOR_VALUE } from '../../shared/constants';
import type { Context } from 'aws-lambda';
import { localFunctions } from '../../local/functions';
import { outputOf, useLocalStack } from '../helpers/local-stack';

const ec2 = () => ec2Client({ region: 'us-west-2' });
const vpcsOf = async (provisioningId: string) =>
  (await ec2().send(new DescribeVpcsCommand({ Filters: [{ Name: `tag:${TAG_PROVISIONING_ID}`, Values: [provisioningId] }] }))).Vpcs ?? [];

describe('the provision state machine on the local stack (slice: ValidateInput -> CreateVpc -> Report)', () => {
  const stack = useLocalStack();

  it('builds a VPC with the requested /16, DNS hostnames and resolution on, and the V8 tags', async () => {
    const record = await stack.run('byoc-provision', { provisioningId: 'slice-ok', projectName: 'demo', region: 'us-west-2', network: { vpcCidr: '10.20.0.0/16' } });
    const out = outputOf<{ vpcId: string; provisioningId: string }>(record);

    const [vpc] = await vpcsOf('slice-ok');
    expect(vpc.VpcId).toBe(out.vpcId);
    expect(vpc.CidrBlock).toBe('10.20.0.0/16'); // V2
    const tags = Object.fromEntries((vpc.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ [TAG_VENDOR_KEY]: TAG_VENDOR_VALUE, Name: 'demo-vpc', [TAG_PROVISIONING_ID]: 'slice-ok' }); // V8
    for (const Attribute of ['enableDnsHostnames', 'enableDnsSupport'] as const) {
      const attr = await ec2().send(new DescribeVpcAttributeCommand({ VpcId: vpc.VpcId, Attribute }));
      expect(attr.EnableDnsHostnames?.Value ?? attr.EnableDnsSupport?.Value).toBe(true); // V5
    }
  });

  it('makes one VPC when the same provisioning runs twice', async () => {
    const request = { provisioningId: 'slice-twice', projectName: 'demo', region: 'us-west-2' };
    const first = outputOf<{ vpcId: string }>(await stack.run('byoc-provision', request));
    const second = outputOf<{ vpcId: string }>(await stack.run('byoc-provision', request));
    expect(second.vpcId).toBe(first.vpcId);
    expect(await vpcsOf('slice-twice')).toHaveLength(1);
  });

  it('rolls back: when CreateVpc fails after creating the VPC, no VPC is left and the execution fails with the original error', async () => {
    const createThenFail = async (event: never, context: Context) => {
      await localFunctions.CreateVpc(event, context);
      const error = new Error('CreateVpc: simulated crash after the VPC was created');
      error.name = 'AwsOperationError';
      throw error;
    };
    const record = await stack.run(
      'byoc-provision',
      { provisioningId: 'slice-rollback', projectName: 'demo', region: 'us-west-2' },
      { functions: { ...localFunctions, CreateVpc: createThenFail } },
    );
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('AwsOperationError');
    expect(JSON.parse(record.cause!).errorMessage).toContain('simulated crash');
    expect(record.history.map((e) => e.stateEnteredEventDetails?.name).filter(Boolean)).toEqual(['ValidateInput', 'CreateVpc', 'RollbackVpc', 'ProvisioningFailed']);
    expect(await vpcsOf('slice-rollback')).toHaveLength(0);
  });

  it('fails a bad request in ValidateInput, naming each bad field, and creates nothing', async () => {
    const record = await stack.run('byoc-provision', { provisioningId: 'slice-bad', projectName: 'demo', region: 'mars-1', network: { vpcCidr: '10.0.0.0/20' } });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('InvalidInputError');
    const message = JSON.parse(record.cause!).errorMessage as string;
    expect(message).toContain('region: "mars-1" is not supported');
    expect(message).toContain('network.vpcCidr: must use a /16 netmask');
    expect(await vpcsOf('slice-bad')).toHaveLength(0);
  });
});
