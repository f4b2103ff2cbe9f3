import { isDeepStrictEqual } from 'node:util';
import type { ProvisioningRequest } from '../request';

/** How a change of one request field is applied to a live provisioning. */
export type ChangeKind = 'in-place' | 'replacement';

/**
 * Every request field, by how a change to it is applied. **In place**: the same resources, changed (an update: the
 * provision workflow in update mode re-applies the request, and a failure leaves them as they were or partly
 * updated: never a rollback of a live environment). **Replacement**: the change needs new resources (another region,
 * CIDR, zone, name, account...): the API refuses it (409 `ReplacementRequired`, shared/registry/lifecycle.ts) and
 * the caller asks for it explicitly: tear the provisioning down and start it again, or provision under a new
 * provisioningId; either way the old environment stays until the caller says so. The single source for the API,
 * docs/requirements.md and docs/openapi.yaml (tests compare).
 */
export const UPDATE_RULES: Readonly<Record<string, { kind: ChangeKind; why: string }>> = {
  tags: { kind: 'in-place', why: 'tags are rewritten on every resource of the provisioning (keys removed from the request are removed)' },
  'network.securityGroup.ingressCidrs': { kind: 'in-place', why: 'our 443 rules are added or revoked on the same group; rules others added are kept' },
  'network.securityGroup.egressCidrs': { kind: 'in-place', why: 'as ingressCidrs' },
  'network.securityGroup.strict': { kind: 'in-place', why: 'our VPC-wide rules are added or revoked on the same group' },
  'iamRole.oidcIssuerUrl': { kind: 'in-place', why: "only the OIDC parts of the EKS and storage roles' trust policies change" },
  'iamRole.permissionsBoundaryArn': { kind: 'in-place', why: 'the boundary of the same role is put or removed' },
  'storageRole.permissionsBoundaryArn': { kind: 'in-place', why: 'as iamRole.permissionsBoundaryArn' },
  'crossAccountRole.externalId': { kind: 'in-place', why: "the cross-account role's trust policy is updated (the vendor's console shows the new ID)" },
  'crossAccountRole.permissionsBoundaryArn': { kind: 'in-place', why: 'as iamRole.permissionsBoundaryArn' },
  'bucket.kmsKeyArn': { kind: 'in-place', why: "the bucket's default encryption changes for new objects; existing objects keep their key" },
  'targetAccount.externalId': { kind: 'in-place', why: 'only how the provisioner reaches the same account changes' },
  'network.avoidCidrs': { kind: 'in-place', why: 'only the preflight reads it, before anything is made; nothing built changes (a live VPC is not checked again)' },
  projectName: { kind: 'replacement', why: 'names and Name tags derive from it' },
  region: { kind: 'replacement', why: 'every resource lives in one region' },
  'targetAccount.roleArn': { kind: 'replacement', why: 'another role may be another account' },
  'network.vpcCidr': { kind: 'replacement', why: 'a VPC cannot change its primary CIDR' },
  'network.availabilityZones': { kind: 'replacement', why: 'a subnet cannot move to another zone' },
  'network.vpcEndpoint.enabled': { kind: 'replacement', why: 'the endpoint and the private zone depend on each other (V9, V10)' },
  'network.privateDns.enabled': { kind: 'replacement', why: 'as network.vpcEndpoint.enabled' },
  'network.s3GatewayEndpoint.enabled': { kind: 'replacement', why: "the route table's S3 routes change under running workloads" },
  'iamRole.name': { kind: 'replacement', why: 'IAM cannot rename a role' },
  'iamRole.path': { kind: 'replacement', why: 'IAM cannot move a role' },
  'storageRole.name': { kind: 'replacement', why: 'IAM cannot rename a role' },
  'crossAccountRole.name': { kind: 'replacement', why: 'IAM cannot rename a role' },
  'bucket.name': { kind: 'replacement', why: 'S3 cannot rename a bucket (and never moves data)' },
  'bucket.existing': { kind: 'replacement', why: 'switches between our bucket and the customer\'s' },
};

/** One changed field: its path, the values before and after, and how it is applied. */
export interface FieldChange {
  field: string;
  kind: ChangeKind;
  why: string;
  before: unknown;
  after: unknown;
}

/** What changes between two requests of one provisioning. */
export interface UpdatePlan {
  inPlace: FieldChange[];
  replacement: FieldChange[];
}

const valueAt = (request: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), request);

/** Defaults the schema fills in, so that `{}` and `{ enabled: false }` compare as what they mean. */
const DEFAULTS: Record<string, unknown> = {
  'network.vpcCidr': '10.0.0.0/16',
  'network.securityGroup.ingressCidrs': ['0.0.0.0/0'],
  'network.securityGroup.egressCidrs': ['0.0.0.0/0'],
  'network.securityGroup.strict': false,
  'network.vpcEndpoint.enabled': false,
  'network.privateDns.enabled': false,
  'network.s3GatewayEndpoint.enabled': true,
  'network.avoidCidrs': [],
  'bucket.existing': false,
  'iamRole.path': '/',
  tags: {},
};

/**
 * Compare two requests of the same provisioning field by field (both as the caller sent them; defaults count as
 * given). `provisioningId` is the identity, never a change.
 *
 * @example planUpdate(a, { ...a, tags: { team: 'data' } }) // { inPlace: [{ field: 'tags', ... }], replacement: [] }
 */
export function planUpdate(before: ProvisioningRequest, after: ProvisioningRequest): UpdatePlan {
  const plan: UpdatePlan = { inPlace: [], replacement: [] };
  for (const [field, rule] of Object.entries(UPDATE_RULES)) {
    const a = valueAt(before, field) ?? DEFAULTS[field];
    const b = valueAt(after, field) ?? DEFAULTS[field];
    if (isDeepStrictEqual(a, b)) continue;
    const change = { field, kind: rule.kind, why: rule.why, before: a ?? null, after: b ?? null };
    (rule.kind === 'in-place' ? plan.inPlace : plan.replacement).push(change);
  }
  return plan;
}
