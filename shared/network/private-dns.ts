import {
  AssociateVPCWithHostedZoneCommand,
  ChangeResourceRecordSetsCommand,
  ChangeTagsForResourceCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  ListTagsForResourcesCommand,
  type HostedZone,
  type ResourceRecordSet,
  type Route53Client,
  type Tag,
  type VPC,
} from '@aws-sdk/client-route-53';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ProvisioningConfig, TargetConfig } from '../config';
import { TAG_PROVISIONING_ID } from '../constants';
import { EventualConsistencyError, ForeignResourceError, ResourceNotReadyError } from '../errors';
import { awsErrorCode, isNotFound, translateAwsError } from '../aws/translate-error';
import { logger } from '../lambda';
import { PRIVATE_ZONE_NAME } from '../regions';
import { clientToken, resourceTags } from '../tags';
import { UndoTally, isOwnedBy } from './ownership';
import type { NetworkState, PrivateDnsState, PrivateDnsStatus, UndoResult, VpcEndpointState, VpcEndpointStatus, VpcState } from './types';
import { checkVpcEndpoint } from './vpc-endpoint';

export const PRIVATE_HOSTED_ZONE_RESOURCE = 'private-hosted-zone';

/** Route 53 IDs come back as `/hostedzone/Z123` or `/change/C123`; the state keeps the bare ID. */
export const bareId = (id: string): string => id.replace(/^\/(hostedzone|change)\//, '');
/** Route 53 names end with a dot; compare without it, case-insensitively. */
export const sameName = (a: string | undefined, b: string | undefined): boolean =>
  (a ?? '').replace(/\.$/, '').toLowerCase() === (b ?? '').replace(/\.$/, '').toLowerCase();

/**
 * Every CallerReference this provisioning uses starts with this. CreateHostedZone's idempotency key on AWS; moto
 * ignores it on create but lists it back, so it is also how we recognise our zone before (or without) its tags.
 */
export const callerReferencePrefix = (provisioningId: string): string => clientToken(provisioningId, 'CreatePrivateDns');
/** The VPC ID is part of the reference, so a provisioning rebuilt after a teardown (new VPC) gets a fresh one. */
const callerReference = (provisioningId: string, vpcId: string): string => `${callerReferencePrefix(provisioningId)}-${vpcId}`;

/** A hosted zone of ours, with the tags Route 53 reports. */
export interface OwnedZone {
  zone: HostedZone;
  tags: Tag[];
}

const isOurs = (zone: HostedZone, tags: Tag[], provisioningId: string): boolean =>
  Boolean(zone.CallerReference?.startsWith(callerReferencePrefix(provisioningId))) || isOwnedBy(tags, provisioningId);

/** The tags of up to many zones (ListTagsForResources takes 10 IDs per call). */
async function zoneTags(route53: Route53Client, zoneIds: string[]): Promise<Map<string, Tag[]>> {
  const tags = new Map<string, Tag[]>();
  for (let i = 0; i < zoneIds.length; i += 10) {
    const out = await route53.send(new ListTagsForResourcesCommand({ ResourceType: 'hostedzone', ResourceIds: zoneIds.slice(i, i + 10) }));
    for (const set of out.ResourceTagSets ?? []) if (set.ResourceId) tags.set(bareId(set.ResourceId), set.Tags ?? []);
  }
  return tags;
}

/**
 * The private hosted zones named `zoneName`, whoever made them. `ListHostedZonesByName` lists zones in name order
 * starting at `zoneName`, zones of one name together, so the listing stops at the first other name: the cost
 * depends on how many zones carry our name, not on how many the account has.
 */
async function privateZonesNamed(route53: Route53Client, zoneName: string): Promise<HostedZone[]> {
  const zones: HostedZone[] = [];
  let from: { DNSName: string; HostedZoneId?: string } = { DNSName: zoneName };
  for (;;) {
    const out = await route53.send(new ListHostedZonesByNameCommand(from));
    for (const zone of out.HostedZones ?? []) {
      if (!sameName(zone.Name, zoneName)) return zones;
      if (zone.Config?.PrivateZone) zones.push(zone);
    }
    if (!out.IsTruncated || !out.NextDNSName || !sameName(out.NextDNSName, zoneName)) return zones;
    from = { DNSName: out.NextDNSName, HostedZoneId: out.NextHostedZoneId };
  }
}

/**
 * The provisioning's private hosted zones: private zones named `zoneName` (V10's `byoc.zillizcloud.com` unless
 * told otherwise) whose CallerReference is ours or that carry our provisioning-ID tag. Route 53 has no tag filter on
 * listing, so this lists the zones of that name (`ListHostedZonesByName`) and reads the tags of only those.
 *
 * @example const [ours] = await findHostedZones(route53, 'p-1'); // { zone, tags }
 */
export async function findHostedZones(route53: Route53Client, provisioningId: string, zoneName: string = PRIVATE_ZONE_NAME): Promise<OwnedZone[]> {
  try {
    const candidates = await privateZonesNamed(route53, zoneName);
    const tags = await zoneTags(route53, candidates.map((z) => bareId(z.Id!)));
    return candidates
      .map((zone) => ({ zone, tags: tags.get(bareId(zone.Id!)) ?? [] }))
      .filter(({ zone, tags: t }) => isOurs(zone, t, provisioningId))
      .sort((a, b) => a.zone.Id!.localeCompare(b.zone.Id!));
  } catch (error) {
    throw translateAwsError(error, `look up the private hosted zone of provisioning ${provisioningId}`);
  }
}

/** One zone by ID with its VPC associations, or undefined when it does not exist. */
async function getHostedZone(route53: Route53Client, id: string): Promise<{ zone: HostedZone; vpcs: VPC[] } | undefined> {
  try {
    const out = await route53.send(new GetHostedZoneCommand({ Id: id }));
    return out.HostedZone ? { zone: out.HostedZone, vpcs: out.VPCs ?? [] } : undefined;
  } catch (error) {
    if (isNotFound(error, 'NoSuchHostedZone')) return undefined;
    throw translateAwsError(error, `look up hosted zone ${id}`);
  }
}

/** Tag a zone (V8): CreateHostedZone takes no tags, and ChangeTagsForResource at most 10 per call. */
async function tagZone(route53: Route53Client, config: ProvisioningConfig, zoneId: string): Promise<void> {
  const tags = resourceTags(config, PRIVATE_HOSTED_ZONE_RESOURCE, `${config.projectName}-private-dns`);
  for (let i = 0; i < tags.length; i += 10) {
    await route53.send(new ChangeTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId, AddTags: tags.slice(i, i + 10) }));
  }
}

