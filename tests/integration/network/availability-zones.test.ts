import { ec2Client } from '../../../shared/aws/clients';
import { pickAvailabilityZones } from '../../../shared/network/availability-zones';
import { useMoto } from '../../helpers/moto';

describe('picking availability zones against moto (V3)', () => {
  useMoto();

  it('takes us-west-2a, b and c out of moto\'s four zones of us-west-2', async () => {
    await expect(pickAvailabilityZones(ec2Client({ region: 'us-west-2' }), 'us-west-2')).resolves.toEqual(['us-west-2a', 'us-west-2b', 'us-west-2c']);
  });

  it('keeps three valid requested zones as given, e.g. b, c and d', async () => {
    await expect(pickAvailabilityZones(ec2Client({ region: 'us-west-2' }), 'us-west-2', ['us-west-2d', 'us-west-2b', 'us-west-2c'])).resolves.toEqual([
      'us-west-2d',
      'us-west-2b',
      'us-west-2c',
    ]);
  });

  it('refuses a requested zone the region does not have, listing the usable ones', async () => {
    await expect(pickAvailabilityZones(ec2Client({ region: 'us-west-2' }), 'us-west-2', ['us-west-2a', 'us-west-2b', 'us-west-2e'])).rejects.toMatchObject({
      name: 'InvalidInputError',
      problems: [{ field: 'network.availabilityZones.2', rule: '"us-west-2e" is not an available zone of us-west-2 that needs no opt-in; usable: us-west-2a, us-west-2b, us-west-2c, us-west-2d' }],
    });
  });

  it('refuses a region with fewer than three zones (moto\'s us-west-1 has two)', async () => {
    await expect(pickAvailabilityZones(ec2Client({ region: 'us-west-1' }), 'us-west-1')).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('needs three available availability zones (V3), us-west-1 has 2: us-west-1a, us-west-1b'),
    });
  });
});
