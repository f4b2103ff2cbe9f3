import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { startLocalStack, type LocalStack } from '../../local/stack';
import type { ExecutionRecord } from '../../local/executions';
import { ProvisioningIndex } from '../../local/provisionings';
import { faultsOf, localExecutionTimeline, localProvisioningTimeline } from '../../local/timeline';
import { ApiError } from '../../shared/api/provisionings';
import { getProvisioningTimeline } from '../../shared/api/timeline';
import { getRecord } from '../../shared/registry/store';
import { fullRequest, statesEntered } from '../helpers/workflow';
import type { Context } from 'aws-lambda';
import { loadDefinition } from '../../local/engine';
import { localFunctions } from '../../local/functions';
import { EventualConsistencyError } from '../../shared/errors';
import { buildTimeline, type AslDefinition } from '../../shared/timeline';

/** The bars of an SVG timeline: each element with an id `bar-<n>`, its data attributes and, for a rect, its box. */
function barsOf(svg: string) {
  return [...svg.matchAll(/<(rect|g) id="(bar-\d+)" ([^>]*)>/g)].map(([, tag, id, attrs]) => {
    const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(attrs)?.[1];
    return { tag, id, state: attr('data-state')!, lane: attr('data-lane')!, kind: attr('data-kind')!, outcome: attr('data-outcome')!, x: Number(attr('x')), y: Number(attr('y')), width: Number(attr('width')), height: Number(attr('height')) };
  });
}

/** Render with resvg; returns the size and a pixel reader (RGB). */
function render(svg: string) {
  const image = new Resvg(svg).render();
  const pixels = image.pixels;
  return { width: image.width, height: image.height, at: (x: number, y: number) => [0, 1, 2].map((c) => pixels[(Math.floor(y) * image.width + Math.floor(x)) * 4 + c]) };
}

/** White, the lanes' two greys and the critical-path band: what a bar is drawn on. */
const BACKGROUNDS = [[255, 255, 255], [242, 244, 247], [250, 250, 250], [255, 224, 130]];
const isBackground = (rgb: number[]) => BACKGROUNDS.some((b) => b.every((v, i) => Math.abs(v - rgb[i]) <= 2));

/** Every step the execution ran has its bar, and each bar is drawn: its box has pixels that are not background. */
function expectEveryStepDrawn(record: ExecutionRecord, svg: string) {
  const bars = barsOf(svg);
  const tasks = new Set(record.history.filter((e) => e.type === 'TaskStateEntered').map((e) => e.stateEnteredEventDetails!.name!));
  expect([...tasks].filter((t) => !bars.some((b) => b.state === t && b.kind === 'task'))).toEqual([]);
  // One bar per time a step was entered (a wait loop's check step runs several times).
  expect(bars.filter((b) => b.kind === 'task').length).toBe(record.history.filter((e) => e.type === 'TaskStateEntered').length);

  const [, width, height] = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
  const picture = render(svg);
  expect({ width: picture.width, height: picture.height }).toEqual({ width, height });
  expect(width).toBe(1200);
  const undrawn = bars
    .filter((b) => b.tag === 'rect' && b.kind === 'task')
    .filter((b) => {
      for (let x = b.x + 0.5; x < b.x + b.width; x += 1) for (let y = b.y + 1; y < b.y + b.height - 1; y += 2) if (!isBackground(picture.at(x, y))) return false;
      return true;
    });
  expect(undrawn.map((b) => b.state)).toEqual([]);
  return bars;
}

