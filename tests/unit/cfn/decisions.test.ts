import { ATTRIBUTE_NAMES } from '../../../shared/cfn/attributes';
import { CREATE_FAILED_MARKER, provisioningIdFor, requestFromProperties } from '../../../shared/cfn/identity';
import { cfnEvent, FakeService, play, PROPERTIES, STACK } from './fake-service';

/**
 * The custom resource's decisions, event by event, against the provisioning service in memory: which physical ID
 * each answer carries, what is started, reused and torn down, and that every path answers exactly once.
 */
const idOf = (properties: Record<string, unknown>, generation = 1) => provisioningIdFor(STACK, 'Byoc', requestFromProperties(properties), generation);
const A = PROPERTIES;
const B = { ...PROPERTIES, network: { vpcCidr: '10.1.0.0/16' } };
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

describe('Create', () => {
  it('with invalid properties answers FAILED with the marker at once, naming each property, and starts nothing', async () => {
    const service = new FakeService();
    const { answers } = await play(service, cfnEvent('Create', { ResourceProperties: { ServiceToken: 'x', projectName: 'Demo!', region: 'mars-1', provisioningId: 'mine' } }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: CREATE_FAILED_MARKER })]);
    expect(answers[0].Reason).toMatch(/provisioningId: is derived from the stack.*projectName.*region/);
    expect(service.started()).toEqual([]);
  });

  it('provisions and answers SUCCESS with its real ID and every attribute', async () => {
    const service = new FakeService();
    service.script = ['RUNNING', 'RUNNING', 'SUCCEEDED'];
    const { answers } = await play(service, cfnEvent('Create'));
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) });
    expect(Object.keys(answers[0].Data!).sort()).toEqual([...ATTRIBUTE_NAMES].sort());
    expect(answers[0].Data!.PrivateSubnetIds).toBe('subnet-1,subnet-2,subnet-3');
  });

  it('rides out a throttled DescribeExecution after StartExecution (backoff, then the real answer)', async () => {
    const service = new FakeService();
    service.describeFailures = { error: throttled(), count: 3 };
    const { answers } = await play(service, cfnEvent('Create'));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) })]);
  });

  it.each([
    ['DescribeExecution keeps failing', { describe: true }],
    ['the hand-off to a fresh invocation fails', { reinvoke: true }],
    ['StartExecution acted but its answer was lost', { lost: true }],
    ['the ServiceTimeout runs out while it still runs', { timeout: true }],
  ])('answers FAILED with the real ID (never the marker) when %s, so the rollback Delete tears down', async (_name, how) => {
    const service = new FakeService();
    service.script = ['RUNNING'];
    if ('describe' in how) service.describeFailures = { error: throttled(), count: Infinity };
    if ('lost' in how) service.startFailure = { error: Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }), acted: true };
    const event = cfnEvent('Create', 'timeout' in how ? { ResourceProperties: { ...A, ServiceTimeout: '600' } } : {});
    const { answers } = await play(service, event, { invocationMs: 'reinvoke' in how ? 10_000 : 1_000_000, ...('reinvoke' in how ? { failReinvoke: new Error('Lambda throttled') } : {}) });
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ Status: 'FAILED', PhysicalResourceId: idOf(A) });
    expect(service.provisionings.has(idOf(A))).toBe(true);
  });

  it('that cannot read the registry answers FAILED with the generation-1 ID, not the marker: an earlier try of the same event may have started it', async () => {
    const service = new FakeService();
    service.findFailure = Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
    const { answers } = await play(service, cfnEvent('Create'));
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: idOf(A) })]);
    expect(answers[0].Reason).toContain('ProvisionedThroughputExceededException');
    expect(answers[0].Reason).toContain('/aws/lambda/test');
  });

  it('hands a long wait from invocation to invocation and answers once, at the end', async () => {
    const service = new FakeService();
    service.script = [...Array(30).fill('RUNNING'), 'SUCCEEDED'];
    const { answers, handOffs, outcomes } = await play(service, cfnEvent('Create'), { invocationMs: 5_000 });
    expect(handOffs).toBeGreaterThan(3);
    expect(outcomes.filter((o) => o === 'answered')).toHaveLength(1);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) })]);
    expect(service.started()).toEqual([idOf(A)]);
  });

  it('whose provisioning fails answers FAILED with the real ID and the failing step', async () => {
    const service = new FakeService();
    service.script = ['FAILED'];
    const { answers } = await play(service, cfnEvent('Create'));
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: idOf(A) })]);
    expect(answers[0].Reason).toContain('QuotaExceededError in CreateVpc: VpcLimitExceeded');
  });

  it('retried by Lambda while its provisioning runs: waits for the same one, starts nothing new', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'RUNNING');
    service.set(`arn:exec:${idOf(A)}`, 'SUCCEEDED');
    const { answers } = await play(service, cfnEvent('Create'));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) })]);
    expect(service.started()).toEqual([]);
  });
});

