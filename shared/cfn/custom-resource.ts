import { createHash } from 'node:crypto';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { InvalidInputError } from '../errors';
import { requestSchema, type ProvisioningRequest } from '../request';
import { readableError } from '../status';
import { ApiError, startProvisioning, startTeardown, type ProvisioningServiceDeps } from '../api/provisionings';
import type { CfnResponse } from './response';

/**
 * Physical ID of a resource whose Create failed before anything could be built: the Delete CloudFormation then
 * sends during rollback is answered at once. (A Create that failed later keeps the real ID, so that Delete runs a
 * teardown: our teardown is safe on a half-built provisioning, so leftovers of a rollback that could not finish
 * are cleaned up too.)
 */
export const CREATE_FAILED_MARKER = 'byoc-create-failed';

/** Our custom resource event, possibly re-sent to ourselves to keep waiting (see {@link handleCustomResource}). */
export type CustomResourceEvent = CloudFormationCustomResourceEvent & { byocWait?: { executionArn: string; kind: 'provision' | 'teardown'; since: string } };

export interface CustomResourceDeps extends ProvisioningServiceDeps {
  /** Milliseconds this invocation has left. */
  remainingMs: () => number;
  /** Hand the event to a fresh invocation of this function (async), to keep waiting past this one's timeout. */
  reinvoke: (event: CustomResourceEvent) => Promise<void>;
  sleep: (ms: number) => Promise<void>;
  /** How often to look at the execution. */
  pollMs: number;
  /** Give up waiting after this long in total (CloudFormation's own custom-resource timeout is 1 hour). */
  maxWaitMs: number;
  /** R1 later: set the OIDC issuer on an existing provisioning's role (an Update that changes only that). */
  updateOidc: (provisioningId: string, oidcIssuerUrl: string) => Promise<void>;
}

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

/** The provisioning request a resource's properties describe (ServiceToken and our ID aside). */
export function requestFromProperties(properties: Record<string, unknown>): ProvisioningRequest {
  const { ServiceToken: _token, ServiceTimeout: _timeout, ...rest } = properties;
  return coerceProperties(rest) as ProvisioningRequest;
}

/** Canonical JSON (sorted keys), so equal requests hash equally. */
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
 * The provisioning ID of a custom resource: from the stack and the logical resource, plus a hash of every
 * property that needs a new provisioning when it changes. Never CloudFormation's RequestId (a retried Create
 * gets a new one). A changed property gives a new ID, so an Update becomes a replacement: CloudFormation then
 * deletes the old provisioning once the new one exists, and an update rollback finds the old one again.
 */
export function provisioningIdFor(stackId: string, logicalId: string, request: ProvisioningRequest): string {
  const { provisioningId: _ignored, ...rest } = request;
  const stable = { ...rest, iamRole: rest.iamRole ? { ...rest.iamRole, oidcIssuerUrl: undefined } : undefined };
  return `cfn-${createHash('sha256').update(`${stackId}|${logicalId}|${canonical(stable)}`).digest('hex').slice(0, 24)}`;
}

/** Outputs as CloudFormation attributes (`!GetAtt Resource.VpcId`): strings only, lists comma-joined. */
export function outputsAsAttributes(outputs: Record<string, unknown>): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(outputs)) {
    const name = key.charAt(0).toUpperCase() + key.slice(1);
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) {
      data[name] = value.map((v) => (v && typeof v === 'object' ? String(Object.values(v)[0]) : String(v))).join(',');
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined && typeof v !== 'object') data[`${name}${k.charAt(0).toUpperCase()}${k.slice(1)}`] = String(v);
    } else {
      data[name] = String(value);
    }
  }
  return data;
}

