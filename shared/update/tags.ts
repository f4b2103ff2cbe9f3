import { CreateTagsCommand, DeleteTagsCommand, DescribeTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { TagRoleCommand, UntagRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { ChangeTagsForResourceCommand, ListTagsForResourceCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { GetBucketTaggingCommand, PutBucketTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ProvisioningConfig } from '../config';
import { SYSTEM_TAG_KEY, TAG_PROVISIONING_ID } from '../constants';
import { ForeignResourceError } from '../errors';
import { isNotFound, translateAwsError } from '../aws/translate-error';
import { getRole, isOurRole } from '../iam/role';
import { logger } from '../lambda';
import { bareId } from '../network/private-dns';
import type { PrivateDnsState } from '../network/types';
import { tagRecord } from '../storage/settings';
import type { BucketState } from '../storage/types';

/**
 * ApplyTags: an update's tags, on every resource of the provisioning, in place. Every create step tags what it
 * makes at creation, but one that finds its resource by tag (a re-run, an update) does not tag it again; this step
 * does, for all of them at once:
 *
 * - EC2 (VPC, subnets, gateways, Elastic IP, route tables, security group and its rules, endpoints): every resource
 *   carrying our provisioning-ID tag, found with `DescribeTags`;
 * - the three roles, by name (ours only: they carry our provisioning-ID tag);
 * - our bucket, only when we manage it (the customer's existing bucket is never changed), merged with its other tags;
 * - our private hosted zone, when there is one.
 *
 * It sets the request's tags where they are missing or differ, and removes the keys that the previous request's
 * `tags` had and the new one has not; never any other key: system keys (`Name`, `Vendor`, `byoc:*`,
 * `kubernetes.io/*`) and anyone else's stay. Idempotent: a re-run changes nothing more.
 */

/** What ApplyTags reads from the execution state: the config and the keys that name the non-EC2 resources. */
export interface ApplyTagsState {
  config: ProvisioningConfig;
  bucket?: Pick<BucketState, 'bucketName' | 'managed'>;
  privateDns?: Pick<PrivateDnsState, 'hostedZoneId'>;
}

/** `$.tags`, written by ApplyTags. */
export interface ApplyTagsResult {
  /** The resources whose tags this run changed: EC2 IDs, `role/<name>`, `bucket/<name>`, `hostedzone/<id>`. */
  changed: string[];
  /** The resources that already had the request's tags and none of the keys to remove. */
  unchanged: string[];
  /** The keys removed wherever present: the previous request's tag keys that the new request dropped. */
  removedKeys: string[];
}

/** What to change on one resource. */
export interface TagChange {
  /** Tags to put (missing, or with another value). */
  set: Record<string, string>;
  /** Keys to remove (present, and no longer in the request). */
  remove: string[];
}

/**
 * The keys an update removes: those of the previous request's `tags` that the new tags lack, never a system key.
 * @example removableTagKeys({ team: 'a', 'cost-center': '1', Name: 'x' }, { team: 'b' }) // ['cost-center']
 */
export function removableTagKeys(previousTags: Record<string, string> | undefined, wanted: Record<string, string>): string[] {
  return Object.keys(previousTags ?? {})
    .filter((key) => !(key in wanted) && !SYSTEM_TAG_KEY.test(key))
    .sort();
}

/**
 * What one resource needs: the wanted tags it lacks or has with another value, and the removable keys it has.
 * @example tagChange({ team: 'a', owner: 'ops' }, { team: 'b' }, ['owner']) // { set: { team: 'b' }, remove: ['owner'] }
 */
export function tagChange(current: Record<string, string>, wanted: Record<string, string>, removable: string[]): TagChange {
  return {
    set: Object.fromEntries(Object.entries(wanted).filter(([key, value]) => current[key] !== value)),
    remove: removable.filter((key) => key in current),
  };
}

const isEmpty = (change: TagChange): boolean => Object.keys(change.set).length === 0 && change.remove.length === 0;
const asList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const chunks = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Every EC2 resource carrying our provisioning-ID tag, with all its tags. */
export async function ec2ResourcesOf(ec2: EC2Client, provisioningId: string): Promise<Map<string, Record<string, string>>> {
  const ids = new Set<string>();
  let NextToken: string | undefined;
  do {
    const out = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: [TAG_PROVISIONING_ID] }, { Name: 'value', Values: [provisioningId] }], MaxResults: 1000, NextToken }));
    for (const t of out.Tags ?? []) if (t.ResourceId) ids.add(t.ResourceId);
    NextToken = out.NextToken;
  } while (NextToken);
  const tags = new Map<string, Record<string, string>>([...ids].map((id) => [id, {}]));
  // EC2 takes up to 200 values per filter.
  for (const batch of chunks([...ids], 200)) {
    let token: string | undefined;
    do {
      const out = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: batch }], MaxResults: 1000, NextToken: token }));
      for (const t of out.Tags ?? []) if (t.ResourceId && t.Key) tags.get(t.ResourceId)![t.Key] = t.Value ?? '';
      token = out.NextToken;
    } while (token);
  }
  return tags;
}