/** V10's alias target: the endpoint's first DNS entry, from the state when CheckVpcEndpoint reported it, else from EC2. */
async function aliasTarget(
  config: ProvisioningConfig,
  inputs: { vpcEndpoint: VpcEndpointState; vpcEndpointStatus?: VpcEndpointStatus },
  ec2: EC2Client,
): Promise<{ dnsName: string; hostedZoneId: string }> {
  const status = inputs.vpcEndpointStatus;
  if (status?.dnsName && status.hostedZoneId) return { dnsName: status.dnsName, hostedZoneId: status.hostedZoneId };
  const fresh = await checkVpcEndpoint(config, { vpcEndpoint: inputs.vpcEndpoint }, { ec2 });
  if (!fresh.dnsName || !fresh.hostedZoneId) throw new ResourceNotReadyError(`VPC endpoint ${inputs.vpcEndpoint.vpcEndpointId} has no DNS entry yet`);
  return { dnsName: fresh.dnsName, hostedZoneId: fresh.hostedZoneId };
}

/**
 * V10: the private hosted zone (`config.network.privateDns.zoneName`) associated with the VPC, holding the alias A
 * record `recordName.zoneName` -> the VPC endpoint's first DNS name. Returns at once with the change ID;
 * CheckPrivateDnsChange reports when Route 53 has applied it (INSYNC).
 *
 * Idempotent: the zone is found first by its CallerReference (derived from the provisioning ID and the VPC) or
 * its tags, because moto does not honour CallerReference on create; the record is written with UPSERT.
 *
 * @example const { hostedZoneId, changeId } = await createPrivateDns(config, state, { ec2, route53 });
 */
