import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { handleCustomResource, type CustomResourceDeps, type CustomResourceEvent, type Outcome } from '../../../shared/cfn/custom-resource';
import type { CfnResponse } from '../../../shared/cfn/response';
import type { CustomResourceService, ExecutionView, ProvisioningView } from '../../../shared/cfn/service';
import type { ProvisioningRequest } from '../../../shared/request';

type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

interface FakeProvisioning {
  request: ProvisioningRequest;
  executionArn: string;
  teardowns: string[];
}

/**
 * The provisioning service in memory, for the custom resource's decisions: provisionings, their executions (whose
 * status a test moves on), teardowns, and a log of every call.
 */
export class FakeService implements CustomResourceService {
  readonly provisionings = new Map<string, FakeProvisioning>();
  readonly executions = new Map<string, ExecutionView>();
  readonly calls: string[] = [];
  /** Fail DescribeExecution with this error (count: how many times; Infinity for good). */
  describeFailures: { error: Error; count: number } | undefined;
  /** What a new execution does on each look: statuses in order, the last one repeating. */
  script: Status[] = ['SUCCEEDED'];
  /** Fail every find with this error (the registry unreachable). */
  findFailure: Error | undefined;
  /** Fail start with this error, after acting (a lost response) or before. */
  startFailure: { error: Error; acted: boolean } | undefined;
  private scripts = new Map<string, Status[]>();
  private looks = new Map<string, number>();

  outputsFor(id: string): Record<string, unknown> {
    return {
      provisioningId: id,
      region: 'us-west-2',
      accountId: '123456789012',
      vpcId: `vpc-${id.slice(-6)}`,
      privateSubnetIds: ['subnet-1', 'subnet-2', 'subnet-3'],
      publicSubnetId: 'subnet-0',
      securityGroupId: 'sg-1',
      natGatewayId: 'nat-1',
      internetGatewayId: 'igw-1',
      vpcEndpointId: 'vpce-1',
      vpcEndpointDnsName: 'vpce-1.example',
      hostedZoneId: 'Z1',
      s3GatewayEndpointId: 'vpce-s3',
      eksRoleArn: 'arn:aws:iam::123456789012:role/zilliz-byoc-demo-eks-role',
      bucketName: 'zilliz-byoc-demo-milvus-00000000',
      bucketManaged: true,
      storageRoleArn: 'arn:aws:iam::123456789012:role/zilliz-byoc-demo-storage-role',
      crossAccountRoleArn: 'arn:aws:iam::123456789012:role/zilliz-byoc-demo-cross-account-role',
      externalId: 'cid-0123456789abcdef',
    };
  }

  /** Put a provisioning in place as if it had run (e.g. SUCCEEDED, or torn down). */
  seed(id: string, status: Status, options: { tornDown?: boolean; request?: ProvisioningRequest } = {}): void {
    const executionArn = `arn:exec:${id}`;
    this.provisionings.set(id, { request: options.request ?? ({} as ProvisioningRequest), executionArn, teardowns: [] });
    this.executions.set(executionArn, { status, output: status === 'SUCCEEDED' ? JSON.stringify(this.outputsFor(id)) : undefined, error: status === 'FAILED' ? 'QuotaExceededError' : undefined, cause: status === 'FAILED' ? '{"errorMessage":"CreateVpc: VpcLimitExceeded"}' : undefined });
    if (options.tornDown) {
      this.provisionings.get(id)!.teardowns.push(`arn:td:${id}:1`);
      this.executions.set(`arn:td:${id}:1`, { status: 'SUCCEEDED' });
    }
  }

  /** Move an execution on. */
  set(executionArn: string, status: Status): void {
    this.scripts.set(executionArn, [status]);
    this.looks.set(executionArn, 0);
  }

  started(): string[] {
    return this.calls.filter((c) => c.startsWith('start ')).map((c) => c.slice('start '.length));
  }

  tornDown(): string[] {
    return this.calls.filter((c) => c.startsWith('teardown ')).map((c) => c.slice('teardown '.length));
  }

  async find(provisioningId: string): Promise<ProvisioningView | undefined> {
    this.calls.push(`find ${provisioningId}`);
    if (this.findFailure) throw this.findFailure;
    const p = this.provisionings.get(provisioningId);
    if (!p) return undefined;
    const status = this.current(p.executionArn, false);
    return {
      provisioningId,
      executionArn: p.executionArn,
      state: status === 'RUNNING' ? 'running' : status === 'SUCCEEDED' ? 'succeeded' : 'failed',
      outputs: status === 'SUCCEEDED' ? (this.outputsFor(provisioningId) as never) : null,
      teardownStarted: p.teardowns.length > 0,
    };
  }

  async start(request: ProvisioningRequest & { provisioningId: string }): Promise<{ executionArn: string }> {
    if (this.startFailure && !this.startFailure.acted) throw this.startFailure.error;
    const id = request.provisioningId;
    this.calls.push(`start ${id}`);
    const executionArn = `arn:exec:${id}`;
    if (!this.provisionings.has(id)) {
      this.provisionings.set(id, { request, executionArn, teardowns: [] });
      this.scripts.set(executionArn, [...this.script]);
      this.looks.set(executionArn, 0);
    }
    if (this.startFailure) throw this.startFailure.error;
    return { executionArn };
  }

