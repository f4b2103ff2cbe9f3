import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { IAMClient } from '@aws-sdk/client-iam';
import { InvalidInputError } from '../errors';
import type { ProvisioningRequest } from '../request';
import type { RegistryStatus } from '../registry/record';
import type { ProvisioningOutputs } from '../state';
import { ApiError, getProvisioning, startProvisioning, startTeardown, type ProvisioningServiceDeps } from '../api/provisionings';
import { updateProvisioningOidc } from '../api/oidc';

/** A provisioning as the custom resource needs to see it. */
export interface ProvisioningView {
  provisioningId: string;
  /** The execution running now, else its latest provisioning attempt. */
  executionArn: string;
  /**
   * `running` (an attempt runs), `succeeded`, or `failed` (failed, rolled back or not, stopped, and anything after
   * a teardown started).
   */
  state: 'running' | 'succeeded' | 'failed';
  outputs: ProvisioningOutputs | null;
  /** True once a teardown was started (running, done or failed): its resources are gone or going. */
  teardownStarted: boolean;
}

/** One execution, as DescribeExecution tells it. */
export interface ExecutionView {
  status: string;
  output?: string;
  error?: string;
  cause?: string;
}

/**
 * What the custom resource does with provisionings. It goes through the same service functions as the HTTP API
 * (start, find, tear down, set the OIDC issuer), so the rules they keep (idempotent starts, one teardown at a
 * time, the provisioning's durable record) hold for stacks too. Only watching an execution it was handed is a
 * direct Step Functions call.
 */
export interface CustomResourceService {
  /** The provisioning, or undefined when there is none of that ID. */
  find(provisioningId: string): Promise<ProvisioningView | undefined>;
  /** Start provisioning (idempotent for the same ID and request). */
  start(request: ProvisioningRequest & { provisioningId: string }): Promise<{ executionArn: string }>;
  /** Start (or find the running or finished) teardown. */
  startTeardown(provisioningId: string): Promise<{ executionArn: string; status: string }>;
  /** Look at an execution. */
  execution(executionArn: string): Promise<ExecutionView>;
  /** Stop a running execution (a provisioning nobody will ever use). */
  stop(executionArn: string, cause: string): Promise<void>;
  /** R1 and S2 later: set the EKS cluster's OIDC issuer on the provisioning's roles. */
  updateOidc(provisioningId: string, oidcIssuerUrl: string): Promise<void>;
}

/** Registry statuses while an execution builds or changes the provisioning (an update via the API). */
const RUNNING = new Set<RegistryStatus>(['PROVISIONING', 'UPDATING']);
/**
 * Registry statuses of a live environment whose outputs hold: built, or an update of it that failed without rolling
 * anything back (the same resources, as they were or partly updated).
 */
const LIVE = new Set<RegistryStatus>(['SUCCEEDED', 'UPDATE_FAILED']);

/** Registry statuses after a teardown started: the provisioning's resources are gone or going. */
const TEARDOWN_STATUSES = new Set<RegistryStatus>(['TEARING_DOWN', 'TORN_DOWN', 'TEARDOWN_FAILED']);

const isNotFound = (error: unknown): boolean => (error instanceof ApiError && error.statusCode === 404) || error instanceof InvalidInputError;

/**
 * The custom resource's view of the provisioning service.
 * @example const service = provisioningService({ ...serviceDeps(), iam: iamClient });
 */
export function provisioningService(deps: ProvisioningServiceDeps & { iam: (target: { region: string; roleArn?: string; externalId?: string }) => IAMClient }): CustomResourceService {
  return {
    async find(provisioningId) {
      try {
        const found = await getProvisioning(provisioningId, deps);
        return {
          provisioningId,
          executionArn: found.currentExecution?.executionArn ?? found.executionArn ?? '',
          state: RUNNING.has(found.status) ? 'running' : LIVE.has(found.status) ? 'succeeded' : 'failed',
          outputs: LIVE.has(found.status) ? ((found.outputs as ProvisioningOutputs | null) ?? null) : null,
          teardownStarted: TEARDOWN_STATUSES.has(found.status),
        };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    start: (request) => startProvisioning(request, deps),
    // 'join': a teardown already running (someone else's Delete, the API) is the one this Delete waits for.
    startTeardown: (provisioningId) => startTeardown(provisioningId, deps, { whileTearingDown: 'join' }),
    async execution(executionArn) {
      const out = await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return { status: out.status!, output: out.output, error: out.error, cause: out.cause };
    },
    async stop(executionArn, cause) {
      await deps.sfn.send(new StopExecutionCommand({ executionArn, error: 'CustomResourceAbandoned', cause }));
    },
    async updateOidc(provisioningId, oidcIssuerUrl) {
      await updateProvisioningOidc(provisioningId, { oidcIssuerUrl }, deps);
    },
  };
}