export async function createPrivateDns(
  config: ProvisioningConfig,
  inputs: { vpc: VpcState; vpcEndpoint: VpcEndpointState; vpcEndpointStatus?: VpcEndpointStatus },
  deps: { ec2: EC2Client; route53: Route53Client },
): Promise<PrivateDnsState> {
  const { ec2, route53 } = deps;
  const wanted = config.network.privateDns;
  if (!wanted) throw new Error('CreatePrivateDns ran although network.privateDns is not enabled in the config');
  const target = await aliasTarget(config, inputs, ec2);
  const recordName = `${wanted.recordName}.${wanted.zoneName}`;
  const vpc: VPC = { VPCRegion: config.region as VPC['VPCRegion'], VPCId: inputs.vpc.vpcId };

  try {
    const [found] = await findHostedZones(route53, config.provisioningId, wanted.zoneName);
    let zoneId: string;
    if (found) {
      zoneId = bareId(found.zone.Id!);
      logger.info('found existing private hosted zone', { hostedZoneId: zoneId });
      if (!isOwnedBy(found.tags, config.provisioningId)) await tagZone(route53, config, zoneId);
      const current = await getHostedZone(route53, zoneId);
      if (current && !current.vpcs.some((v) => v.VPCId === inputs.vpc.vpcId)) {
        await route53.send(new AssociateVPCWithHostedZoneCommand({ HostedZoneId: zoneId, VPC: vpc, Comment: 'Zilliz BYOC (V10)' }));
        logger.info('associated private hosted zone with the VPC', { hostedZoneId: zoneId, vpcId: inputs.vpc.vpcId });
      }
    } else {
      const out = await route53.send(
        new CreateHostedZoneCommand({
          Name: wanted.zoneName,
          CallerReference: callerReference(config.provisioningId, inputs.vpc.vpcId),
          VPC: vpc,
          // PrivateZone is implied by VPC on AWS; moto makes a public zone unless it is said explicitly.
          HostedZoneConfig: { Comment: `Zilliz BYOC private DNS (V10), provisioning ${config.provisioningId}`, PrivateZone: true },
        }),
      );
      zoneId = bareId(out.HostedZone!.Id!);
      logger.info('created private hosted zone', { hostedZoneId: zoneId });
      await tagZone(route53, config, zoneId);
    }

    const change = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: `Zilliz BYOC alias to VPC endpoint ${inputs.vpcEndpoint.vpcEndpointId} (V10)`,
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: recordName,
                Type: 'A',
                AliasTarget: { DNSName: target.dnsName, HostedZoneId: target.hostedZoneId, EvaluateTargetHealth: false },
              },
            },
          ],
        },
      }),
    );
    const changeId = bareId(change.ChangeInfo!.Id!);
    logger.info('upserted alias record', { hostedZoneId: zoneId, recordName, target: target.dnsName, changeId, status: change.ChangeInfo?.Status });
    return { hostedZoneId: zoneId, changeId, recordName };
  } catch (error) {
    // Made by an earlier attempt whose answer was lost, and not yet listed: the retry finds it.
    if (awsErrorCode(error) === 'HostedZoneAlreadyExists' || awsErrorCode(error) === 'ConflictingDomainExists') {
      throw new EventualConsistencyError(`a private hosted zone ${wanted.zoneName} already exists for ${inputs.vpc.vpcId} but is not (yet) found as ours`, { cause: error });
    }
    if (awsErrorCode(error) === 'InvalidVPCId') throw new EventualConsistencyError(`VPC ${inputs.vpc.vpcId} is not visible to Route 53 yet`, { cause: error });
    throw translateAwsError(error, `set up private hosted zone ${wanted.zoneName}`);
  }
}

/**
 * CheckPrivateDnsChange: whether Route 53 has applied the alias record (`INSYNC`). The state machine waits and
 * calls this again until `ready`.
 *
 * @example await checkPrivateDnsChange(state, { route53 }) // { status: 'PENDING', ready: false }
 */
export async function checkPrivateDnsChange(state: NetworkState, deps: { route53: Route53Client }): Promise<PrivateDnsStatus> {
  const changeId = state.privateDns?.changeId;
  if (!changeId) throw new Error('CheckPrivateDnsChange needs $.privateDns.changeId in the state, written by CreatePrivateDns; it is missing');
  try {
    const out = await deps.route53.send(new GetChangeCommand({ Id: changeId }));
    const status = out.ChangeInfo?.Status === 'INSYNC' ? 'INSYNC' : 'PENDING';
    return { status, ready: status === 'INSYNC' };
  } catch (error) {
    if (isNotFound(error, 'NoSuchChange')) throw new EventualConsistencyError(`Route 53 change ${changeId} is not visible yet`, { cause: error });
    throw translateAwsError(error, `read Route 53 change ${changeId}`);
  }
}