describe('the timeline of an execution (issue 14)', () => {
  let stack: LocalStack;
  let stateDir: string;
  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'byoc-timeline-'));
    // Realistic at 1000x: real pending states, retries and waits in a few seconds.
    stack = await startLocalStack({ profile: 'realistic', seed: 14, overrides: { timeScale: 1000 }, sfnServer: true, stateDir });
  }, 60_000);
  afterAll(async () => stack?.stop());
  afterEach(() => stack.realism.setFaults(''));

  it('draws a successful provisioning: a lane per branch, a bar per step, the waits with their reason, the axis in AWS seconds', async () => {
    const record = await stack.engine.start('byoc-provision', 'tl-ok', fullRequest('tl-ok')).done;
    expect(record.status).toBe('SUCCEEDED');
    const svg = localExecutionTimeline(record, { title: 'tl-ok', faults: faultsOf(stack.realism.events) });
    const bars = expectEveryStepDrawn(record, svg);
    for (const lane of ['workflow', 'network', 'NAT gateway path', 'endpoint path', 'EKS role', 'bucket, vendor access']) expect(svg).toContain(`>${lane}</text>`);
    expect(svg).not.toContain('>rollback</text>');
    // The waits are gaps with their reason, as long as the state machine asked (55 s before the first NAT check).
    const natWait = bars.find((b) => b.state === 'WaitNatGatewayTypical')!;
    expect(natWait.kind).toBe('wait');
    expect(svg).toMatch(/WaitNatGatewayTypical: [\d.]+-[\d.]+ s \(55\.0 s\), NAT gateway pending/);
    expect(svg).toContain('AWS seconds since the execution started');
    // The critical path runs through the endpoint or the NAT path, whichever ended last.
    expect(svg).toMatch(/data-state="Check(VpcEndpoint|NatGateway|PrivateDnsChange)"[^>]*data-critical="true"/);
    expect(svg).toMatch(/data-state="CreateEksRole"[^>]*data-critical="false"/);
    // The same picture comes from the state folder's records (what `byoc timeline ID` prints).
    const registryRecord = await getRecord('tl-ok', stack.serviceDeps().registry);
    new ProvisioningIndex(stateDir).put({ provisioningId: 'tl-ok', record: registryRecord, awsEndpoint: stack.awsEndpoint, embedded: true, registryTable: stack.serviceDeps().registry.tableName });
    const fromFolder = localProvisioningTimeline(stateDir, 'tl-ok')!;
    expect(fromFolder.executionName).toBe('tl-ok');
    expect(barsOf(fromFolder.svg).map((b) => b.state)).toEqual(bars.map((b) => b.state));
  }, 120_000);

  it("re-times a retry by the backoff the engine chose, not by the local gap (which a busy event loop stretches)", async () => {
    // CreateEksRole fails twice with EventualConsistencyError (its retrier: 2 s, doubling, full jitter); during each
    // backoff something else holds the local event loop for 150 ms: 150 AWS seconds at this scale, if measured.
    let failures = 0;
    const hold = (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until);
    };
    const flaky = async (event: never, context: Context) => {
      if (failures < 2) {
        failures++;
        setTimeout(() => hold(150), 0);
        throw new EventualConsistencyError('CreateEksRole: the role is not visible yet');
      }
      return localFunctions.CreateEksRole(event, context);
    };
    stack.engine.overrideFunctions({ CreateEksRole: flaky });
    const record = await stack.engine.start('byoc-provision', 'tl-retry', fullRequest('tl-retry')).done;
    stack.engine.overrideFunctions();
    expect(record.status).toBe('SUCCEEDED');
    // The two backoffs AWS would wait: drawn under the EventualConsistencyError retrier's ceilings (2 s, then 4 s),
    // although the engine was first asked about the Lambda-error retriers listed before it.
    // (The real step may then meet IAM's own eventual consistency and be retried again: more backoffs follow.)
    const backoffs = record.retryBackoffs!.filter((b) => b.state === 'CreateEksRole').map((b) => b.seconds);
    expect(backoffs.length).toBeGreaterThanOrEqual(2);
    expect(backoffs[0]).toBeLessThanOrEqual(2);
    expect(backoffs[1]).toBeLessThanOrEqual(4);
    const bar = buildTimeline(record.history, loadDefinition('byoc-provision') as unknown as AslDefinition, { timeScale: record.timeScale, backoffs: record.retryBackoffs }).bars.find((b) => b.state === 'CreateEksRole')!;
    expect(bar.attempts).toBe(backoffs.length + 1);
    // The bar is its backoffs plus its attempts' own time (well under a second each here), not 300 s of held loop.
    const waited = backoffs.reduce((a, b) => a + b, 0);
    expect(bar.end - bar.start).toBeGreaterThanOrEqual(waited);
    expect(bar.end - bar.start - waited).toBeLessThan(3);
  });

  it('draws a failed, rolled-back provisioning with its rollback lane, the failed step in red and the injected faults', async () => {
    stack.realism.clearEvents();
    stack.realism.setFaults('CreateVpcEndpoint:fail,CreateRole:error5xx@1');
    const record = await stack.engine.start('byoc-provision', 'tl-fail', fullRequest('tl-fail')).done;
    expect(record.status).toBe('FAILED');
    const svg = localExecutionTimeline(record, { title: 'tl-fail', faults: faultsOf(stack.realism.events) });
    const bars = expectEveryStepDrawn(record, svg);
    expect(svg).toContain('>rollback</text>');
    const rollback = bars.filter((b) => b.lane === 'rollback' && b.kind === 'task').map((b) => b.state);
    expect(rollback).toEqual(expect.arrayContaining(['RollbackVpcEndpoint', 'RollbackNatGateway', 'RollbackVpc', 'FindLeftovers']));
    expect(statesEntered(record.history)).toContain('RollbackVpc');
    expect(bars.find((b) => b.state === 'CreateVpcEndpoint')!.outcome).toBe('failed');
    // Injected faults are marked where they hit (a red dot with its title).
    expect(svg).toMatch(/<title>injected fail on CreateVpcEndpoint at [\d.]+ s<\/title>/);
  }, 120_000);

  it('is served by the API from GetExecutionHistory, and a provisioning nobody knows is a 404', async () => {
    const svg = await getProvisioningTimeline('tl-ok', stack.serviceDeps(), { timeScale: stack.profile.timeScale });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const record = stack.engine.store.load(stack.engine.store.list('byoc-provision').find((r) => r.name === 'tl-ok')!.executionArn)!;
    expectEveryStepDrawn(record, svg);
    await expect(getProvisioningTimeline('nobody-knows-me', stack.serviceDeps())).rejects.toMatchObject({ statusCode: 404, code: 'ProvisioningNotFound' } satisfies Partial<ApiError>);
  }, 60_000);
});
