import { createHash } from 'node:crypto';
import type { Tag, TagSpecification, ResourceType, Filter } from '@aws-sdk/client-ec2';
import { TAG_PROVISIONING_ID, TAG_RESOURCE } from './constants';
import type { ProvisioningConfig } from './config';

/**
 * V8: the tags of one resource: the provisioning's common tags, a `Name` derived from the project name, and the
 * ownership tag `byoc:resource` that find-by-tag uses to tell the provisioning's resources apart.
 * @example resourceTags(config, 'vpc') // [{Key:'Name',Value:'demo-vpc'}, {Key:'Vendor',Value:'zilliz-byoc'}, ...]
 */
export function resourceTags(config: Pick<ProvisioningConfig, 'tags' | 'projectName'>, resource: string, name = `${config.projectName}-${resource}`): Tag[] {
  const all: Record<string, string> = { Name: name, ...config.tags, [TAG_RESOURCE]: resource };
  return Object.entries(all).map(([Key, Value]) => ({ Key, Value }));
}

/** EC2 `TagSpecifications` for a create call, so the resource is tagged atomically with its creation. */
export function tagSpecification(config: Pick<ProvisioningConfig, 'tags' | 'projectName'>, resourceType: ResourceType, resource: string, name?: string): TagSpecification[] {
  return [{ ResourceType: resourceType, Tags: resourceTags(config, resource, name) }];
}

/** EC2 Describe filters that find the provisioning's resource of one kind (or all kinds). */
export function ownershipFilters(provisioningId: string, resource?: string): Filter[] {
  const filters: Filter[] = [{ Name: `tag:${TAG_PROVISIONING_ID}`, Values: [provisioningId] }];
  if (resource) filters.push({ Name: `tag:${TAG_RESOURCE}`, Values: [resource] });
  return filters;
}

/** The value of a tag in an EC2 tag list. */
export const tagValue = (tags: Tag[] | undefined, key: string): string | undefined => tags?.find((t) => t.Key === key)?.Value;

/**
 * A deterministic EC2 `ClientToken` (at most 64 ASCII characters) for one create call of one provisioning:
 * a retried step sends the same token, so real AWS answers with the resource it already made.
 */
export function clientToken(provisioningId: string, step: string): string {
  return `byoc-${createHash('sha256').update(`${provisioningId}\n${step}`).digest('hex').slice(0, 48)}`;
}