/**
 * Run an EC2 tag call on a batch of resources; if one of them is gone meanwhile (a NotFound for the batch), on each
 * alone, skipping those that are gone: a deleted resource needs no tags.
 */
async function onEach(ids: string[], call: (ids: string[]) => Promise<unknown>): Promise<string[]> {
  try {
    await call(ids);
    return ids;
  } catch (error) {
    if (ids.length === 1 || !isNotFound(error)) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }
  const done: string[] = [];
  for (const id of ids) done.push(...(await onEach([id], call)));
  return done;
}

async function tagEc2(ec2: EC2Client, config: ProvisioningConfig, removable: string[], result: ApplyTagsResult): Promise<void> {
  const resources = await ec2ResourcesOf(ec2, config.provisioningId);
  // One CreateTags / DeleteTags per distinct change, for all the resources that need it.
  const groups = new Map<string, { change: TagChange; ids: string[] }>();
  for (const [id, current] of resources) {
    const change = tagChange(current, config.tags, removable);
    if (isEmpty(change)) {
      result.unchanged.push(id);
      continue;
    }
    const key = JSON.stringify(change);
    if (!groups.has(key)) groups.set(key, { change, ids: [] });
    groups.get(key)!.ids.push(id);
  }
  for (const { change, ids } of groups.values()) {
    for (const batch of chunks(ids.sort(), 500)) {
      let done = batch;
      if (Object.keys(change.set).length > 0) done = await onEach(done, (Resources) => ec2.send(new CreateTagsCommand({ Resources, Tags: asList(change.set) })));
      if (change.remove.length > 0) done = await onEach(done, (Resources) => ec2.send(new DeleteTagsCommand({ Resources, Tags: change.remove.map((Key) => ({ Key })) })));
      result.changed.push(...done);
    }
  }
}

async function tagRoles(iam: IAMClient, config: ProvisioningConfig, removable: string[], result: ApplyTagsResult): Promise<void> {
  for (const name of new Set([config.iamRole.name, config.storageRole.name, config.crossAccountRole.name])) {
    const role = await getRole(iam, name);
    if (!role) {
      logger.warn('role of the provisioning not found; nothing to tag', { roleName: name });
      continue;
    }
    if (!isOurRole(role, config.provisioningId)) throw new ForeignResourceError(`IAM role ${name} does not carry ${TAG_PROVISIONING_ID}=${config.provisioningId}; not changing its tags`);
    const change = tagChange(tagRecord(role.Tags), config.tags, removable);
    if (isEmpty(change)) {
      result.unchanged.push(`role/${name}`);
      continue;
    }
    try {
      if (Object.keys(change.set).length > 0) await iam.send(new TagRoleCommand({ RoleName: name, Tags: asList(change.set) }));
      if (change.remove.length > 0) await iam.send(new UntagRoleCommand({ RoleName: name, TagKeys: change.remove }));
    } catch (error) {
      throw translateAwsError(error, `tag IAM role ${name}`);
    }
    result.changed.push(`role/${name}`);
  }
}