describe('Update', () => {
  it('of the OIDC issuer only sets it in place and answers the same ID with the full Data', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    const withIssuer = { ...A, iamRole: { oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/BEEF' } };
    const { answers } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), ResourceProperties: withIssuer, OldResourceProperties: A }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) })]);
    expect(Object.keys(answers[0].Data!).sort()).toEqual([...ATTRIBUTE_NAMES].sort());
    expect(answers[0].Data!.VpcId).toBe(service.outputsFor(idOf(A)).vpcId);
    expect(service.calls).toContain(`oidc ${idOf(A)} https://oidc.eks.us-west-2.amazonaws.com/id/BEEF`);
    expect(service.started()).toEqual([]);
  });

  it('that changes nothing answers the same ID with the full Data', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    const { answers } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), OldResourceProperties: A }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A), Data: expect.objectContaining({ VpcId: expect.any(String) }) })]);
  });

  it('with invalid properties answers FAILED with the old ID and changes nothing', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    const { answers } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), ResourceProperties: { ...A, region: 'mars-1' }, OldResourceProperties: A }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: idOf(A) })]);
    expect(service.started()).toEqual([]);
  });

  it('that needs new resources builds a replacement and answers its ID (CloudFormation then deletes the old one)', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    const { answers } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), ResourceProperties: B, OldResourceProperties: A }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(B) })]);
    expect(service.tornDown()).toEqual([]); // CloudFormation's cleanup Delete does that
  });

  it('whose replacement fails answers FAILED with the OLD ID and tears the replacement down itself', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    service.script = ['RUNNING', 'FAILED'];
    const { answers } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), ResourceProperties: B, OldResourceProperties: A }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: idOf(A) })]);
    expect(answers[0].Reason).toContain(`the resource keeps ${idOf(A)}; the replacement ${idOf(B)} is torn down`);
    expect(service.tornDown()).toEqual([idOf(B)]);
  });

  it('that cannot see its replacement any more answers with the OLD ID, then waits for the replacement to end and tears it down', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    service.script = ['RUNNING', 'RUNNING', 'RUNNING', 'FAILED'];
    service.describeFailures = { error: throttled(), count: 5 };
    const { answers } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), ResourceProperties: B, OldResourceProperties: A }), { invocationMs: 10_000 });
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: idOf(A) })]);
    expect(service.tornDown()).toEqual([idOf(B)]);
    expect(service.calls.filter((c) => c.startsWith('stop'))).toEqual([]);
  });

  it('keeps cleaning up after its answer in fresh invocations, which answer nothing more', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    service.script = [...Array(20).fill('RUNNING'), 'SUCCEEDED'];
    service.describeFailures = { error: throttled(), count: 4 };
    const { answers, outcomes, handOffs } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), ResourceProperties: B, OldResourceProperties: A }), { invocationMs: 25_000 });
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: idOf(A) })]);
    expect(handOffs).toBeGreaterThan(0);
    expect(outcomes.at(-1)).toBe('cleaned-up');
    expect(service.tornDown()).toEqual([idOf(B)]); // even though it succeeded: CloudFormation never learnt its ID
  });

  it('whose replacement outlives the ServiceTimeout answers with the OLD ID; the clean-up ends it (stop, teardown) when it cannot wait', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    service.script = ['RUNNING'];
    const { answers } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), ResourceProperties: { ...B, ServiceTimeout: '600' }, OldResourceProperties: A }), { cleanupWindowMs: 60_000 });
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: idOf(A) })]);
    expect(service.calls).toContain(`stop arn:exec:${idOf(B)}`);
    expect(service.tornDown()).toEqual([idOf(B)]);
  });

  it('A→B→A after CloudFormation deleted A builds A anew as generation 2, never handing back the closed execution', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED', { tornDown: true }); // the A→B update's cleanup deleted A
    service.seed(idOf(B), 'SUCCEEDED');
    const { answers } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(B), ResourceProperties: A, OldResourceProperties: B }));
    expect(idOf(A, 2)).toBe(`${idOf(A)}-2`);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A, 2) })]);
    expect(service.started()).toEqual([idOf(A, 2)]);
  });

  it('rolled back to properties whose provisioning still stands (update rollback) hands that one back as it is', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    service.seed(idOf(B), 'SUCCEEDED');
    const { answers } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(B), ResourceProperties: A, OldResourceProperties: B }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A), Data: expect.objectContaining({ VpcId: service.outputsFor(idOf(A)).vpcId }) })]);
    expect(service.started()).toEqual([]);
  });

  it('rolling back an Update CloudFormation cancelled keeps the old ID, and tears down the replacement nobody owns once it ends', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    service.seed(idOf(B), 'RUNNING'); // the cancelled Update's replacement, still being built
    service.set(`arn:exec:${idOf(B)}`, 'RUNNING');
    const { answers, handOffs } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), ResourceProperties: A, OldResourceProperties: B }), { invocationMs: 5_000, cleanupWindowMs: 20_000 });
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) })]);
    expect(handOffs).toBeGreaterThan(0); // the clean-up waited across invocations, answering nothing more
    // It never ended within the clean-up's window here: stopped, then torn down.
    expect(service.calls).toContain(`stop arn:exec:${idOf(B)}`);
    expect(service.tornDown()).toEqual([idOf(B)]);
  });

  it('rolling back an Update CloudFormation cancelled tears down a replacement that already stands', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    service.seed(idOf(B), 'SUCCEEDED');
    const { answers } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), ResourceProperties: A, OldResourceProperties: B }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) })]);
    expect(service.tornDown()).toEqual([idOf(B)]);
  });

  it('an ordinary Update (A→B) never takes the old provisioning for an orphan', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), ResourceProperties: B, OldResourceProperties: A }));
    await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(B), ResourceProperties: A, OldResourceProperties: B }));
    expect(service.tornDown()).toEqual([]);
  });

  it('never reuses a generation that failed: the next one is built', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    service.seed(idOf(B), 'FAILED');
    const { answers } = await play(service, cfnEvent('Update', { PhysicalResourceId: idOf(A), ResourceProperties: B, OldResourceProperties: A }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(B, 2) })]);
  });
});

