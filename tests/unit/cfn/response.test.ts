import { ATTRIBUTE_NAMES, MAX_RESPONSE_BYTES, outputsAsAttributes } from '../../../shared/cfn/attributes';
import { provisioningIdFor } from '../../../shared/cfn/identity';
import { redactUrl, responseBody, sendCfnResponse } from '../../../shared/cfn/response';
import type { ProvisioningOutputs } from '../../../shared/state';

const STACK = 'arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/' + 's'.repeat(128) + '/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

/** The longest outputs a provisioning can hand back: every name at its limit, the longest partition, the longest external ID. */
function largestOutputs(): ProvisioningOutputs {
  const role = (kind: string) => `arn:aws-us-gov:iam::123456789012:role/${`zilliz-byoc-${kind}-`.padEnd(64, 'x')}`;
  const subnets = ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdef2'];
  const externalId = 'e'.repeat(1224);
  const vpcId = 'vpc-0123456789abcdef0';
  const sg = 'sg-0123456789abcdef0';
  const vpce = 'vpce-0123456789abcdef0';
  const bucketName = 'b'.repeat(63);
  return {
    provisioningId: provisioningIdFor(STACK, 'L'.repeat(255), { projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId } }, 50),
    region: 'ap-southeast-5',
    accountId: '123456789012',
    vpcId,
    privateSubnetIds: subnets,
    privateSubnets: subnets.map((subnetId, i) => ({ subnetId, availabilityZone: `ap-southeast-5${'abc'[i]}`, cidr: `10.255.${64 * (i + 1)}.0/18` })),
    publicSubnetId: 'subnet-0123456789abcdef3',
    securityGroupId: sg,
    natGatewayId: 'nat-0123456789abcdef0',
    internetGatewayId: 'igw-0123456789abcdef0',
    vpcEndpointId: vpce,
    vpcEndpointDnsName: `${vpce}-abcdefgh.vpce-svc-0123456789abcdef0.ap-southeast-5.vpce.amazonaws.com`,
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    s3GatewayEndpointId: 'vpce-0123456789abcdef1',
    eksRoleArn: role('eks'),
    bucketName,
    bucketManaged: true,
    storageRoleArn: role('storage'),
    crossAccountRoleArn: role('cross-account'),
    externalId,
    console: {
      storage: { bucketName, storageRoleArn: role('storage') },
      eks: { eksRoleArn: role('eks') },
      crossAccount: { crossAccountRoleArn: role('cross-account'), externalId },
      network: { vpcId, subnetIds: subnets, securityGroupId: sg, vpcEndpointId: vpce },
    },
    vendorApi: { bucketId: bucketName, storageRoleArn: role('storage'), eksRoleArn: role('eks'), bootstrapRoleArn: role('cross-account'), userVpcId: vpcId, subnetIds: subnets, securityGroupIds: [sg], endpointId: vpce },
  };
}

const target = { ResponseURL: 'https://cfn.example/answer?X-Amz-Signature=secret', StackId: STACK, RequestId: '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', LogicalResourceId: 'L'.repeat(255) };

describe('the attributes', () => {
  it('carry every flat field a stack needs, as strings, lists comma-joined, absent values empty', () => {
    const data = outputsAsAttributes({ ...largestOutputs(), vpcEndpointId: null, hostedZoneId: null });
    expect(Object.keys(data)).toEqual(ATTRIBUTE_NAMES);
    expect(ATTRIBUTE_NAMES).toEqual(expect.arrayContaining(['BucketName', 'StorageRoleArn', 'CrossAccountRoleArn', 'ExternalId', 'VpcId', 'PrivateSubnetIds', 'SecurityGroupId', 'VpcEndpointId', 'EksRoleArn']));
    expect(data.PrivateSubnetIds).toBe('subnet-0123456789abcdef0,subnet-0123456789abcdef1,subnet-0123456789abcdef2');
    expect(data.VpcEndpointId).toBe('');
    expect(data.BucketManaged).toBe('true');
    expect(Object.values(data).every((v) => typeof v === 'string')).toBe(true);
  });

  it('fit in CloudFormation\'s 4,096-byte response with the largest outputs, the longest IDs and a reason', () => {
    const outputs = largestOutputs();
    const body = responseBody(target, { Status: 'SUCCESS', PhysicalResourceId: outputs.provisioningId, Reason: 'SUCCESS', Data: outputsAsAttributes(outputs) });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(JSON.parse(body)).toMatchObject({ Status: 'SUCCESS', Data: { ExternalId: outputs.externalId } });
    // ... which the whole outputs object, nested groups included, would not.
    expect(Buffer.byteLength(JSON.stringify(outputs))).toBeGreaterThan(MAX_RESPONSE_BYTES);
  });
});

describe('the response', () => {
  it('shortens a long reason to fit, and keeps the URL out of logs', () => {
    const body = responseBody(target, { Status: 'FAILED', PhysicalResourceId: 'cfn-x', Reason: 'x'.repeat(10_000) });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(JSON.parse(body).Reason).toMatch(/\[shortened\]$/);
    expect(redactUrl('https://bucket.s3.amazonaws.com/key?X-Amz-Signature=abc')).toBe('https://bucket.s3.amazonaws.com/key?***');
  });

  it('never drops an attribute to fit: a SUCCESS that cannot fit becomes a FAILED that says why', () => {
    const body = JSON.parse(responseBody(target, { Status: 'SUCCESS', PhysicalResourceId: 'cfn-x', Data: { Huge: 'x'.repeat(5000) } }));
    expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'cfn-x' });
    expect(body.Data).toBeUndefined();
  });

  it('is PUT again after a failed attempt, after a jittered wait, with the same body, and then once only', async () => {
    const puts: { body: string; headers: Record<string, string> }[] = [];
    const waits: number[] = [];
    const fetchImpl = (async (_url: string, init: RequestInit) => {
      puts.push({ body: String(init.body), headers: init.headers as Record<string, string> });
      return new Response(null, { status: puts.length === 1 ? 503 : 200 });
    }) as unknown as typeof fetch;
    await sendCfnResponse(target, { Status: 'SUCCESS', PhysicalResourceId: 'cfn-x', Data: { VpcId: 'vpc-1' } }, { fetchImpl, random: () => 0.25, sleep: async (ms) => void waits.push(ms), baseDelayMs: 100 });
    expect(puts).toHaveLength(2);
    expect(puts[1].body).toBe(puts[0].body);
    expect(puts[0].headers['content-type']).toBe('');
    expect(waits).toEqual([0.25 * 100 * 2]);
  });

  it('gives up after its attempts with an error naming the redacted URL (Lambda then retries the event)', async () => {
    const fetchImpl = (async () => {
      throw new Error('ECONNRESET');
    }) as unknown as typeof fetch;
    await expect(sendCfnResponse(target, { Status: 'SUCCESS', PhysicalResourceId: 'cfn-x' }, { fetchImpl, attempts: 3, sleep: async () => undefined })).rejects.toThrow(
      'could not answer CloudFormation at https://cfn.example/answer?*** after 3 attempts: ECONNRESET',
    );
  });
});
