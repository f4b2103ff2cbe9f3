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
 * exists without our tag is never touched: `ForeignResourceError`. A named resource that no longer exists is left
 * out of `owned` and listed in `notFound` ("not found" is success for an undo, but it is not a deletion).
 *
 * @example
 * const { owned, notFound } = await ownedResources({ provisioningId, kind: 'subnet', found, named: [state.subnets?.publicSubnetId],
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
}): Promise<{ owned: T[]; notFound: string[] }> {
  const byId = new Map<string, T>();
  const notFound: string[] = [];
  for (const resource of args.found) {
    const id = args.idOf(resource);
    if (id) byId.set(id, resource);
  }
  for (const id of new Set(args.named.filter((n): n is string => Boolean(n)))) {
    if (byId.has(id)) continue;
    const resource = await args.describe(id);
    if (!resource) {
      notFound.push(id);
      continue;
    }
    if (!isOwnedBy(args.tagsOf(resource), args.provisioningId)) {
      throw new ForeignResourceError(`${args.kind} ${id} does not carry ${TAG_PROVISIONING_ID}=${args.provisioningId}; not deleting it`);
    }
    byId.set(id, resource);
  }
  return { owned: [...byId.values()], notFound };
}

/** An undo step's tally: what it deleted and what was not there; sorted, so a result reads the same every run. */
export class UndoTally {
  readonly deleted: string[] = [];
  readonly notFound: string[];
  constructor(notFound: string[] = []) {
    this.notFound = [...notFound];
  }
  result(): { deleted: string[]; notFound: string[] } {
    return { deleted: [...new Set(this.deleted)].sort(), notFound: [...new Set(this.notFound)].filter((id) => !this.deleted.includes(id)).sort() };
  }
}

/**
 * Of several resources of one kind that should be one (an earlier attempt's create acted but its answer was lost,
 * and a retry made a second one before the first showed up by tag; or two attempts ran at once), the one to keep:
 * one in use before one that is not, then the lowest ID. Deterministic, so concurrent attempts that see the same
 * resources keep the same one. `extras` are the others; the caller deletes only those it may (ours, not in use).
 *
 * @example chooseKeeper([{ id: 'vpc-2' }, { id: 'vpc-1' }], (v) => v.id, () => false) // { keep: { id: 'vpc-1' }, extras: [{ id: 'vpc-2' }] }
 */
export function chooseKeeper<T>(items: T[], idOf: (item: T) => string, inUse: (item: T) => boolean): { keep: T; extras: T[] } {
  if (items.length === 0) throw new Error('chooseKeeper needs at least one resource');
  const ordered = [...items].sort((a, b) => Number(inUse(b)) - Number(inUse(a)) || idOf(a).localeCompare(idOf(b)));
  const [keep, ...extras] = ordered;
  return { keep, extras };
}

/**
 * A key of the state a create step needs from an earlier step. Its absence is a wiring bug in the state machine,
 * not an AWS condition, so the error is a plain (terminal) one that names the key.
 */
export function requireKey<T>(value: T | undefined, key: string, step: string): T {
  if (value === undefined || value === null) throw new Error(`${step} needs $.${key} in the state, written by an earlier step; it is missing`);
  return value;
}
