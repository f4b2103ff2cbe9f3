import { CreateNatGatewayCommand, CreateVpcCommand, DescribeNatGatewaysCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { iamClient } from '../../shared/aws/clients';
import { translateAwsError } from '../../shared/aws/translate-error';
import { installRealism, type RealismEvent } from '../../local/realism';
import { useMoto } from '../helpers/moto';
import { ec2, natPrerequisites, rejectionOf, useRealism } from './realism-helpers';

const vpcsWithCidr = async (cidr: string) => (await ec2().send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: [cidr] }] }))).Vpcs ?? [];

describe('realism: throttling and injected faults, as the SDK and the steps see them', () => {
  // Each test makes its own resources and looks only at them: no moto.reset() (it makes moto rebuild its backends).
  useMoto();
  const layer = useRealism({ profile: 'realistic', overrides: { readiness: false, consistency: false, throttling: false }, seed: 5 });

  it('throttles 50 concurrent DescribeVpcs with a small bucket (RequestLimitExceeded), and the SDK retries get most through', async () => {
    // 5 tokens, refilled 1 per AWS second = 100 per second here: the burst empties the bucket at once.
    layer.install({ overrides: { readiness: false, consistency: false, throttling: { ec2: { read: { capacity: 5, refillPerSecond: 1 } } } } });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => ec2().send(new DescribeVpcsCommand({}))));

    const throttles = layer.handle.events.filter((e) => e.kind === 'throttle');
    expect(throttles.length).toBeGreaterThanOrEqual(40);
    expect(throttles[0]).toMatchObject({ service: 'ec2', operation: 'DescribeVpcs', detail: 'bucket ec2:DescribeVpcs empty' });
    const succeeded = results.filter((r) => r.status === 'fulfilled');
    expect(succeeded.length).toBeGreaterThanOrEqual(45);
    expect(succeeded.some((r) => r.status === 'fulfilled' && r.value.$metadata.attempts! > 1)).toBe(true);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503, attempts: 3 } });
        expect(translateAwsError(r.reason, 'list VPCs').name).toBe('RetryableAwsError');
      }
    }
  });

  it('an injected 5xx on every attempt reaches the caller after the SDK\'s 3 attempts, recorded, and translates as retryable', async () => {
    layer.handle.setFaults('DescribeVpcs:error5xx');
    const error = await rejectionOf(ec2().send(new DescribeVpcsCommand({})));
    expect(['InternalError', 'Unavailable']).toContain(error.name);
    expect(error.$fault).toBe('server');
    expect([500, 503]).toContain(error.$metadata?.httpStatusCode);
    expect(error.$metadata?.attempts).toBe(3);
    expect(translateAwsError(error, 'list VPCs').name).toBe('RetryableAwsError');
    expect(layer.handle.events.map((e) => [e.kind, e.operation])).toEqual([
      ['error5xx', 'DescribeVpcs'],
      ['error5xx', 'DescribeVpcs'],
      ['error5xx', 'DescribeVpcs'],
    ]);
  });

  it('a 5xx or a timeout on the first attempt only is healed by the SDK\'s retry', async () => {
    layer.handle.setFaults('DescribeVpcs:error5xx@1,GetRole:timeout@1');
    expect((await ec2().send(new DescribeVpcsCommand({}))).$metadata.attempts).toBe(2);
    const role = await rejectionOf(iamClient({ region: 'us-east-1' }).send(new GetRoleCommand({ RoleName: 'no-such-role' })));
    expect(role.name).toBe('NoSuchEntityException'); // the second attempt reached moto
    expect(role.$metadata?.attempts).toBe(2);
    expect(layer.handle.events.map((e) => e.kind)).toEqual(['error5xx', 'timeout']);
  });

  it('an injected throttle looks like IAM\'s own (Throttling, HTTP 400) and the SDK retries it', async () => {
    layer.handle.setFaults('GetRole:throttle@1,GetRole:throttle@2,GetRole:throttle@3');
    const error = await rejectionOf(iamClient({ region: 'us-east-1' }).send(new GetRoleCommand({ RoleName: 'any' })));
    expect(error).toMatchObject({ name: 'Throttling', message: 'Rate exceeded', $metadata: { httpStatusCode: 400, attempts: 3 } });
    expect(translateAwsError(error, 'read the role').name).toBe('RetryableAwsError');
  });

  it('a lost response leaves a VPC the caller never heard of; the same call again makes a second one (why steps find before they create)', async () => {
    layer.handle.setFaults('CreateVpc:lose-response');
    const create = () => ec2().send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }));
    const error = await rejectionOf(create());
    expect(error).toMatchObject({ message: 'socket hang up', code: 'ECONNRESET' });
    expect(translateAwsError(error, 'create the VPC').name).toBe('RetryableAwsError');
    expect(await vpcsWithCidr('10.40.0.0/16')).toHaveLength(1); // AWS acted

    // Once per call site: the retry goes through - and, CreateVpc having no token, makes a duplicate.
    await create();
    expect(await vpcsWithCidr('10.40.0.0/16')).toHaveLength(2);
    expect(layer.handle.events.map((e) => [e.kind, e.operation, e.detail])).toEqual([['lose-response', 'CreateVpc', 'AWS acted, the answer was lost (CreateVpc:lose-response)']]);
  });

  it('a lost response to CreateNatGateway is harmless when the retry sends the same ClientToken', async () => {
    const pre = await natPrerequisites('10.41.0.0/16');
    layer.handle.setFaults('CreateNatGateway:lose-response');
    const create = () => ec2().send(new CreateNatGatewayCommand({ SubnetId: pre.subnetId, AllocationId: pre.allocationId, ClientToken: 'p-9-CreateNatGateway' }));
    expect((await rejectionOf(create())).code).toBe('ECONNRESET');
    const retried = await create();
    const all = await ec2().send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'subnet-id', Values: [pre.subnetId] }] }));
    expect(all.NatGateways?.map((n) => n.NatGatewayId)).toEqual([retried.NatGateway?.NatGatewayId]);
    expect(layer.handle.events.map((e) => e.kind)).toEqual(['lose-response', 'idempotent-replay']);
  });

  it('fail is a terminal client error on the first attempt, and nothing is created', async () => {
    layer.handle.setFaults('CreateVpc:fail');
    const error = await rejectionOf(ec2().send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' })));
    expect(error).toMatchObject({ name: 'UnauthorizedOperation', $fault: 'client', $metadata: { httpStatusCode: 403, attempts: 1 } });
    expect(translateAwsError(error, 'create the VPC').name).toBe('AccessDeniedError');
    expect(await vpcsWithCidr('10.42.0.0/16')).toHaveLength(0);
  });

  it('a delay is given in AWS seconds and runs on the time scale', async () => {
    layer.handle.setFaults('DescribeVpcs:delay=20');
    await ec2().send(new DescribeVpcsCommand({}));
    expect(layer.handle.events.map((e) => e.detail)).toEqual(['20 s on AWS = 200 ms here, injected by DescribeVpcs:delay=20']);
  });
});

