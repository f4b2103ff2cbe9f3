import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { iamClient } from '../../../shared/aws/clients';
import { getRecord, saveRecord } from '../../../shared/registry/store';
import { handler as start } from '../../../functions/api/start-provisioning';
import { handler as get } from '../../../functions/api/get-provisioning';
import { handler as list } from '../../../functions/api/list-provisionings';
import { handler as del } from '../../../functions/api/delete-provisioning';
import { handler as oidc } from '../../../functions/api/update-oidc';
import { startLocalStack, type LocalStack } from '../../../local/stack';
import { apiEvent, lambdaContext } from '../../fixtures/api-events';
import { fullRequest, leftoversOf } from '../../helpers/workflow';

/**
 * The registry and the lifecycle rules (docs/requirements.md, "Lifecycle") through the real API handlers: the
 * registry on moto's DynamoDB, the executions on the local engine behind the local Step Functions API.
 */
describe('the registry and the lifecycle rules, through the API', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ profile: 'instant', sfnServer: true, stateDir: mkdtempSync(join(tmpdir(), 'byoc-registry-')) });
  }, 60_000);
  afterAll(async () => stack?.stop());
  afterEach(() => stack.realism.setFaults(undefined));

  const body = (r: unknown) => JSON.parse((r as { body: string }).body);
  const post = async (request: unknown) => start(apiEvent('POST /provisionings', { body: request }), lambdaContext());
  const show = async (id: string) => get(apiEvent('GET /provisionings/{id}', { id }), lambdaContext());
  const remove = async (id: string) => del(apiEvent('DELETE /provisionings/{id}', { id }), lambdaContext());
  /** GET until the provisioning is no longer running (PROVISIONING or TEARING_DOWN). */
  async function settled(id: string, ms = 60_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = body(await show(id));
      if ((s.status !== 'PROVISIONING' && s.status !== 'TEARING_DOWN') || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const registry = () => stack.serviceDeps().registry;

  it('registry: a console start (no API) registers itself, and the API shows and lists it', async () => {
    const record = await stack.engine.start('byoc-provision', 'reg-console', { ...fullRequest('reg-console'), provisioningId: undefined }).done;
    expect(record.status).toBe('SUCCEEDED');
    const item = await getRecord('reg-console', registry());
    expect(item).toMatchObject({
      provisioningId: 'reg-console',
      status: 'SUCCEEDED',
      request: { projectName: 'demo', region: 'us-west-2' },
      outputs: { provisioningId: 'reg-console', vpcId: expect.stringMatching(/^vpc-/) },
      currentExecution: null,
      executions: [{ kind: 'provision', name: 'reg-console', status: 'SUCCEEDED', outcome: 'SUCCEEDED', stoppedAt: expect.any(String) }],
    });
    expect(item!.version).toBeGreaterThanOrEqual(3); // registered, started, succeeded: every write counts

    const shown = body(await show('reg-console'));
    expect(shown).toMatchObject({ status: 'SUCCEEDED', historyAvailable: true, region: 'us-west-2', outputs: { vpcId: item!.outputs!.vpcId } });
    // The registry writes are steps of their own, recorded as AWS records SDK integrations (Task* events).
    expect(shown.steps.find((s: { name: string }) => s.name === 'RecordProvisioningSucceeded')).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(record.history.some((e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resourceType === 'dynamodb' && e.taskScheduledEventDetails.resource === 'updateItem')).toBe(true);
    expect(record.history.some((e) => e.type === 'TaskSucceeded')).toBe(true);

    const listed = body(await list(apiEvent('GET /provisionings', { query: { status: 'SUCCEEDED' } }), lambdaContext()));
    expect(listed.provisionings).toEqual(expect.arrayContaining([expect.objectContaining({ provisioningId: 'reg-console', status: 'SUCCEEDED', projectName: 'demo', region: 'us-west-2', attempts: 1 })]));
    expect((await list(apiEvent('GET /provisionings', { query: { status: 'DONE' } }), lambdaContext())).statusCode).toBe(400);
  }, 60_000);

  it('retry after failure: the same request after ROLLED_BACK starts attempt <id>--2; then the same request is the same provisioning, one needing new resources is 409', async () => {
    // A failure after the preflight (which probes CreateVpc with DryRun, but CreateSubnet only in our own VPC).
    stack.realism.setFaults('CreateSubnet:fail');
    const request = fullRequest('reg-retry');
    const first = body(await post(request));
    expect(first).toMatchObject({ status: 'PROVISIONING', executionArn: expect.stringMatching(/:reg-retry$/) });
    const failed = await settled('reg-retry');
    expect(failed).toMatchObject({ status: 'ROLLED_BACK', error: { name: 'AccessDeniedError', step: 'CreateSubnets' }, currentExecution: null });

    stack.realism.setFaults(undefined);
    const again = await post(request);
    expect(again.statusCode).toBe(202);
    expect(body(again)).toMatchObject({ status: 'PROVISIONING', executionArn: expect.stringMatching(/:reg-retry--2$/) });
    const done = await settled('reg-retry');
    expect(done).toMatchObject({ status: 'SUCCEEDED', executionArn: expect.stringMatching(/:reg-retry--2$/), error: null });
    expect(done.executions.map((e: { name: string; outcome: string }) => [e.name, e.outcome])).toEqual([
      ['reg-retry', 'ROLLED_BACK'],
      ['reg-retry--2', 'SUCCEEDED'],
    ]);

    // Same ID and request after success: the same provisioning, nothing new. A request that needs new resources: 409
    // (lifecycle rule "replacement"; in-place changes are updates, tests/integration/registry/update.test.ts).
    expect(body(await post(request))).toMatchObject({ status: 'SUCCEEDED', executionArn: done.executionArn });
    const conflict = await post({ ...request, projectName: 'other' });
    expect(conflict.statusCode).toBe(409);
    expect(body(conflict)).toMatchObject({ error: 'ReplacementRequired', fields: [{ field: 'projectName' }] });
  }, 90_000);

  it('delete while running: 409 naming the running provisioning execution, then (after it ended) a teardown; 409 again while that teardown runs', async () => {
    const started = body(await post(fullRequest('reg-busy')));
    const refused = await remove('reg-busy');
    expect(refused.statusCode).toBe(409);
    expect(body(refused)).toMatchObject({ error: 'ProvisioningRunning', message: expect.stringContaining('reg-busy'), runningExecution: { kind: 'provision', name: 'reg-busy', executionArn: started.executionArn } });
    expect((await settled('reg-busy')).status).toBe('SUCCEEDED');

    const teardown = body(await remove('reg-busy'));
    expect(teardown).toMatchObject({ status: 'TEARING_DOWN', executionArn: expect.stringMatching(/:reg-busy--teardown-1$/) });
    const twice = await remove('reg-busy');
    expect(twice.statusCode).toBe(409);
    expect(body(twice)).toMatchObject({ error: 'TeardownRunning', runningExecution: { kind: 'teardown', name: 'reg-busy--teardown-1' } });
    // A start while it is torn down is refused too.
    expect(body(await post(fullRequest('reg-busy'))).error).toBe('TeardownRunning');

    const gone = await settled('reg-busy');
    expect(gone).toMatchObject({ status: 'TORN_DOWN', teardown: { status: 'SUCCEEDED' } });
    expect((await leftoversOf('reg-busy')).resources).toEqual([]);
    // After a teardown succeeded, DELETE answers with it (idempotent).
    expect(body(await remove('reg-busy'))).toMatchObject({ status: 'TORN_DOWN', executionArn: teardown.executionArn });
  }, 90_000);

  it('expiry: a 91-day-old provisioning whose executions Step Functions forgot is shown, listed, updated and torn down to zero from the registry', async () => {
    expect(body(await post(fullRequest('reg-old')))).toMatchObject({ status: 'PROVISIONING' });
    const built = await settled('reg-old');
    expect(built.status).toBe('SUCCEEDED');

    // 91 days later: Step Functions has forgotten every closed execution (it keeps them 90 days).
    const forgotten = stack.store.forgetClosed({ olderThanDays: 90, now: Date.now() + 91 * 24 * 3600 * 1000 });
    expect(forgotten).toContain(built.executionArn);
    const sfnGone = await stack.serviceDeps().sfn.send(new (await import('@aws-sdk/client-sfn')).DescribeExecutionCommand({ executionArn: built.executionArn })).catch((e: Error) => e.name);
    expect(sfnGone).toBe('ExecutionDoesNotExist');

    const shown = body(await show('reg-old'));
    expect(shown).toMatchObject({ status: 'SUCCEEDED', historyAvailable: false, steps: [], outputs: built.outputs, executionArn: built.executionArn });
    const listed = body(await list(apiEvent('GET /provisionings', { query: { status: 'SUCCEEDED', limit: '100' } }), lambdaContext()));
    expect(listed.provisionings.map((p: { provisioningId: string }) => p.provisioningId)).toContain('reg-old');

    const set = await oidc(apiEvent('POST /provisionings/{id}/oidc', { id: 'reg-old', body: { oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/OLD' } }), lambdaContext());
    expect(set.statusCode).toBe(200);
    const role = await iamClient({ region: 'us-west-2' }).send(new GetRoleCommand({ RoleName: 'zilliz-byoc-reg-old-eks' }));
    expect(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)).toContain('id/OLD');

    const teardown = await remove('reg-old');
    expect(teardown.statusCode).toBe(202);
    expect((await settled('reg-old')).status).toBe('TORN_DOWN');
    expect((await leftoversOf('reg-old')).resources).toEqual([]);
  }, 90_000);

  it('repairs a record whose end was not written (the write failed): GET reads the end from Step Functions and writes it back', async () => {
    await post(fullRequest('reg-repair'));
    const done = await settled('reg-repair');
    expect(done.status).toBe('SUCCEEDED');
    // As if RecordProvisioningSucceeded had failed: the registry still says it runs, without outputs.
    const stored = (await getRecord('reg-repair', registry()))!;
    const running = { ...stored.executions[0], status: 'RUNNING' as const, stoppedAt: undefined, outcome: undefined };
    await saveRecord({ ...stored, status: 'PROVISIONING', outputs: null, currentExecution: running, executions: [running] }, stored.version, registry());

    expect(body(await show('reg-repair'))).toMatchObject({ status: 'SUCCEEDED', currentExecution: null, outputs: { vpcId: done.outputs.vpcId } });
    expect(await getRecord('reg-repair', registry())).toMatchObject({ status: 'SUCCEEDED', currentExecution: null, executions: [{ status: 'SUCCEEDED', outcome: 'SUCCEEDED' }] });
    await remove('reg-repair');
    expect((await settled('reg-repair')).status).toBe('TORN_DOWN');
  }, 90_000);

  it('registers a provisioning made before the registry existed from its execution, while Step Functions still has it', async () => {
    await post(fullRequest('reg-legacy'));
    const done = await settled('reg-legacy');
    await registry().dynamodb.send(new DeleteItemCommand({ TableName: registry().tableName, Key: { provisioningId: { S: 'reg-legacy' } } }));

    expect(body(await show('reg-legacy'))).toMatchObject({ status: 'SUCCEEDED', outputs: { vpcId: done.outputs.vpcId }, request: { projectName: 'demo' } });
    expect(await getRecord('reg-legacy', registry())).toMatchObject({ status: 'SUCCEEDED', executions: [{ name: 'reg-legacy', outcome: 'SUCCEEDED' }] });
    await remove('reg-legacy');
    expect((await settled('reg-legacy')).status).toBe('TORN_DOWN');
    expect((await show('never-registered')).statusCode).toBe(404);
  }, 90_000);
});
