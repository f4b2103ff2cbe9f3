import type { Tag } from '@aws-sdk/client-ec2';
import { TAG_PROVISIONING_ID, TAG_RESOURCE } from '../constants';
import { ForeignResourceError } from '../errors';
import { tagValue } from '../tags';

/** True when the tag list carries this provisioning's ID. */
export const isOwnedBy = (tags: { Key?: string; Value?: string }[] | undefined, provisioningId: string): boolean =>
  tagValue(tags as Tag[] | undefined, TAG_PROVISIONING_ID) === provisioningId;

/**
 * Keep only the resources whose tags name this provisioning (and, when given, one of these `byoc:resource`
 * kinds). The Describe calls already filter by tag on AWS; this is the same check again on what came back,
 * because an emulator may ignore a tag filter (moto's DescribeNatGateways does, and returns every gateway),
 * and find-by-tag must never hand another provisioning's resource to a create or a delete.
 */
export function keepOwned<T>(items: T[], tagsOf: (item: T) => { Key?: string; Value?: string }[] | undefined, provisioningId: string, kinds?: string[]): T[] {
  return items.filter((item) => {
    const tags = tagsOf(item) as Tag[] | undefined;
    return isOwnedBy(tags, provisioningId) && (!kinds || kinds.includes(tagValue(tags, TAG_RESOURCE) ?? ''));
  });
}

/**
 * The resources an undo step deletes: those found by the provisioning-ID tag, plus those the state names (the
 * union: the state may have lost a resource, and a tag lookup may lag behind a create). A named resource that
 * exists without our tag is never touched: `ForeignResourceError`. A named resource that no longer exists is
 * simply left out ("not found" is success for an undo).
 *
 * @example
 * const subnets = await ownedResources({ provisioningId, kind: 'subnet', found, named: [state.subnets?.publicSubnetId],
 *   idOf: (s) => s.SubnetId, tagsOf: (s) => s.Tags, describe: (id) => describeSubnet(ec2, id) });
 */
export async function ownedResources<T>(args: {
  provisioningId: string;
  /** What the resource is, for the error message ("subnet"). */
  kind: string;
  found: T[];
  named: (string | undefined)[];
  idOf: (resource: T) => string | undefined;
  tagsOf: (resource: T) => { Key?: string; Value?: string }[] | undefined;
  /** Describe one resource by ID; undefined when AWS says it does not exist. */
  describe: (id: string) => Promise<T | undefined>;
}): Promise<T[]> {
  const byId = new Map<string, T>();
  for (const resource of args.found) {
    const id = args.idOf(resource);
    if (id) byId.set(id, resource);
  }
  for (const id of new Set(args.named.filter((n): n is string => Boolean(n)))) {
    if (byId.has(id)) continue;
    const resource = await args.describe(id);
    if (!resource) continue;
    if (!isOwnedBy(args.tagsOf(resource), args.provisioningId)) {
      throw new ForeignResourceError(`${args.kind} ${id} does not carry ${TAG_PROVISIONING_ID}=${args.provisioningId}; not deleting it`);
    }
    byId.set(id, resource);
  }
  return [...byId.values()];
}

/**
 * A key of the state a create step needs from an earlier step. Its absence is a wiring bug in the state machine,
 * not an AWS condition, so the error is a plain (terminal) one that names the key.
 */
export function requireKey<T>(value: T | undefined, key: string, step: string): T {
  if (value === undefined || value === null) throw new Error(`${step} needs $.${key} in the state, written by an earlier step; it is missing`);
  return value;
}