describe('Delete', () => {
  it('of the marker does nothing', async () => {
    const service = new FakeService();
    const { answers } = await play(service, cfnEvent('Delete', { PhysicalResourceId: CREATE_FAILED_MARKER }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: CREATE_FAILED_MARKER })]);
    expect(service.calls).toEqual([]);
  });

  it('of an ID with no provisioning (a Create that failed before starting) answers SUCCESS', async () => {
    const service = new FakeService();
    const { answers } = await play(service, cfnEvent('Delete', { PhysicalResourceId: idOf(A) }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) })]);
  });

  it('tears down and waits for the teardown', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    const { answers } = await play(service, cfnEvent('Delete', { PhysicalResourceId: idOf(A) }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) })]);
    expect(service.tornDown()).toEqual([idOf(A)]);
  });

  it('whose teardown fails answers FAILED with the same ID', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    service.executions.set(`arn:td:${idOf(A)}:1`, { status: 'FAILED', error: 'TeardownIncompleteError', cause: '{"errorMessage":"DeleteVpc: vpc-1 still has dependencies"}' });
    const { answers } = await play(service, cfnEvent('Delete', { PhysicalResourceId: idOf(A) }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', PhysicalResourceId: idOf(A) })]);
    expect(answers[0].Reason).toContain('TeardownIncompleteError');
  });

  it('during a Create that still runs waits for it to end, then tears down', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'RUNNING');
    service.set(`arn:exec:${idOf(A)}`, 'RUNNING');
    const pending = play(service, cfnEvent('Delete', { PhysicalResourceId: idOf(A) }), { invocationMs: 3_000 });
    service.set(`arn:exec:${idOf(A)}`, 'SUCCEEDED');
    const { answers } = await pending;
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) })]);
    const describeAt = service.calls.indexOf(`describe arn:exec:${idOf(A)}`);
    expect(service.calls.indexOf(`teardown ${idOf(A)}`)).toBeGreaterThan(describeAt);
  });

  it('with an ID CloudFormation made up (it cancelled our Create) finds the provisioning that Create started and tears it down', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'RUNNING');
    service.set(`arn:exec:${idOf(A)}`, 'SUCCEEDED');
    const { answers } = await play(service, cfnEvent('Delete', { PhysicalResourceId: 'app-Byoc-1XYZ2ABC' }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'app-Byoc-1XYZ2ABC' })]);
    expect(service.tornDown()).toEqual([idOf(A)]);
  });

  it('with an ID CloudFormation made up gives the cancelled Create a grace to start, then answers SUCCESS when nothing came', async () => {
    const service = new FakeService();
    const { answers } = await play(service, cfnEvent('Delete', { PhysicalResourceId: 'app-Byoc-1XYZ2ABC' }), { createGraceMs: 10_000 });
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
    expect(service.calls.filter((c) => c === `find ${idOf(A)}`).length).toBeGreaterThan(5);
  });

  it('after a replacement tears down only the old generation', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED', { tornDown: true });
    service.seed(idOf(A, 2), 'SUCCEEDED');
    const { answers } = await play(service, cfnEvent('Delete', { PhysicalResourceId: idOf(A, 2) }));
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A, 2) })]);
    expect(service.tornDown()).toEqual([idOf(A, 2)]);
  });
});

describe('a hand-off event from before generations existed', () => {
  it('is still answered', async () => {
    const service = new FakeService();
    service.seed(idOf(A), 'SUCCEEDED');
    const event = { ...cfnEvent('Create'), byocWait: { executionArn: `arn:exec:${idOf(A)}`, kind: 'provision' as const, since: new Date().toISOString() } };
    const { answers } = await play(service, event);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: idOf(A) })]);
  });
});