describe('realism: the chaos profile is replayable from its seed', () => {
  useMoto();

  /** Twenty calls one after the other on a client without SDK retries; what the layer did, without IDs or times. */
  async function chaosRun(seed: number): Promise<Pick<RealismEvent, 'kind' | 'operation' | 'detail'>[]> {
    const realism = installRealism({
      profile: 'chaos',
      seed,
      global: false,
      overrides: { readiness: false, consistency: false, throttling: false },
      faults: '*:error5xx=0.3,*:throttle=0.2,CreateVpc:lose-response=0.5',
    });
    const client = realism.attach(new EC2Client({ region: 'us-west-2', maxAttempts: 1 }), 'ec2');
    for (let i = 0; i < 20; i++) {
      const command = i % 4 === 0 ? new CreateVpcCommand({ CidrBlock: `10.${100 + i}.0.0/16` }) : new DescribeVpcsCommand({});
      await client.send(command as CreateVpcCommand).catch(() => undefined);
    }
    client.destroy();
    return realism.events.map(({ kind, operation, detail }) => ({ kind, operation, detail }));
  }

  it('gives the same event sequence for the same seed, and another for another seed', async () => {
    const first = await chaosRun(42);
    expect(first.length).toBeGreaterThan(3);
    expect(await chaosRun(42)).toEqual(first);
    expect(await chaosRun(7)).not.toEqual(first);
  });
});
