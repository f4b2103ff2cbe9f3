import { DescribeAvailabilityZonesCommand, DescribeVpcEndpointServicesCommand, type AvailabilityZone as Ec2Zone, type EC2Client } from '@aws-sdk/client-ec2';
import { InvalidInputError, type FieldProblem } from '../errors';
import { awsErrorCode, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { eksUnsupportedZoneIds } from '../regions';

/**
 * One availability zone, by both its names. The name (`us-west-2a`) is what this account calls it; AWS shuffles
 * names per account. The ID (`usw2-az1`) names the physical zone in every account.
 */
export interface AvailabilityZone {
  zoneName: string;
  zoneId: string;
}

/** What decides which zones may hold the subnets, beyond the region's own zones. */
export interface ZoneOptions {
  /** V9: the region's Zilliz endpoint service (shared/regions.ts); zones are chosen only where it is offered. */
  endpointServiceName?: string;
}

/** Zone IDs sort by their number: `usw2-az2` before `usw2-az10`. */
const byZoneId = (a: AvailabilityZone, b: AvailabilityZone): number => a.zoneId.localeCompare(b.zoneId, 'en', { numeric: true });
const label = (z: AvailabilityZone): string => `${z.zoneName} (${z.zoneId})`;

async function describeZones(ec2: EC2Client, region: string): Promise<Ec2Zone[]> {
  try {
    const out = await ec2.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-type', Values: ['availability-zone'] }] }));
    return out.AvailabilityZones ?? [];
  } catch (error) {
    throw translateAwsError(error, `list the availability zones of ${region}`);
  }
}

/**
 * V9: the zone IDs where the endpoint service is offered, or undefined when the account cannot see the service
 * (AWS answers `InvalidServiceName` both for a service that does not exist and for one whose owner has not allowed
 * this account). EC2 reports the zones by ID (`AvailabilityZoneIds`) and by this account's names; the names are
 * mapped to IDs when only they are given.
 */
async function endpointServiceZoneIds(ec2: EC2Client, serviceName: string, zones: AvailabilityZone[]): Promise<Set<string> | undefined> {
  let details;
  try {
    details = (await ec2.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] }))).ServiceDetails ?? [];
  } catch (error) {
    if (awsErrorCode(error) === 'InvalidServiceName') return undefined;
    throw translateAwsError(error, `look up the zones of endpoint service ${serviceName}`);
  }
  const detail = details.find((d) => d.ServiceName === serviceName);
  if (!detail) return undefined;
  if (detail.AvailabilityZoneIds?.length) return new Set(detail.AvailabilityZoneIds);
  const idOf = new Map(zones.map((z) => [z.zoneName, z.zoneId]));
  return new Set((detail.AvailabilityZones ?? []).map((name) => idOf.get(name)).filter((id): id is string => Boolean(id)));
}

/**
 * V3: the three availability zones of the private subnets (the first also holds the public subnet), chosen by zone
 * ID among the region's zones that
 * - are `available` plain zones that need no opt-in (not Local or Wavelength Zones),
 * - Amazon EKS supports (not, for example, us-east-1's `use1-az3`: see `eksUnsupportedZoneIds`),
 * - offer the region's Zilliz endpoint service (V9, `DescribeVpcEndpointServices`), whenever the account can see
 *   the service, so that the endpoint, made now or later, can have an interface in every private subnet. (An
 *   account the vendor has not allowed cannot see it: then the zones are not narrowed by it.)
 *
 * Without a choice from the caller: the first three of those by zone ID, so that provisionings in different
 * accounts land in the same physical zones (names differ per account, IDs do not). With one: each named zone must
 * be one of those, in the caller's order. The answer carries both the name and the ID of each zone.
 *
 * @throws InvalidInputError naming each requested zone that is not usable and why, or `region` when fewer than
 *   three zones are usable.
 * @example await pickAvailabilityZones(ec2, 'us-west-2', undefined, { endpointServiceName })
 *   // [{ zoneName: 'us-west-2b', zoneId: 'usw2-az1' }, { zoneName: 'us-west-2a', zoneId: 'usw2-az2' }, { zoneName: 'us-west-2c', zoneId: 'usw2-az3' }]
 */
export async function pickAvailabilityZones(ec2: EC2Client, region: string, requested?: string[], options: ZoneOptions = {}): Promise<AvailabilityZone[]> {
  const described = await describeZones(ec2, region);
  const all: AvailabilityZone[] = described.filter((z) => z.ZoneName && z.ZoneId).map((z) => ({ zoneName: z.ZoneName!, zoneId: z.ZoneId! }));
  const stateOf = new Map(described.map((z) => [z.ZoneName, z]));

  // A service the account cannot see narrows nothing: without the endpoint (V9 is optional) any zone will do, and
  // with it CreateVpcEndpoint fails with the same InvalidServiceName and says what to ask the vendor. (moto knows no
  // vendor service: the local stack's realism layer answers for it as AWS does, see local/realism/world.ts.)
  const offered = options.endpointServiceName ? await endpointServiceZoneIds(ec2, options.endpointServiceName, all) : undefined;
  if (options.endpointServiceName && !offered) {
    logger.warn('the region\'s endpoint service is not visible to this account; zones are not narrowed by it', { serviceName: options.endpointServiceName });
  }

  const unsupported = new Set(eksUnsupportedZoneIds(region));
  /** Why a zone of the region may not hold our subnets, or undefined when it may. */
  const reasonAgainst = (zone: AvailabilityZone): string | undefined => {
    const raw = stateOf.get(zone.zoneName);
    if (raw?.State !== 'available') return `is ${raw?.State ?? 'not available'}`;
    // Local Zones and Wavelength Zones need an opt-in; plain zones report `opt-in-not-required` (moto: nothing).
    if (raw.OptInStatus !== undefined && raw.OptInStatus !== 'opt-in-not-required') return 'needs an opt-in (not a plain availability zone)';
    if (unsupported.has(zone.zoneId)) return `is ${zone.zoneId}, where Amazon EKS cannot place a cluster`;
    if (offered && !offered.has(zone.zoneId)) return `is ${zone.zoneId}, where the Zilliz endpoint service ${options.endpointServiceName} is not offered (V9)`;
    return undefined;
  };
  const usable = all.filter((z) => !reasonAgainst(z)).sort(byZoneId);
  const usableText = usable.map(label).join(', ') || 'none';

  if (requested) {
    const problems: FieldProblem[] = [];
    const chosen = requested.map((name, i) => {
      const zone = all.find((z) => z.zoneName === name);
      const why = zone ? reasonAgainst(zone) : `is not a zone of ${region}`;
      if (why) problems.push({ field: `network.availabilityZones.${i}`, rule: `"${name}" ${why}; usable: ${usableText}` });
      return zone;
    });
    if (problems.length > 0) throw new InvalidInputError(problems);
    return chosen as AvailabilityZone[];
  }
  if (usable.length < 3) {
    const narrowedBy = [unsupported.size > 0 ? 'Amazon EKS support' : '', offered ? `the zones of endpoint service ${options.endpointServiceName}` : ''].filter(Boolean);
    throw new InvalidInputError([
      {
        field: 'region',
        rule: `needs three usable availability zones (V3), ${region} has ${usable.length}: ${usableText}${narrowedBy.length > 0 ? ` (available zones narrowed by ${narrowedBy.join(' and ')})` : ''}`,
      },
    ]);
  }
  return usable.slice(0, 3);
}
