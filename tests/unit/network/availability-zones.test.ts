import { DescribeAvailabilityZonesCommand, DescribeVpcEndpointServicesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { pickAvailabilityZones } from '../../../shared/network/availability-zones';
import { eksUnsupportedZoneIds } from '../../../shared/regions';

const ec2Mock = mockClient(EC2Client);
const zone = (ZoneName: string, ZoneId: string, extra: { State?: 'available' | 'impaired'; OptInStatus?: 'opt-in-not-required' | 'opted-in' | 'not-opted-in' } = {}) => ({
  ZoneName,
  ZoneId,
  State: extra.State ?? 'available',
  OptInStatus: extra.OptInStatus ?? 'opt-in-not-required',
});
/** moto's us-west-2, whose names and IDs do not sort alike (as in a real account). */
const USW2 = [zone('us-west-2a', 'usw2-az2'), zone('us-west-2b', 'usw2-az1'), zone('us-west-2c', 'usw2-az3'), zone('us-west-2d', 'usw2-az4')];
/** us-east-1 as an account may name it: its `us-east-1c` is use1-az3, where EKS cannot place a cluster. */
const USE1 = [zone('us-east-1a', 'use1-az6'), zone('us-east-1b', 'use1-az1'), zone('us-east-1c', 'use1-az3'), zone('us-east-1d', 'use1-az2'), zone('us-east-1e', 'use1-az4')];
const SERVICE = 'com.amazonaws.vpce.us-west-2.vpce-svc-0654fb016640c364a';
const notVisible = () => Object.assign(new Error(`The Vpc Endpoint Service '${SERVICE}' does not exist`), { name: 'InvalidServiceName', $fault: 'client', $metadata: { httpStatusCode: 400 } });

describe('picking three availability zones by zone ID (V3, V9)', () => {
  const ec2 = new EC2Client({ region: 'us-west-2' });
  afterEach(() => ec2Mock.reset());

  it('V3: takes the first three usable zones by zone ID, with names and IDs, so accounts with other names land in the same physical zones', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: USW2 });
    await expect(pickAvailabilityZones(ec2, 'us-west-2')).resolves.toEqual([
      { zoneName: 'us-west-2b', zoneId: 'usw2-az1' },
      { zoneName: 'us-west-2a', zoneId: 'usw2-az2' },
      { zoneName: 'us-west-2c', zoneId: 'usw2-az3' },
    ]);
  });

  it('V3: sorts zone IDs by number (az10 after az9)', async () => {
    const many = Array.from({ length: 10 }, (_, i) => zone(`xx-test-1${String.fromCharCode(106 - i)}`, `xxt1-az${i + 1}`));
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: [...many].reverse() });
    expect((await pickAvailabilityZones(ec2, 'xx-test-1')).map((z) => z.zoneId)).toEqual(['xxt1-az1', 'xxt1-az2', 'xxt1-az3']);
  });

  it('V3: skips zones that are impaired or need an opt-in (Local Zones), so the plan never lands in one', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({
      AvailabilityZones: [zone('us-west-2a', 'usw2-az2', { State: 'impaired' }), zone('us-west-2-lax-1a', 'usw2-lax1-az1', { OptInStatus: 'not-opted-in' }), ...USW2.slice(1)],
    });
    expect((await pickAvailabilityZones(ec2, 'us-west-2')).map((z) => z.zoneName)).toEqual(['us-west-2b', 'us-west-2c', 'us-west-2d']);
  });

  it('V3: never picks a zone EKS does not support (us-east-1 use1-az3, whatever this account calls it)', async () => {
    expect(eksUnsupportedZoneIds('us-east-1')).toEqual(['use1-az3']);
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: USE1 });
    expect(await pickAvailabilityZones(ec2, 'us-east-1')).toEqual([
      { zoneName: 'us-east-1b', zoneId: 'use1-az1' },
      { zoneName: 'us-east-1d', zoneId: 'use1-az2' },
      { zoneName: 'us-east-1e', zoneId: 'use1-az4' },
    ]);
  });

  it('V3: refuses a caller-given zone EKS does not support, naming the field, the zone ID and the usable zones', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: USE1 });
    await expect(pickAvailabilityZones(ec2, 'us-east-1', ['us-east-1a', 'us-east-1b', 'us-east-1c'])).rejects.toMatchObject({
      name: 'InvalidInputError',
      problems: [
        {
          field: 'network.availabilityZones.2',
          rule: '"us-east-1c" is use1-az3, where Amazon EKS cannot place a cluster; usable: us-east-1b (use1-az1), us-east-1d (use1-az2), us-east-1e (use1-az4), us-east-1a (use1-az6)',
        },
      ],
    });
  });

  it('V3, V9: chooses only among the zones where the region\'s endpoint service is offered (EC2 gives them by zone ID)', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: USW2 });
    ec2Mock.on(DescribeVpcEndpointServicesCommand, { ServiceNames: [SERVICE] }).resolves({
      ServiceDetails: [{ ServiceName: SERVICE, AvailabilityZoneIds: ['usw2-az2', 'usw2-az3', 'usw2-az4'], AvailabilityZones: ['us-west-2a', 'us-west-2c', 'us-west-2d'] }],
    });
    expect(await pickAvailabilityZones(ec2, 'us-west-2', undefined, { endpointServiceName: SERVICE })).toEqual([
      { zoneName: 'us-west-2a', zoneId: 'usw2-az2' },
      { zoneName: 'us-west-2c', zoneId: 'usw2-az3' },
      { zoneName: 'us-west-2d', zoneId: 'usw2-az4' },
    ]);
  });

  it('V9: maps the service\'s zone names to IDs when EC2 gives only names', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: USW2 });
    ec2Mock.on(DescribeVpcEndpointServicesCommand).resolves({ ServiceDetails: [{ ServiceName: SERVICE, AvailabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2d'] }] });
    expect((await pickAvailabilityZones(ec2, 'us-west-2', undefined, { endpointServiceName: SERVICE })).map((z) => z.zoneId)).toEqual(['usw2-az1', 'usw2-az2', 'usw2-az4']);
  });

  it('V3, V9: refuses a caller-given zone where the endpoint service is not offered, saying so', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: USW2 });
    ec2Mock.on(DescribeVpcEndpointServicesCommand).resolves({ ServiceDetails: [{ ServiceName: SERVICE, AvailabilityZoneIds: ['usw2-az2', 'usw2-az3', 'usw2-az4'] }] });
    await expect(pickAvailabilityZones(ec2, 'us-west-2', ['us-west-2a', 'us-west-2b', 'us-west-2c'], { endpointServiceName: SERVICE })).rejects.toMatchObject({
      name: 'InvalidInputError',
      problems: [
        {
          field: 'network.availabilityZones.1',
          rule: `"us-west-2b" is usw2-az1, where the Zilliz endpoint service ${SERVICE} is not offered (V9); usable: us-west-2a (usw2-az2), us-west-2c (usw2-az3), us-west-2d (usw2-az4)`,
        },
      ],
    });
  });

  it('V3: keeps three valid caller-given zones in the caller\'s order, with their IDs', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: USW2 });
    ec2Mock.on(DescribeVpcEndpointServicesCommand).resolves({ ServiceDetails: [{ ServiceName: SERVICE, AvailabilityZoneIds: ['usw2-az1', 'usw2-az2', 'usw2-az3', 'usw2-az4'] }] });
    expect(await pickAvailabilityZones(ec2, 'us-west-2', ['us-west-2d', 'us-west-2b', 'us-west-2c'], { endpointServiceName: SERVICE })).toEqual([
      { zoneName: 'us-west-2d', zoneId: 'usw2-az4' },
      { zoneName: 'us-west-2b', zoneId: 'usw2-az1' },
      { zoneName: 'us-west-2c', zoneId: 'usw2-az3' },
    ]);
  });

  it('V9: an endpoint service the account cannot see (the vendor has not allowed it yet) narrows nothing; CreateVpcEndpoint will say what to ask the vendor', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: USW2 });
    ec2Mock.on(DescribeVpcEndpointServicesCommand).rejects(notVisible());
    expect((await pickAvailabilityZones(ec2, 'us-west-2', undefined, { endpointServiceName: SERVICE })).map((z) => z.zoneId)).toEqual(['usw2-az1', 'usw2-az2', 'usw2-az3']);
  });

  it('V9: any other failure to read the service is a named error (throttling: retried)', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: USW2 });
    ec2Mock.on(DescribeVpcEndpointServicesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }));
    await expect(pickAvailabilityZones(ec2, 'us-west-2', undefined, { endpointServiceName: SERVICE })).rejects.toMatchObject({ name: 'RetryableAwsError' });
  });

  it('V3: refuses a region with fewer than three usable zones, naming the ones it has and what narrowed them', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: USW2 });
    ec2Mock.on(DescribeVpcEndpointServicesCommand).resolves({ ServiceDetails: [{ ServiceName: SERVICE, AvailabilityZoneIds: ['usw2-az1', 'usw2-az2'] }] });
    await expect(pickAvailabilityZones(ec2, 'us-west-2', undefined, { endpointServiceName: SERVICE })).rejects.toMatchObject({
      name: 'InvalidInputError',
      problems: [
        {
          field: 'region',
          rule: `needs three usable availability zones (V3), us-west-2 has 2: us-west-2b (usw2-az1), us-west-2a (usw2-az2) (available zones narrowed by the zones of endpoint service ${SERVICE})`,
        },
      ],
    });
  });

  it('V3: names each caller-given zone that is not usable, by its position', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: [zone('us-west-2a', 'usw2-az2'), zone('us-west-2b', 'usw2-az1', { State: 'impaired' }), zone('us-west-2c', 'usw2-az3')] });
    await expect(pickAvailabilityZones(ec2, 'us-west-2', ['us-west-2a', 'us-west-2b', 'us-west-2z'])).rejects.toMatchObject({
      name: 'InvalidInputError',
      problems: [
        { field: 'network.availabilityZones.1', rule: expect.stringContaining('"us-west-2b" is impaired') },
        { field: 'network.availabilityZones.2', rule: expect.stringContaining('"us-west-2z" is not a zone of us-west-2') },
      ],
    });
  });

  it('maps an AWS failure to a named error (throttling is retryable)', async () => {
    ec2Mock.on(DescribeAvailabilityZonesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }));
    await expect(pickAvailabilityZones(ec2, 'us-west-2')).rejects.toMatchObject({ name: 'RetryableAwsError' });
  });
});
