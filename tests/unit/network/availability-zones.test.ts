import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { pickAvailabilityZones } from '../../../shared/network/availability-zones';

const ec2Mock = mockClient(EC2Client);
const zone = (ZoneName: string, extra: { State?: 'available' | 'impaired'; OptInStatus?: 'opt-in-not-required' | 'opted-in' | 'not-opted-in' } = {}) => ({
  ZoneName,
  State: extra.State ?? 'available',
  OptInStatus: extra.OptInStatus ?? 'opt-in-not-required',
});

describe('picking three availability zones (V3)', () => {
  const ec2 = new EC2Client({ region: 'us-west-2' });
  afterEach(() => ec2Mock.reset());

  it('takes the first three usable zones by name when the caller names none', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: [zone('us-west-2d'), zone('us-west-2b'), zone('us-west-2a'), zone('us-west-2c')] });
    await expect(pickAvailabilityZones(ec2, 'us-west-2')).resolves.toEqual(['us-west-2a', 'us-west-2b', 'us-west-2c']);
  });

  it('skips zones that are impaired or need an opt-in (Local Zones), so the plan never lands in one', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({
      AvailabilityZones: [zone('us-west-2a', { State: 'impaired' }), zone('us-west-2-lax-1a', { OptInStatus: 'not-opted-in' }), zone('us-west-2b'), zone('us-west-2c'), zone('us-west-2d')],
    });
    await expect(pickAvailabilityZones(ec2, 'us-west-2')).resolves.toEqual(['us-west-2b', 'us-west-2c', 'us-west-2d']);
  });

  it('refuses a region with fewer than three usable zones, naming the ones it has', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: [zone('us-west-1a'), zone('us-west-1b')] });
    await expect(pickAvailabilityZones(ec2, 'us-west-1')).rejects.toMatchObject({
      name: 'InvalidInputError',
      problems: [{ field: 'region', rule: 'needs three available availability zones (V3), us-west-1 has 2: us-west-1a, us-west-1b' }],
    });
  });

  it('names each requested zone that is not usable, by its position', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: [zone('us-west-2a'), zone('us-west-2b', { State: 'impaired' }), zone('us-west-2c')] });
    await expect(pickAvailabilityZones(ec2, 'us-west-2', ['us-west-2a', 'us-west-2b', 'us-west-2z'])).rejects.toMatchObject({
      name: 'InvalidInputError',
      problems: [
        { field: 'network.availabilityZones.1', rule: expect.stringContaining('"us-west-2b" is not an available zone of us-west-2') },
        { field: 'network.availabilityZones.2', rule: expect.stringContaining('"us-west-2z"') },
      ],
    });
  });

  it('maps an AWS failure to a named error (throttling is retryable)', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }));
    await expect(pickAvailabilityZones(ec2, 'us-west-2')).rejects.toMatchObject({ name: 'RetryableAwsError' });
  });
});
