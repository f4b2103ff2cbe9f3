import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { startLocalStack, type LocalStack } from '../../local/stack';
import type { ProvisioningOutputs } from '../../shared/state';
import { deadlineChecks, WAIT_POLICIES } from '../../shared/waiting';
import { outputOf } from '../helpers/local-stack';
import { fullRequest, leftoversOf, statesEntered, teardownRequest } from '../helpers/workflow';

/** When each Task state was first entered and last exited. */
function spans(history: HistoryEvent[]): Map<string, { from: number; to: number }> {
  const out = new Map<string, { from: number; to: number }>();
  for (const e of history) {
    const t = new Date(e.timestamp!).getTime();
    const entered = e.type === 'TaskStateEntered' ? e.stateEnteredEventDetails!.name! : undefined;
    const exited = e.type === 'TaskStateExited' ? e.stateExitedEventDetails!.name! : undefined;
    if (entered && !out.has(entered)) out.set(entered, { from: t, to: t });
    if (exited) out.get(exited)!.to = t;
  }
  return out;
}

const count = (left: Awaited<ReturnType<typeof leftoversOf>>, type: string) => left.resources.filter((r) => r.type === type).length;

/**
 * Issue 6 on the local stack with realistic timing (AWS durations / 100: NAT gateway and endpoint pending for a
 * minute or two, Route 53 changes PENDING, eventual consistency, throttling buckets) and injected faults.
 */
describe('the workflows with realistic timing and faults', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ profile: 'realistic', seed: 1234, stateDir: mkdtempSync(join(tmpdir(), 'byoc-real-')) });
  }, 60_000);
  afterAll(async () => stack?.stop());
  afterEach(() => stack.realism.setFaults(''));

  const run = (workflow: 'byoc-provision' | 'byoc-teardown', input: unknown, name: string) => stack.engine.start(workflow, name, input).done;

  it('succeeds, waits in the state machine, and runs the branches side by side', async () => {
    const record = await run('byoc-provision', fullRequest('real-ok'), 'real-ok');
    const out = outputOf<ProvisioningOutputs>(record);
    expect(out.natGatewayId).toMatch(/^nat-/);

    const s = spans(record.history);
    const overlap = (a: string, b: string) => s.get(a)!.from < s.get(b)!.to && s.get(b)!.from < s.get(a)!.to;
    // The IAM branch ran while the network branch was busy, and the endpoint path beside the NAT path.
    expect(overlap('CreateEksRole', 'CreateVpc') || s.get('PutInlinePolicies')!.to < s.get('CheckNatGateway')!.to).toBe(true);
    expect(s.get('CreateSecurityGroup')!.from).toBeLessThan(s.get('CreateRouteTables')!.from);
    expect(s.get('CreateVpcEndpoint')!.from).toBeLessThan(s.get('CheckNatGateway')!.to);
    // NAT gateway was pending at first: the state machine waited (Wait states), no Lambda slept.
    const entered = statesEntered(record.history);
    expect(entered.filter((n) => n === 'CheckNatGateway').length).toBeGreaterThan(1);
    expect(entered.some((n) => n.startsWith('WaitNatGateway'))).toBe(true);
    expect(stack.realism.counts()['not-ready']).toBeGreaterThan(0);
  }, 120_000);

  it('succeeds with no duplicate when every AWS call may fail transiently and every create loses its first answer', async () => {
    stack.realism.setFaults('*:error5xx=0.15,*:throttle=0.1,Create*:lose-response,Allocate*:lose-response,Attach*:lose-response,Put*:lose-response');
    stack.realism.clearEvents();
    const record = await run('byoc-provision', fullRequest('real-faults'), 'real-faults');
    outputOf(record);
    const counts = stack.realism.counts();
    expect(counts['lose-response']).toBeGreaterThan(10);
    expect((counts.error5xx ?? 0) + (counts.throttle ?? 0)).toBeGreaterThan(10);

    // The test's own look at what exists, without the faults (they were for the provisioning, not for the census).
    stack.realism.setFaults('');
    const left = await leftoversOf('real-faults');
    expect({ vpc: count(left, 'VPC'), subnets: count(left, 'subnet'), igw: count(left, 'internet gateway'), nat: count(left, 'NAT gateway'), eip: count(left, 'Elastic IP'), rt: count(left, 'route table'), sg: count(left, 'security group'), vpce: count(left, 'VPC endpoint'), zone: count(left, 'Route 53 hosted zone'), role: count(left, 'IAM role'), bucket: count(left, 'S3 bucket') }).toEqual({
      vpc: 1, subnets: 4, igw: 1, nat: 1, eip: 1, rt: 2, sg: 1, vpce: 2, zone: 1, role: 3, bucket: 1,
    });
  }, 180_000);

  it.each([
    ['CreateVpcEndpoint:fail', 'CreateVpcEndpoint'],
    ['CreateRoute:fail', 'CreateRouteTables'],
    // PutRolePolicy is called by three steps in two parallel branches: whichever gets there first fails.
    ['PutRolePolicy:fail', '(PutInlinePolicies|CreateStorageRole|CreateCrossAccountRole)'],
    ['PutBucketPolicy:fail', 'CreateBucket'],
  ])('rolls back to nothing when %s fails for good, waiting for AWS to finish deleting', async (faults, step) => {
    const id = `real-${faults.split(':')[0].toLowerCase()}`;
    stack.realism.setFaults(faults);
    const record = await run('byoc-provision', fullRequest(id), id);
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('AccessDeniedError');
    expect(JSON.parse(record.cause!).errorMessage).toMatch(new RegExp(`^${step}: `));
    expect((await leftoversOf(id)).resources).toEqual([]);
  }, 180_000);

  it('tears down after success with realistic deletion times, and again safely', async () => {
    const teardown = await run('byoc-teardown', teardownRequest('real-ok'), 'real-ok--teardown-1');
    expect(teardown.status).toBe('SUCCEEDED');
    expect((await leftoversOf('real-ok')).resources).toEqual([]);
    expect((await run('byoc-teardown', { provisioningId: 'real-ok', region: 'us-west-2' }, 'real-ok--teardown-2')).status).toBe('SUCCEEDED');
  }, 180_000);
});

describe('a NAT gateway that never becomes available', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    // 1000x faster than AWS; the NAT gateway would take ten hours (36 s here), far past the ~10-minute deadline even
    // when a loaded machine runs the 34 checks slowly (an hour, 3.6 s here, was reached on a busy machine).
    stack = await startLocalStack({ profile: 'realistic', overrides: { timeScale: 1000, readiness: { natGatewayAvailable: [36000, 36000] } }, stateDir: mkdtempSync(join(tmpdir(), 'byoc-real-')) });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('fails with NatGatewayTimeout after the deadline and rolls back to nothing', async () => {
    const record = await stack.engine.start('byoc-provision', 'real-timeout', fullRequest('real-timeout')).done;
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('NatGatewayTimeout');
    expect(record.cause).toContain('The NAT gateway did not become ready within the deadline');
    // The deadline is a check count the waiting policy derives from 600 s (shared/waiting.ts; decision 27): 34 checks
    // since the first wait became 55 s and the polls 8% of the time waited (22 with the old 5/10/20/30 s ladder).
    expect(statesEntered(record.history).filter((n) => n === 'CheckNatGateway')).toHaveLength(deadlineChecks(WAIT_POLICIES.natGateway));
    expect(deadlineChecks(WAIT_POLICIES.natGateway)).toBe(34);
    expect((await leftoversOf('real-timeout')).resources).toEqual([]);
  }, 120_000);
});