async function tagBucket(s3: S3Client, state: ApplyTagsState, removable: string[], result: ApplyTagsResult): Promise<void> {
  const { config } = state;
  // The customer's existing bucket is never changed; ours is known by its configured name.
  if (config.bucket.existing || state.bucket?.managed === false) return;
  const name = config.bucket.name;
  const owner = { ExpectedBucketOwner: config.accountId };
  let current: Record<string, string>;
  try {
    current = tagRecord((await s3.send(new GetBucketTaggingCommand({ Bucket: name, ...owner }))).TagSet);
  } catch (error) {
    if (isNotFound(error, 'NoSuchTagSet')) current = {};
    else if (isNotFound(error, 'NoSuchBucket')) return;
    else throw translateAwsError(error, `read the tags of S3 bucket ${name}`);
  }
  if (current[TAG_PROVISIONING_ID] !== config.provisioningId) throw new ForeignResourceError(`S3 bucket ${name} does not carry ${TAG_PROVISIONING_ID}=${config.provisioningId}; not changing its tags`);
  const change = tagChange(current, config.tags, removable);
  if (isEmpty(change)) {
    result.unchanged.push(`bucket/${name}`);
    return;
  }
  // PutBucketTagging replaces the whole set: keep every other tag.
  const merged = { ...Object.fromEntries(Object.entries(current).filter(([key]) => !change.remove.includes(key))), ...change.set };
  try {
    await s3.send(new PutBucketTaggingCommand({ Bucket: name, ...owner, Tagging: { TagSet: asList(merged) } }));
  } catch (error) {
    throw translateAwsError(error, `tag S3 bucket ${name}`);
  }
  result.changed.push(`bucket/${name}`);
}

async function tagHostedZone(route53: Route53Client, state: ApplyTagsState, removable: string[], result: ApplyTagsResult): Promise<void> {
  const zoneId = state.privateDns?.hostedZoneId ? bareId(state.privateDns.hostedZoneId) : undefined;
  if (!zoneId) return;
  let current: Record<string, string>;
  try {
    const out = await route53.send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId }));
    current = Object.fromEntries((out.ResourceTagSet?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  } catch (error) {
    if (isNotFound(error, 'NoSuchHostedZone')) return;
    throw translateAwsError(error, `read the tags of hosted zone ${zoneId}`);
  }
  if (current[TAG_PROVISIONING_ID] !== state.config.provisioningId) {
    throw new ForeignResourceError(`hosted zone ${zoneId} does not carry ${TAG_PROVISIONING_ID}=${state.config.provisioningId}; not changing its tags`);
  }
  const change = tagChange(current, state.config.tags, removable);
  if (isEmpty(change)) {
    result.unchanged.push(`hostedzone/${zoneId}`);
    return;
  }
  try {
    // Route 53 takes at most 10 tags to add and 10 keys to remove per call.
    for (const batch of chunks(asList(change.set), 10)) await route53.send(new ChangeTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId, AddTags: batch }));
    for (const batch of chunks(change.remove, 10)) await route53.send(new ChangeTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: zoneId, RemoveTagKeys: batch }));
  } catch (error) {
    throw translateAwsError(error, `tag hosted zone ${zoneId}`);
  }
  result.changed.push(`hostedzone/${zoneId}`);
}

/**
 * Put the request's tags on every resource of the provisioning and remove the keys the previous request had and
 * this one dropped (`config.previousTags`), in place: same resources, no other key touched. The state machine runs
 * it when the registry holds a previous request (an update, or an attempt with a changed request); a first
 * provisioning tagged everything at creation and skips it.
 *
 * @throws ForeignResourceError when a role, bucket or zone the config names is not ours (nothing of it is changed).
 * @example await applyTags(state, { ec2, iam, s3, route53 }) // { changed: ['vpc-1', 'role/zilliz-byoc-demo-eks-role'], unchanged: [...], removedKeys: ['team'] }
 */
export async function applyTags(state: ApplyTagsState, deps: { ec2: EC2Client; iam: IAMClient; s3: S3Client; route53: Route53Client }): Promise<ApplyTagsResult> {
  const removable = removableTagKeys(state.config.previousTags, state.config.tags);
  const result: ApplyTagsResult = { changed: [], unchanged: [], removedKeys: removable };
  try {
    await tagEc2(deps.ec2, state.config, removable, result);
  } catch (error) {
    throw translateAwsError(error, `tag the EC2 resources of provisioning ${state.config.provisioningId}`);
  }
  await tagRoles(deps.iam, state.config, removable, result);
  await tagBucket(deps.s3, state, removable, result);
  await tagHostedZone(deps.route53, state, removable, result);
  logger.info('applied the request\'s tags', { changed: result.changed.length, unchanged: result.unchanged.length, removedKeys: removable });
  return { changed: [...result.changed].sort(), unchanged: [...result.unchanged].sort(), removedKeys: removable };
}
