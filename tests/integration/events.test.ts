import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient, CreateLogGroupCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { COMPLETION_EVENT_SOURCE } from '../../shared/constants';
import { getRecord } from '../../shared/registry/store';
import { dynamodbClient } from '../../shared/aws/clients';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { LocalEngine } from '../../local/engine';
import { executionArn, LOCAL_ACCOUNT, LOCAL_REGION, stateMachineArn } from '../../local/executions';
import { IntegrationError } from '../../local/service-integrations';
import { forwardCompletionEvents, formatCompletionEvent, parseEventsUrl, postCompletionEvent, readCompletionEvents, recordCompletionEvent, type CompletionEvent } from '../../local/events';
import { fullRequest, leftoversOf, namedError, statesEntered, teardownRequest, REGION, ACCOUNT_ID } from '../helpers/workflow';

/**
 * Completion events (docs/events.md): every provisioning, update and teardown that ends publishes exactly one
 * EventBridge event from its state machine. On the local stack the engine sends it to moto's EventBridge and records
 * it in the state folder; `serve --events-to URL` forwards it as an HTTP POST.
 */
describe('completion events on the local stack', () => {
  let stack: LocalStack;
  let stateDir: string;
  const logs = () => new CloudWatchLogsClient({ region: LOCAL_REGION });

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'byoc-events-'));
    stack = await startLocalStack({ profile: 'instant', stateDir });
    // The rule docs/events.md gives a control plane, on moto's default bus, delivering to a log group: what it
    // receives proves the pattern matches the events the state machines publish.
    const events = new EventBridgeClient({ region: LOCAL_REGION });
    await logs().send(new CreateLogGroupCommand({ logGroupName: 'byoc-completion-events' }));
    await events.send(new PutRuleCommand({ Name: 'byoc-completion', EventPattern: JSON.stringify({ source: [COMPLETION_EVENT_SOURCE] }) }));
    await events.send(new PutTargetsCommand({ Rule: 'byoc-completion', Targets: [{ Id: 'log', Arn: `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:byoc-completion-events` }] }));
    events.destroy();
  }, 60_000);
  afterAll(async () => stack?.stop());

  /** What the rule delivered to the log group for one provisioning (EventBridge's envelope, as moto sends it). */
  async function delivered(provisioningId: string): Promise<CompletionEvent[]> {
    const out = await logs().send(new FilterLogEventsCommand({ logGroupName: 'byoc-completion-events' }));
    return (out.events ?? []).map((e) => JSON.parse(e.message!) as CompletionEvent).filter((e) => e.detail.provisioningId === provisioningId);
  }

  const envelope = (workflow: 'byoc-provision' | 'byoc-teardown', name: string, detailType: string, detail: Record<string, unknown>) => ({
    version: '0',
    id: expect.any(String),
    'detail-type': detailType,
    source: 'byoc.provisioner',
    account: LOCAL_ACCOUNT,
    time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    region: LOCAL_REGION,
    resources: [executionArn(workflow, name), stateMachineArn(workflow)],
    detail: { executionArn: executionArn(workflow, name), executionName: name, ...detail },
  });

  it('publishes exactly one event when a provisioning succeeds (with its outputs), one when an update succeeds, and one when its teardown succeeds', async () => {
    const record = await stack.engine.start('byoc-provision', 'ev-ok', fullRequest('ev-ok')).done;
    expect(record.status).toBe('SUCCEEDED');
    const outputs = JSON.parse(record.output!);
    expect(readCompletionEvents(stateDir, 'ev-ok')).toEqual([
      envelope('byoc-provision', 'ev-ok', 'Provisioning Succeeded', { provisioningId: 'ev-ok', status: 'SUCCEEDED', kind: 'provision', region: REGION, account: ACCOUNT_ID, outputs }),
    ]);
    // The event comes after the registry write: the registry already says SUCCEEDED when a subscriber hears of it.
    const entered = statesEntered(record.history);
    expect(entered.slice(-4)).toEqual(['RecordProvisioningSucceeded', 'IsUpdateSucceeded', 'PublishProvisioningSucceeded', 'ProvisioningSucceeded']);

    // An in-place update (a console start of <id>--update-<n>, here with a new tag).
    const update = await stack.engine.start('byoc-provision', 'ev-ok--update-1', fullRequest('ev-ok', { tags: { team: 'db' } })).done;
    expect(update.status).toBe('SUCCEEDED');
    const updated = readCompletionEvents(stateDir, 'ev-ok');
    expect(updated).toHaveLength(2);
    expect(updated[1]).toEqual(
      envelope('byoc-provision', 'ev-ok--update-1', 'Update Succeeded', { provisioningId: 'ev-ok', status: 'SUCCEEDED', kind: 'update', region: REGION, account: ACCOUNT_ID, outputs: JSON.parse(update.output!) }),
    );

    const teardown = await stack.engine.start('byoc-teardown', 'ev-ok--teardown-1', teardownRequest('ev-ok')).done;
    expect(teardown.status).toBe('SUCCEEDED');
    const all = readCompletionEvents(stateDir, 'ev-ok');
    expect(all).toHaveLength(3);
    expect(all[2]).toEqual(
      envelope('byoc-teardown', 'ev-ok--teardown-1', 'Teardown Succeeded', { provisioningId: 'ev-ok', status: 'TORN_DOWN', kind: 'teardown', region: REGION, account: null, outputs: JSON.parse(teardown.output!) }),
    );
    expect(formatCompletionEvent(all[2])).toMatch(/Teardown Succeeded: ev-ok is TORN_DOWN in us-west-2, execution ev-ok--teardown-1$/);

    // moto's EventBridge got the same three events, and the documented rule pattern matched each.
    const fromRule = await delivered('ev-ok');
    expect(fromRule.map((e) => [e['detail-type'], e.detail])).toEqual(all.map((e) => [e['detail-type'], e.detail]));
  }, 120_000);

  it('publishes exactly one event when a provisioning fails and rolls back, with the original error as the registry records it', async () => {
    stack.engine.overrideFunctions({ Verify: async () => Promise.reject(namedError('RequirementFailedError', 'Verify: V7 the security group allows port 22')) });
    try {
      const record = await stack.engine.start('byoc-provision', 'ev-rb', fullRequest('ev-rb')).done;
      expect(record.status).toBe('FAILED');
      const events = readCompletionEvents(stateDir, 'ev-rb');
      expect(events).toEqual([
        envelope('byoc-provision', 'ev-rb', 'Provisioning Rolled Back', {
          provisioningId: 'ev-rb',
          status: 'ROLLED_BACK',
          kind: 'provision',
          region: REGION,
          account: ACCOUNT_ID,
          error: 'RequirementFailedError',
          cause: record.cause,
        }),
      ]);
      // The same error and cause the registry records for the execution (the status route reads them there).
      const registered = await getRecord('ev-rb', { dynamodb: dynamodbClient(LOCAL_REGION), tableName: stack.registryTable });
      expect(registered?.status).toBe('ROLLED_BACK');
      expect(registered?.executions.find((e) => e.name === 'ev-rb')?.error).toEqual({ error: events[0].detail.error, cause: events[0].detail.cause });
      expect(formatCompletionEvent(events[0])).toContain('RequirementFailedError in Verify: V7 the security group allows port 22');
      expect((await leftoversOf('ev-rb')).resources).toEqual([]);
    } finally {
      stack.engine.overrideFunctions();
    }
  }, 120_000);

  it('publishes one event for a refused input, without the region and account it never learned', async () => {
    const record = await stack.engine.start('byoc-provision', 'ev-bad', { provisioningId: 'ev-bad', projectName: 'Demo', region: 'us-west-2' }).done;
    expect(record.error).toBe('InvalidInputError');
    expect(readCompletionEvents(stateDir, 'ev-bad')).toEqual([
      envelope('byoc-provision', 'ev-bad', 'Provisioning Failed', { provisioningId: 'ev-bad', status: 'FAILED', kind: 'provision', region: null, account: null, error: 'InvalidInputError', cause: record.cause }),
    ]);
  });

  it('never turns a provisioning that succeeded into a failed one when the event cannot be published (the failure is caught)', async () => {
    let tries = 0;
    const engine = new LocalEngine({
      store: stack.store,
      timeScale: Infinity,
      registryTable: stack.registryTable,
      serviceIntegrations: {
        'arn:aws:states:::events:putEvents': async () => {
          tries++;
          throw new IntegrationError('EventBridge.InternalException', 'EventBridge is having a bad day');
        },
      },
    });
    const record = await engine.start('byoc-provision', 'ev-nobus', fullRequest('ev-nobus')).done;
    expect(record.status).toBe('SUCCEEDED');
    expect(tries).toBe(5); // the first try and the four retries of EventBridge's transient errors
    const registered = await getRecord('ev-nobus', { dynamodb: dynamodbClient(LOCAL_REGION), tableName: stack.registryTable });
    expect(registered?.status).toBe('SUCCEEDED');
    expect(readCompletionEvents(stateDir, 'ev-nobus')).toEqual([]);
    await stack.engine.start('byoc-teardown', 'ev-nobus--teardown-1', teardownRequest('ev-nobus')).done;
  }, 120_000);
  it('forwards each event it records to a URL (serve --events-to) as an HTTP POST of its EventBridge envelope JSON', async () => {
    const posted: { body: unknown; contentType?: string; method?: string }[] = [];
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        posted.push({ body: JSON.parse(data), contentType: req.headers['content-type'], method: req.method });
        res.statusCode = 202;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const forwarder = forwardCompletionEvents(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/byoc`, { retryDelayMs: 10 });
    try {
      await stack.engine.start('byoc-provision', 'ev-fwd', { provisioningId: 'ev-fwd', projectName: 'Demo', region: 'us-west-2' }).done;
    } finally {
      await forwarder.stop();
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(posted).toEqual([{ body: readCompletionEvents(stateDir, 'ev-fwd')[0], contentType: 'application/json', method: 'POST' }]);
    expect(forwarder.deliveries.map((d) => [d.delivered, d.status])).toEqual([[true, 202]]);
  });
});

describe('forwarding events to a URL (serve --events-to)', () => {
  const received: { body: unknown; contentType?: string }[] = [];
  let answers: number[] = [];
  let server: Server;
  let url: string;
  const event = (id: string): CompletionEvent => ({
    version: '0',
    id,
    'detail-type': 'Provisioning Succeeded',
    source: 'byoc.provisioner',
    account: LOCAL_ACCOUNT,
    time: '2026-11-26T00:00:00Z',
    region: LOCAL_REGION,
    resources: [],
    detail: { provisioningId: id, status: 'SUCCEEDED', kind: 'provision', executionArn: 'arn', executionName: id, region: REGION, account: ACCOUNT_ID, outputs: {} },
  });

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        received.push({ body: JSON.parse(data), contentType: req.headers['content-type'] });
        res.statusCode = answers.shift() ?? 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/byoc`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    received.length = 0;
    answers = [];
  });

  it('tries again after a 5xx, and gives up on a 4xx at once, with a warning naming the event', async () => {
    answers = [503, 200];
    expect(await postCompletionEvent(url, event('ev-retry'), { retryDelayMs: 10 })).toEqual({ delivered: true, attempts: 2, status: 200 });
    answers = [400];
    expect(await postCompletionEvent(url, event('ev-refused'), { retryDelayMs: 10 })).toEqual({ delivered: false, attempts: 1, status: 400, reason: 'HTTP 400' });

    const warnings: string[] = [];
    const forwarder = forwardCompletionEvents(url, { retryDelayMs: 10, warn: (m) => warnings.push(m) });
    answers = [500, 500, 500];
    recordCompletionEvent(mkdtempSync(join(tmpdir(), 'byoc-events-rec-')), event('ev-lost'));
    await forwarder.stop();
    expect(received.filter((r) => (r.body as CompletionEvent).id === 'ev-lost')).toHaveLength(3);
    expect(warnings).toEqual([expect.stringContaining('could not forward the Provisioning Succeeded event of ev-lost')]);
  });

  it('gives up on a server that is not there after its tries, and refuses a URL that is not http(s), naming the option', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const result = await postCompletionEvent(`http://127.0.0.1:${port}/`, event('ev-nobody'), { retryDelayMs: 10, attempts: 2 });
    expect(result).toMatchObject({ delivered: false, attempts: 2, reason: 'ECONNREFUSED' });
    expect(() => parseEventsUrl('ftp://example.test/x')).toThrow(/--events-to: must be an http:\/\/ or https:\/\/ URL/);
  });
});
