import { localFunctions } from '../../local/functions';
import { readableError } from '../../shared/status';
import { actThenFail, forwardSteps } from '../helpers/workflow';
import { SCALE, SUITE_TIMEOUT_MS, useReliabilityStack } from './reliability-stack';
import { failForGood, isCreateCall, isDeleteCall, loseEach, recordOperations, teardownSteps } from './steps';

/**
 * Issue 13, fault matrix, both workflows, on the local stack with realism on (realistic profile: consistency,
 * throttling buckets, ClientToken semantics, dependencies, waits, IAM), counted in moto by tag and by type
 * (tests/reliability/census.ts), not from our state. The step and call lists come from the ASL and from what a
 * clean run calls, so new steps are covered by themselves.
 *
 * tests/integration/workflow/rollback.test.ts already fails every forward step after it acted on moto as it is
 * (instant), counted with the product's own leftover sweep; here the same failures run with realism on, side by
 * side in one account, and the count is the census's, which also sees what carries no tag.
 */
describe('fault matrix: every step of both workflows fails for good, every create and delete call loses its answer', () => {
  const rel = useReliabilityStack('fault matrix');
  let creates: string[] = [];
  let deletes: string[] = [];

  beforeAll(async () => {
    // The reference run (what one clean provisioning makes, then its teardown) tells which calls the steps make.
    const { operations } = await recordOperations(() => rel.takeReference('fm-reference'));
    creates = operations.filter(isCreateCall);
    deletes = operations.filter(isDeleteCall);
  }, SUITE_TIMEOUT_MS);

  it('the clean run makes every resource type the product makes, and calls creates and deletes of each', () => {
    expect(rel.reference).toMatchObject({ VPC: 1, subnet: 4, 'internet gateway': 1, 'Elastic IP': 1, 'NAT gateway': 1, 'security group': 1, 'hosted zone': 1, 'IAM role': 3, 'S3 bucket': 1 });
    expect(creates).toEqual(expect.arrayContaining(['CreateVpc', 'CreateNatGateway', 'CreateVpcEndpoint', 'CreateHostedZone', 'CreateRole', 'CreateBucket']));
    expect(deletes).toEqual(expect.arrayContaining(['DeleteVpc', 'DeleteNatGateway', 'DeleteVpcEndpoints', 'DeleteHostedZone', 'DeleteRole', 'DeleteBucket']));
  });

  it('a permanent failure at every forward step (after it acted) fails with the step\'s error and rolls back to nothing in moto', async () => {
    const steps = forwardSteps();
    const results = await Promise.all(
      steps.map(async (step) => {
        const id = `fm-p-${step.toLowerCase()}`.slice(0, 60);
        rel.counter.fault('step-failure');
        const record = await rel.provision(id, { functions: { ...localFunctions, [step]: actThenFail(step) } });
        const error = readableError(record.error, record.cause);
        return { step, status: record.status, error: record.error, failedStep: error.step };
      }),
    );
    // As designed: the step's own error, naming it (a step before anything is made, as Preflight, fails without a
    // rollback: there is nothing to undo); and nothing left in moto either way.
    expect(results.filter((r) => r.status !== 'FAILED' || r.error !== 'AwsOperationError' || r.failedStep !== r.step)).toEqual([]);
    await rel.expectNothingLeft(steps.map((step) => `fm-p-${step.toLowerCase()}`.slice(0, 60)));
  }, SUITE_TIMEOUT_MS);

  it('a permanent failure at every teardown step ends the teardown as failed, and a second teardown finishes to zero', async () => {
    const steps = teardownSteps();
    expect(steps).toEqual(expect.arrayContaining(['CheckInUse', 'DeleteVpc', 'DeleteNatGateway', 'FindLeftovers']));
    const results = await Promise.all(
      steps.map(async (step) => {
        const id = `fm-t-${step.toLowerCase()}`.slice(0, 60);
        const made = await rel.provision(id);
        if (made.status !== 'SUCCEEDED') return { step, problem: `provisioning ${made.status}: ${made.error} ${made.cause}` };
        rel.counter.fault('step-failure');
        const failed = await rel.teardown(id, { functions: { ...localFunctions, [step]: failForGood(step) } });
        const second = await rel.teardown(id);
        return { step, first: failed.status, second: second.status, secondError: second.error };
      }),
    );
    // Each failure ends the teardown as designed: FAILED (refused, incomplete, or invalid), never a success that left something.
    expect(results.filter((r) => 'problem' in r || r.first !== 'FAILED' || r.second !== 'SUCCEEDED')).toEqual([]);
    await rel.expectNothingLeft(steps.map((step) => `fm-t-${step.toLowerCase()}`.slice(0, 60)));
  }, SUITE_TIMEOUT_MS);

  it('a lost answer at every create call (AWS acted) still ends with one of each, and at every delete call still tears down to zero', async () => {
    // The operations in three groups, one provisioning and its teardown per group: every call site of an operation
    // loses its first answer once (the realism layer's lose-response). All at once would lose more answers in one
    // step (a security group's dozen rule calls) than its retries allow: a storm, not a lost answer.
    const groups = [0, 1, 2].map((g) => ({ id: `fm-lost-${g + 1}`, creates: creates.filter((_, i) => i % 3 === g), deletes: deletes.filter((_, i) => i % 3 === g) }));
    for (const group of groups) {
      rel.setFaults(loseEach(group.creates));
      const made = await rel.provision(group.id);
      expect({ lost: group.creates, status: made.status, why: made.status === 'SUCCEEDED' ? null : readableError(made.error, made.cause).message }).toEqual({ lost: group.creates, status: 'SUCCEEDED', why: null });
      await rel.expectOneOfEach([group.id]);
      rel.setFaults(loseEach(group.deletes));
      const torn = await rel.teardown(group.id);
      rel.setFaults('');
      expect({ lost: group.deletes, status: torn.status, why: torn.status === 'SUCCEEDED' ? null : torn.cause }).toEqual({ lost: group.deletes, status: 'SUCCEEDED', why: null });
      await rel.expectNothingLeft([group.id]);
    }
    expect(rel.stack.realism.counts()['lose-response']).toBeGreaterThanOrEqual(creates.length + deletes.length);
  }, SUITE_TIMEOUT_MS);

  // The soak loses one operation's answers at a time: a fault that only shows alone is found too.
  if (SCALE.perOperationLosses) {
    it('(soak) each create and each delete operation alone losing its answers: one of each, then zero', async () => {
      for (const op of [...creates, ...deletes]) {
        const id = `fm-op-${op.toLowerCase()}`.slice(0, 60);
        rel.setFaults(isCreateCall(op) ? loseEach([op]) : '');
        const made = await rel.provision(id);
        expect({ op, status: made.status, error: made.error }).toEqual({ op, status: 'SUCCEEDED', error: undefined });
        await rel.expectOneOfEach([id]);
        rel.setFaults(isDeleteCall(op) ? loseEach([op]) : '');
        const torn = await rel.teardown(id);
        expect({ op, status: torn.status, error: torn.error }).toEqual({ op, status: 'SUCCEEDED', error: undefined });
        await rel.expectNothingLeft([id]);
      }
      rel.setFaults('');
    }, SUITE_TIMEOUT_MS);
  }
});
