import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { localFunctions, type LocalHandler } from '../../local/functions';
import { crashAfterActing, LAMBDA_CRASH_ERRORS, type LambdaCrash } from '../../local/lambda-runtime';
import { forwardSteps } from '../helpers/workflow';
import { SUITE_TIMEOUT_MS, useReliabilityStack } from './reliability-stack';
import { teardownSteps } from './steps';

/** Every one of these steps dies once after acting, timeouts and out-of-memory taking turns. */
function crashing(steps: string[], onCrash: (crash: LambdaCrash) => void): Record<string, LocalHandler> {
  const kinds: LambdaCrash[] = ['timeout', 'out-of-memory'];
  return { ...localFunctions, ...Object.fromEntries(steps.map((step, i) => [step, crashAfterActing(step, localFunctions[step], kinds[i % 2], 1, onCrash)])) };
}

/** The crash errors the execution recorded for a Lambda, by step name. */
const crashesIn = (history: HistoryEvent[]) =>
  history.filter((e) => e.type === 'LambdaFunctionFailed' && (Object.values(LAMBDA_CRASH_ERRORS) as string[]).includes(e.lambdaFunctionFailedEventDetails?.error ?? '')).length;

/**
 * Issue 13, crash after acting: a step's Lambda dies (timeout, out of memory) after its AWS call succeeded. The
 * local Lambda runtime reports it as Lambda does (`Sandbox.Timedout`, `Runtime.OutOfMemory`; decision 24), the state
 * machine retries the Task, and the retry finds what the dead attempt made: one of each, counted in moto.
 */
describe('crash after acting: every step\'s Lambda dies once after its AWS calls succeeded', () => {
  const rel = useReliabilityStack('crash after acting');
  beforeAll(() => rel.takeReference('ca-reference'), SUITE_TIMEOUT_MS);
  const onCrash = (crash: LambdaCrash) => rel.counter.fault(`lambda-${crash}`);

  it('provisioning: the retries converge on one resource of each kind', async () => {
    const steps = forwardSteps();
    const record = await rel.provision('ca-1', { functions: crashing(steps, onCrash) });
    expect([record.status, record.error ?? null]).toEqual(['SUCCEEDED', null]);
    // Every forward step that ran died once and was retried (a skipped optional step never runs).
    expect(crashesIn(record.history)).toBeGreaterThanOrEqual(steps.length - 2);
    await rel.expectOneOfEach(['ca-1']);
  }, SUITE_TIMEOUT_MS);

  it('teardown: the retries converge on nothing left', async () => {
    const steps = teardownSteps();
    const record = await rel.teardown('ca-1', { functions: crashing(steps, onCrash) });
    expect([record.status, record.error ?? null]).toEqual(['SUCCEEDED', null]);
    expect(crashesIn(record.history)).toBeGreaterThanOrEqual(steps.length - 1);
    await rel.expectNothingLeft(['ca-1']);
  }, SUITE_TIMEOUT_MS);

  it('the crash is recorded as Lambda reports it: the error name and a message with the request ID', async () => {
    const record = await rel.provision('ca-2', { functions: crashing(['CreateVpc'], onCrash) });
    expect(record.status).toBe('SUCCEEDED');
    const failed = record.history.find((e) => e.type === 'LambdaFunctionFailed')!.lambdaFunctionFailedEventDetails!;
    expect(failed.error).toBe('Sandbox.Timedout');
    expect(JSON.parse(failed.cause!).errorMessage).toMatch(/^RequestId: \S+ Error: Task timed out after \d+\.00 seconds$/);
    await rel.expectOneOfEach(['ca-2']);
    expect((await rel.teardown('ca-2')).status).toBe('SUCCEEDED');
    await rel.expectNothingLeft(['ca-2']);
  }, SUITE_TIMEOUT_MS);
});