  async startTeardown(provisioningId: string): Promise<{ executionArn: string; status: string }> {
    this.calls.push(`teardown ${provisioningId}`);
    const p = this.provisionings.get(provisioningId);
    if (!p) throw new Error(`no provisioning ${provisioningId}`);
    const executionArn = `arn:td:${provisioningId}:${p.teardowns.length + 1}`;
    p.teardowns.push(executionArn);
    if (!this.executions.has(executionArn) && !this.scripts.has(executionArn)) this.executions.set(executionArn, { status: 'SUCCEEDED' });
    return { executionArn, status: 'RUNNING' };
  }

  async execution(executionArn: string): Promise<ExecutionView> {
    if (this.describeFailures && this.describeFailures.count > 0) {
      this.describeFailures.count--;
      throw this.describeFailures.error;
    }
    this.calls.push(`describe ${executionArn}`);
    const status = this.current(executionArn, true);
    const id = executionArn.split(':')[2];
    if (status === 'SUCCEEDED' && executionArn.startsWith('arn:exec:')) return { status, output: JSON.stringify(this.outputsFor(id)) };
    if (status === 'FAILED' || status === 'ABORTED') {
      const known = this.executions.get(executionArn);
      return known?.error ? known : { status, error: 'QuotaExceededError', cause: '{"errorMessage":"CreateVpc: VpcLimitExceeded"}' };
    }
    return this.executions.get(executionArn) ?? { status };
  }

  async stop(executionArn: string): Promise<void> {
    this.calls.push(`stop ${executionArn}`);
    this.set(executionArn, 'ABORTED');
  }

  async updateOidc(provisioningId: string, oidcIssuerUrl: string): Promise<void> {
    this.calls.push(`oidc ${provisioningId} ${oidcIssuerUrl}`);
  }

  private current(executionArn: string, look: boolean): Status {
    const script = this.scripts.get(executionArn);
    if (!script) return (this.executions.get(executionArn)?.status as Status) ?? 'SUCCEEDED';
    const n = this.looks.get(executionArn) ?? 0;
    if (look) this.looks.set(executionArn, n + 1);
    const status = script[Math.min(n, script.length - 1)];
    if (status !== 'RUNNING') this.executions.set(executionArn, { ...(this.executions.get(executionArn) ?? {}), status });
    return status;
  }
}

export const STACK = 'arn:aws:cloudformation:us-west-2:123456789012:stack/app/1234';
export const PROPERTIES = { ServiceToken: 'arn:aws:lambda:us-west-2:123456789012:function:provider', projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } };

/** A CloudFormation event for the `Byoc` resource of {@link STACK}. */
export function cfnEvent(type: 'Create' | 'Update' | 'Delete', extra: Record<string, unknown> = {}): CustomResourceEvent {
  return {
    RequestType: type,
    ServiceToken: PROPERTIES.ServiceToken,
    ResponseURL: 'https://cfn-response.example/answer?X-Amz-Signature=secret',
    StackId: STACK,
    RequestId: `r-${type}`,
    LogicalResourceId: 'Byoc',
    ResourceType: 'Custom::ByocProvisioning',
    ResourceProperties: PROPERTIES,
    ...extra,
  } as CloudFormationCustomResourceEvent;
}

/**
 * Run one event (and every hand-off it makes, as fresh invocations would) against a fake service: the answers
 * CloudFormation got, the outcome of each invocation, and how many hand-offs there were.
 */
export async function play(
  service: FakeService,
  event: CustomResourceEvent,
  options: Partial<CustomResourceDeps> & { invocationMs?: number; failReinvoke?: Error; now?: () => number } = {},
): Promise<{ answers: CfnResponse[]; outcomes: Outcome[]; handOffs: number }> {
  const answers: CfnResponse[] = [];
  const outcomes: Outcome[] = [];
  let handOffs = 0;
  const t0 = Date.now();
  let elapsed = 0;
  let queue: CustomResourceEvent[] = [event];
  while (queue.length > 0) {
    const next: CustomResourceEvent[] = [];
    for (const e of queue) {
      let clock = 0;
      const deps: CustomResourceDeps = {
        service,
        respond: async (answer) => {
          answers.push(answer);
        },
        remainingMs: () => (options.invocationMs ?? 1_000_000) - clock,
        reinvoke: async (again) => {
          if (options.failReinvoke) throw options.failReinvoke;
          handOffs++;
          if (handOffs > 100) throw new Error('hand-off loop');
          next.push(JSON.parse(JSON.stringify(again)) as CustomResourceEvent);
        },
        sleep: async (ms) => {
          clock += ms;
          elapsed += ms;
        },
        now: () => t0 + elapsed,
        pollMs: 1000,
        handOffMarginMs: 0,
        maxPollFailures: 4,
        createGraceMs: 0,
        cleanupWindowMs: 3_600_000,
        logHint: 'Details in CloudWatch log group /aws/lambda/test',
        ...options,
      };
      outcomes.push(await handleCustomResource(e, deps));
    }
    queue = next;
  }
  return { answers, outcomes, handOffs };
}
