import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { ec2Client, sfnClient } from '../../shared/aws/clients';
import { LocalEngine } from '../../local/engine';
import { ExecutionStore, stateMachineArn } from '../../local/executions';
import { localFunctions, type LocalHandler } from '../../local/functions';
import { startSfnServer, type SfnServer } from '../../local/sfn-server';
import { startLocalStack, type LocalStack } from '../../local/stack';

const PROVISION = stateMachineArn('byoc-provision');

/** PIDs of live moto servers listening on `port` (from /proc: no tool needed, nothing killed). */
function motoProcessesOn(port: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
        return state !== 'Z' && argv.some((a) => a.endsWith('moto_server.py')) && argv[argv.indexOf('-p') + 1] === String(port);
      } catch {
        return false; // the process ended while we looked
      }
    })
    .map(Number);
}

async function untilClosed(sfn: SFNClient, executionArn: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING' || Date.now() > deadline) return out;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the local stack: moto + realism + the Step Functions API, started with one call', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    // Start our own moto and set the ARNs ourselves, whatever an earlier test file left here.
    for (const name of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SFN', 'PROVISION_STATE_MACHINE_ARN', 'TEARDOWN_STATE_MACHINE_ARN']) delete process.env[name];
    stack = await startLocalStack({ profile: 'instant', sfnServer: true, seed: 1234, stateDir: mkdtempSync(join(tmpdir(), 'byoc-stack-')) });
  }, 60_000);
  afterAll(() => stack?.stop());

  it('reports what it runs: the endpoints, the profile with its time scale, the seed', () => {
    expect(stack.awsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.sfnEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.AWS_ENDPOINT_URL_SFN).toBe(stack.sfnEndpoint);
    expect(process.env.PROVISION_STATE_MACHINE_ARN).toBe(PROVISION); // as serverless.yml sets it for the API functions
    expect(process.env.TEARDOWN_STATE_MACHINE_ARN).toBe(stateMachineArn('byoc-teardown'));
    expect(stack.profile).toMatchObject({ name: 'instant', timeScale: Infinity });
    expect(stack.seed).toBe(1234);
    expect(stack.realism.seed).toBe(1234);
  });

  it('runs byoc-provision through @aws-sdk/client-sfn: StartExecution, DescribeExecution until SUCCEEDED, the history a page at a time', async () => {
    const sfn = sfnClient('us-east-1'); // built by shared/aws/clients.ts: finds the local API through AWS_ENDPOINT_URL_SFN
    const input = JSON.stringify({ provisioningId: 'sfn-api-1', projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } });
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: PROVISION, name: 'sfn-api-1', input }));
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:byoc-provision:sfn-api-1');
    expect(started.startDate).toBeInstanceOf(Date);

    const final = await untilClosed(sfn, started.executionArn!);
    expect(final.status).toBe('SUCCEEDED');
    expect(final).toMatchObject({ name: 'sfn-api-1', stateMachineArn: PROVISION, input });
    expect(JSON.parse(final.output!)).toMatchObject({ provisioningId: 'sfn-api-1' });
    expect(final.stopDate!.getTime()).toBeGreaterThanOrEqual(final.startDate!.getTime());

    const pages: HistoryEvent[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, maxResults: 3, nextToken }));
      pages.push(page.events ?? []);
      nextToken = page.nextToken;
    } while (nextToken);
    const all = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, maxResults: 1000 }))).events ?? [];
    expect(pages.length).toBe(Math.ceil(all.length / 3));
    expect(pages.flat().map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(all[0]).toMatchObject({ type: 'ExecutionStarted', id: 1 });
    expect(all[0].timestamp).toBeInstanceOf(Date);
    expect(all.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(all.some((e) => e.type === 'LambdaFunctionScheduled')).toBe(true);
    const reversed = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, reverseOrder: true, maxResults: 1 }))).events;
    expect(reversed?.[0]?.type).toBe('ExecutionSucceeded');

    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: PROVISION, statusFilter: 'SUCCEEDED' }));
    expect(listed.executions?.map((e) => e.name)).toContain('sfn-api-1');
    // A closed execution's name cannot be used again, whatever the input.
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: PROVISION, name: 'sfn-api-1', input }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  describe('while an execution runs (ValidateInput held at a gate)', () => {
    let server: SfnServer;
    let sfn: SFNClient;
    let open: () => void;
    let entered: Promise<void>;
    beforeAll(async () => {
      let signalEntered: () => void = () => undefined;
      entered = new Promise((resolve) => (signalEntered = resolve));
      const gate = new Promise<void>((resolve) => (open = resolve));
      const held: LocalHandler = async (event, context) => {
        signalEntered();
        await gate;
        return localFunctions.ValidateInput(event, context);
      };
      const engine = new LocalEngine({ store: new ExecutionStore(mkdtempSync(join(tmpdir(), 'byoc-gated-'))), timeScale: Infinity, functions: { ...localFunctions, ValidateInput: held } });
      server = await startSfnServer({ engine });
      sfn = new SFNClient({ region: 'us-east-1', endpoint: server.endpoint });
    });
    afterAll(async () => {
      open();
      sfn?.destroy();
      await server?.stop();
    });

    it('gives the same execution for the same name and input, and ExecutionAlreadyExists for another input', async () => {
      const input = JSON.stringify({ provisioningId: 'held-1', projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } });
      const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: PROVISION, name: 'held-1', input }));
      const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: PROVISION, name: 'held-1', input }));
      expect(again.executionArn).toBe(first.executionArn);
      expect(again.startDate).toEqual(first.startDate);
      const other = sfn.send(new StartExecutionCommand({ stateMachineArn: PROVISION, name: 'held-1', input: input.replace('demo', 'other') }));
      await expect(other).rejects.toBeInstanceOf(ExecutionAlreadyExists);
      await expect(other).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    });

    it('StopExecution aborts a running execution, with its error and cause in the status and the history', async () => {
      const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: PROVISION, name: 'held-2', input: '{"projectName":"demo"}' }));
      await entered;
      const stopped = await sfn.send(new StopExecutionCommand({ executionArn: started.executionArn, error: 'Cancelled', cause: 'stopped by the test' }));
      expect(stopped.stopDate).toBeInstanceOf(Date);
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
      expect(described).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'stopped by the test' });
      const last = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, reverseOrder: true, maxResults: 1 }))).events?.[0];
      expect(last).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Cancelled', cause: 'stopped by the test' } });
    });

    it('answers unknown executions and state machines the way AWS does', async () => {
      await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${PROVISION.replace('stateMachine', 'execution')}:ghost` }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
      await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: stateMachineArn('byoc-nope') }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
      await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: PROVISION, input: 'not json' }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    });
  });

  it('stop() shuts everything down: moto\'s process is gone, the API closed, the realism layer off', async () => {
    const port = Number(new URL(stack.awsEndpoint).port);
    expect(motoProcessesOn(port)).toHaveLength(1);
    const sfnEndpoint = stack.sfnEndpoint!;
    await stack.stop();
    expect(motoProcessesOn(port)).toEqual([]);
    await expect(fetch(`${sfnEndpoint}/`, { method: 'POST' })).rejects.toThrow();
    expect(process.env.AWS_ENDPOINT_URL_SFN).toBeUndefined();
    expect(process.env.PROVISION_STATE_MACHINE_ARN).toBeUndefined();
    expect(process.env.AWS_ENDPOINT_URL).toBeUndefined(); // nothing points at the stopped moto
    expect(ec2Client({ region: 'us-west-2' }).middlewareStack.identify().join()).not.toContain('byocRealism');
    expect(existsSync(stack.store.dir)).toBe(true); // the records stay for `byoc status`
  });
});

describe('the local stack refuses bad options before it starts anything', () => {
  it('names the bad fault entry and the unknown profile', async () => {
    await expect(startLocalStack({ faults: 'CreateVpc:lose-response,CreateNatGateway:explode' })).rejects.toThrow('fault entry 2 "CreateNatGateway:explode": unknown fault "explode"');
    await expect(startLocalStack({ profile: 'slow' })).rejects.toThrow('Unknown realism profile "slow"; choose one of instant, realistic, chaos');
  });
});