/** Every record set of a zone except the apex SOA and NS, which Route 53 deletes with the zone. */
async function removableRecords(route53: Route53Client, zone: HostedZone): Promise<ResourceRecordSet[]> {
  const records: ResourceRecordSet[] = [];
  let next: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type']; StartRecordIdentifier?: string } = {};
  for (;;) {
    const out = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.Id, ...next }));
    records.push(...(out.ResourceRecordSets ?? []));
    if (!out.IsTruncated) break;
    next = { StartRecordName: out.NextRecordName, StartRecordType: out.NextRecordType, StartRecordIdentifier: out.NextRecordIdentifier };
  }
  return records.filter((r) => !((r.Type === 'SOA' || r.Type === 'NS') && sameName(r.Name, zone.Name)));
}

/** A record set as DELETE must name it: exactly as listed, except that alias records have no TTL (moto lists one of 0). */
function asListed(record: ResourceRecordSet): ResourceRecordSet {
  if (!record.AliasTarget) return record;
  const { TTL: _ttl, ResourceRecords: _records, ...alias } = record;
  return alias;
}

/**
 * Undo of {@link createPrivateDns}: empty each private hosted zone of the provisioning (named in `$.privateDns`, or
 * found by CallerReference/tag) of everything but its SOA and NS records, then delete it. Deleting a private zone
 * also ends its VPC association (Route 53 does not let the last VPC be disassociated). "Not found" is success,
 * reported in `notFound`; a zone named in the state that is not ours raises `ForeignResourceError`.
 *
 * @example await deletePrivateDns(config, state, { route53 }) // { deleted: ['Z123'], notFound: [] }
 */
export async function deletePrivateDns(config: TargetConfig, state: NetworkState, deps: { route53: Route53Client }): Promise<UndoResult> {
  const { route53 } = deps;
  const zones = (await findHostedZones(route53, config.provisioningId)).map((z) => z.zone);
  const tally = new UndoTally();
  const named = state.privateDns?.hostedZoneId;
  if (named && !zones.some((z) => bareId(z.Id!) === bareId(named))) {
    const found = await getHostedZone(route53, bareId(named));
    if (!found) tally.notFound.push(bareId(named));
    else {
      const tags = (await zoneTags(route53, [bareId(named)])).get(bareId(named)) ?? [];
      if (!isOurs(found.zone, tags, config.provisioningId)) {
        throw new ForeignResourceError(`hosted zone ${named} does not carry ${TAG_PROVISIONING_ID}=${config.provisioningId}; not deleting it`);
      }
      zones.push(found.zone);
    }
  }
  for (const zone of zones) {
    const id = bareId(zone.Id!);
    try {
      const records = await removableRecords(route53, zone);
      if (records.length > 0) {
        await route53.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: id,
            ChangeBatch: { Comment: 'Zilliz BYOC teardown', Changes: records.map((r) => ({ Action: 'DELETE', ResourceRecordSet: asListed(r) })) },
          }),
        );
        logger.info('deleted records', { hostedZoneId: id, records: records.map((r) => `${r.Name} ${r.Type}`) });
      }
      await route53.send(new DeleteHostedZoneCommand({ Id: id }));
      logger.info('deleted private hosted zone', { hostedZoneId: id });
      tally.deleted.push(id);
    } catch (error) {
      if (isNotFound(error, 'NoSuchHostedZone')) {
        tally.notFound.push(id); // gone already (a concurrent run)
      } else if (awsErrorCode(error) === 'InvalidChangeBatch') {
        // A record changed between our listing and the delete (a concurrent run): list again on the retry.
        throw new EventualConsistencyError(`the records of hosted zone ${id} changed while deleting them`, { cause: error });
      } else {
        throw translateAwsError(error, `empty and delete hosted zone ${id}`);
      }
    }
  }
  return tally.result();
}
