import { DescribeAvailabilityZonesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { InvalidInputError } from '../errors';
import { translateAwsError } from '../aws/translate-error';

/**
 * V3: three distinct availability zones for the private subnets. Without a choice from the caller: the first
 * three (by name) that are `available` and need no opt-in. With one: each must exist in the region and be
 * `available`.
 *
 * @throws InvalidInputError when the region has fewer than three usable zones, or a named zone is unusable.
 * @example await pickAvailabilityZones(ec2, 'us-west-2') // ['us-west-2a', 'us-west-2b', 'us-west-2c']
 */
export async function pickAvailabilityZones(ec2: EC2Client, region: string, requested?: string[]): Promise<string[]> {
  let zones;
  try {
    const out = await ec2.send(
      new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-type', Values: ['availability-zone'] }] }),
    );
    zones = out.AvailabilityZones ?? [];
  } catch (error) {
    throw translateAwsError(error, `list the availability zones of ${region}`);
  }
  // Local Zones and Wavelength Zones need an opt-in; plain zones report `opt-in-not-required` (moto: nothing).
  const usable = zones
    .filter((z) => z.State === 'available' && (z.OptInStatus === undefined || z.OptInStatus === 'opt-in-not-required'))
    .map((z) => z.ZoneName!)
    .sort();

  if (requested) {
    const problems = requested
      .map((zone, i) => ({ zone, i }))
      .filter(({ zone }) => !usable.includes(zone))
      .map(({ zone, i }) => ({
        field: `network.availabilityZones.${i}`,
        rule: `"${zone}" is not an available zone of ${region} that needs no opt-in; usable: ${usable.join(', ')}`,
      }));
    if (problems.length > 0) throw new InvalidInputError(problems);
    return requested;
  }
  if (usable.length < 3) {
    throw new InvalidInputError([
      { field: 'region', rule: `needs three available availability zones (V3), ${region} has ${usable.length}: ${usable.join(', ') || 'none'}` },
    ]);
  }
  return usable.slice(0, 3);
}
