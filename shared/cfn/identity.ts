import { createHash } from 'node:crypto';
import { requestSchema, type ProvisioningRequest } from '../request';

/**
 * Physical ID of a resource whose Create failed before anything could have started (invalid properties): the
 * Delete CloudFormation sends during rollback is answered at once. A Create that called StartExecution never gets
 * it, whatever failed afterwards: it answers with the real ID, so the rollback Delete tears down.
 */
export const CREATE_FAILED_MARKER = 'byoc-create-failed';

/** How many generations one resource's properties may have (A→B→A→B... each return to earlier properties is one). */
export const MAX_GENERATIONS = 50;

/** Our physical IDs: `cfn-<24 hex>` (generation 1) or `cfn-<24 hex>-<generation>` (2 and later). */
const PHYSICAL_ID = /^(cfn-[0-9a-f]{24})(?:-(\d{1,3}))?$/;

/**
 * CloudFormation sends every property as a string ("true", "3"): turn them back into the schema's types.
 * Only booleans occur in the request schema, so only those are converted.
 */
export function coerceProperties(value: unknown, schema: unknown = requestSchema): unknown {
  const s = schema as { type?: string; properties?: Record<string, unknown>; items?: unknown; additionalProperties?: unknown };
  if (s.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  if (Array.isArray(value)) return value.map((v) => coerceProperties(v, s.items ?? {}));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, coerceProperties(v, s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : {}))]),
    );
  }
  return value;
}

/** The provisioning request a resource's properties describe (ServiceToken, ServiceTimeout and our ID aside). */
export function requestFromProperties(properties: Record<string, unknown>): ProvisioningRequest {
  const { ServiceToken: _token, ServiceTimeout: _timeout, ...rest } = properties;
  return coerceProperties(rest) as ProvisioningRequest;
}

/** The resource's `ServiceTimeout` in seconds (CloudFormation's default and maximum: 3600). */
export function serviceTimeoutSeconds(properties: Record<string, unknown> | undefined): number {
  const value = Number(properties?.ServiceTimeout);
  return Number.isInteger(value) && value >= 1 && value <= 3600 ? value : 3600;
}

/** Canonical JSON (sorted keys, empty objects dropped), so equal requests hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined && !(v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => x === undefined)))
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What identifies a resource's properties: the stack, the logical resource, and a hash of every property that
 * needs a new provisioning when it changes (all but the OIDC issuer, which is set in place). Never
 * CloudFormation's RequestId (a retried Create gets a new one).
 */
export function propertiesKey(stackId: string, logicalId: string, request: ProvisioningRequest): string {
  const { provisioningId: _ignored, ...rest } = request;
  const stable = { ...rest, iamRole: rest.iamRole ? { ...rest.iamRole, oidcIssuerUrl: undefined } : undefined };
  return `cfn-${createHash('sha256').update(`${stackId}|${logicalId}|${canonical(stable)}`).digest('hex').slice(0, 24)}`;
}

/**
 * The provisioning ID (and physical ID) of generation `generation` of a resource's properties. Generation 1 is the
 * key itself (the ID scheme before generations existed, so older stacks keep their IDs); a later one appends
 * `-<n>`. A new generation is taken when the properties come back after their provisioning was torn down
 * (A→B→A: CloudFormation deleted A's resources after the A→B update), so a closed execution whose resources are
 * gone is never handed back as if it still stood.
 *
 * @example provisioningIdFor(stackId, 'Byoc', request)     // 'cfn-5c88bb67a0b1c2d3e4f50617'
 * @example provisioningIdFor(stackId, 'Byoc', request, 2)  // 'cfn-5c88bb67a0b1c2d3e4f50617-2'
 */
export function provisioningIdFor(stackId: string, logicalId: string, request: ProvisioningRequest, generation = 1): string {
  const key = propertiesKey(stackId, logicalId, request);
  return generation <= 1 ? key : `${key}-${generation}`;
}

/** Key and generation of one of our physical IDs; undefined for anything else (the marker, an ID CloudFormation made up). */
export function parsePhysicalId(physicalId: string | undefined): { key: string; generation: number } | undefined {
  const m = PHYSICAL_ID.exec(physicalId ?? '');
  return m ? { key: m[1], generation: m[2] ? Number(m[2]) : 1 } : undefined;
}