/** Wait for an execution to end, handing over to a new invocation before this one times out. */
async function waitFor(event: CustomResourceEvent, kind: 'provision' | 'teardown', executionArn: string, physicalId: string, deps: CustomResourceDeps): Promise<CfnResponse | 'handed-over'> {
  const since = event.byocWait?.since ?? new Date().toISOString();
  for (;;) {
    const execution = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status === 'SUCCEEDED') {
      const outputs = kind === 'provision' && execution.output ? (JSON.parse(execution.output) as Record<string, unknown>) : {};
      return { Status: 'SUCCESS', PhysicalResourceId: physicalId, Data: outputsAsAttributes(outputs) };
    }
    if (execution.status !== 'RUNNING') {
      const err = readableError(execution.error, execution.cause);
      return {
        Status: 'FAILED',
        PhysicalResourceId: physicalId,
        Reason: `${kind === 'provision' ? 'Provisioning' : 'Teardown'} ${execution.status}: ${err.name}${err.step ? ` in ${err.step}` : ''}: ${err.message} (execution ${executionArn})`,
      };
    }
    if (Date.now() - new Date(since).getTime() > deps.maxWaitMs) {
      return { Status: 'FAILED', PhysicalResourceId: physicalId, Reason: `Gave up waiting after ${Math.round(deps.maxWaitMs / 60000)} min; execution ${executionArn} is still running` };
    }
    if (deps.remainingMs() < deps.pollMs + 30_000) {
      await deps.reinvoke({ ...event, byocWait: { executionArn, kind, since } });
      return 'handed-over';
    }
    await deps.sleep(deps.pollMs);
  }
}

/**
 * The custom resource (Create / Update / Delete), after the provider framework's contract: start the execution,
 * wait for it (in this invocation, and in fresh ones if it takes longer), and produce exactly one answer.
 * Returns 'handed-over' when a fresh invocation will answer instead.
 */
export async function handleCustomResource(event: CustomResourceEvent, deps: CustomResourceDeps): Promise<CfnResponse | 'handed-over'> {
  if (event.byocWait) {
    // A provision execution is named after the provisioning ID, which is the physical ID.
    const physicalId = event.byocWait.kind === 'provision' ? event.byocWait.executionArn.split(':').pop()! : (event as { PhysicalResourceId: string }).PhysicalResourceId;
    return waitFor(event, event.byocWait.kind, event.byocWait.executionArn, physicalId, deps);
  }
  switch (event.RequestType) {
    case 'Create':
    case 'Update': {
      const request = requestFromProperties(event.ResourceProperties);
      const provisioningId = provisioningIdFor(event.StackId, event.LogicalResourceId, request);
      if (event.RequestType === 'Update' && provisioningId === event.PhysicalResourceId) {
        // Nothing that shapes the provisioning changed: keep it. Only the OIDC issuer may have: set it in place.
        const before = requestFromProperties(event.OldResourceProperties).iamRole?.oidcIssuerUrl;
        const after = request.iamRole?.oidcIssuerUrl;
        if (after && after !== before) await deps.updateOidc(provisioningId, after);
        return { Status: 'SUCCESS', PhysicalResourceId: provisioningId };
      }
      let started;
      try {
        started = await startProvisioning({ ...request, provisioningId }, deps);
      } catch (error) {
        if (error instanceof InvalidInputError) {
          const physical = event.RequestType === 'Create' ? CREATE_FAILED_MARKER : event.PhysicalResourceId;
          return { Status: 'FAILED', PhysicalResourceId: physical, Reason: `Invalid properties; nothing was created: ${error.problems.map((p) => `${p.field}: ${p.rule}`).join('; ')}` };
        }
        throw error;
      }
      return waitFor(event, 'provision', started.executionArn, provisioningId, deps);
    }
    case 'Delete': {
      if (event.PhysicalResourceId === CREATE_FAILED_MARKER) return { Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId };
      try {
        const started = await startTeardown(event.PhysicalResourceId, deps);
        return waitFor(event, 'teardown', started.executionArn, event.PhysicalResourceId, deps);
      } catch (error) {
        // Never provisioned (the Create failed before starting), or not an ID of ours: nothing to delete.
        if ((error instanceof ApiError && error.statusCode === 404) || error instanceof InvalidInputError) return { Status: 'SUCCESS', PhysicalResourceId: event.PhysicalResourceId };
        throw error;
      }
    }
  }
}

