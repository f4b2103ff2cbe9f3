import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import OpenAPIResponseValidator from 'openapi-response-validator';
import type { Context } from 'aws-lambda';
import { ENV } from '../../shared/constants';
import { startLocalStack, type LocalStack } from '../../local/stack';
import type { ApiEvent, ApiResult } from '../../functions/api/http';
import { MAX_BODY_BYTES } from '../../functions/api/problems';
import { handler as startProvisioning } from '../../functions/api/start-provisioning';
import { handler as listProvisionings } from '../../functions/api/list-provisionings';
import { handler as getProvisioning } from '../../functions/api/get-provisioning';
import { handler as deleteProvisioning } from '../../functions/api/delete-provisioning';
import { handler as updateOidc } from '../../functions/api/update-oidc';
import { handler as checkVpc } from '../../functions/api/check-vpc';
import { handler as validateRequest } from '../../functions/api/validate-request';
import { handler as getHealth } from '../../functions/api/get-health';
import { handler as preflight } from '../../functions/api/preflight';
import { handler as getTimeline } from '../../functions/api/get-timeline';
import { apiEvent, lambdaContext } from '../fixtures/api-events';
import { loadServerlessConfig } from '../helpers/serverless-config';
import { fullRequest } from '../helpers/workflow';

/**
 * The contract: every route of the HTTP API, driven through its real handler on the local stack (moto, the local
 * Step Functions API, the registry), answers only statuses docs/openapi.yaml documents for it, with the documented
 * media type and a body its schema accepts (openapi-response-validator, a maintained validator of OpenAPI 3
 * responses). Each route's success and each error it documents is produced for real; the few that no handler can
 * produce are listed in UNREACHABLE with the reason, and the test fails if one of them does show up, or if a
 * documented status is neither produced nor listed. docs/openapi.yaml is generated (local/docs.ts, `npm run docs`).
 */

type Handler = (event: ApiEvent, context: Context) => Promise<ApiResult>;
type Operation = { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };
type Spec = { paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };

const spec = yaml.load(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.yaml'), 'utf8')) as Spec;

const HANDLERS: Record<string, Handler> = {
  'POST /provisionings': startProvisioning,
  'GET /provisionings': listProvisionings,
  'GET /provisionings/{id}': getProvisioning,
  'DELETE /provisionings/{id}': deleteProvisioning,
  'POST /provisionings/{id}/oidc': updateOidc,
  'POST /vpc-checks': checkVpc,
  'POST /validate': validateRequest,
  'GET /provisionings/{id}/health': getHealth,
  'POST /preflight': preflight,
  'GET /provisionings/{id}/timeline.svg': getTimeline,
};

const GATEWAY_403 = "API Gateway's own answer to a missing or refused SigV4 signature, given before any handler runs";
/** Documented statuses no handler can produce, by route, and why. */
const UNREACHABLE: Record<string, Record<string, string>> = {
  'POST /validate': {
    '500': 'pure validation without an AWS call: only a bug could break it',
    '503': 'answers without waiting for anything, so it always beats its own timeout',
  },
};
const unreachable = (route: string): Record<string, string> => ({ '403': GATEWAY_403, ...(UNREACHABLE[route] ?? {}) });

/** The routes serverless.yml deploys (`httpApi` events), as `METHOD /path`. */
function deployedRoutes(): string[] {
  const functions = loadServerlessConfig().functions as Record<string, { events?: { httpApi?: { method: string; path: string } }[] }>;
  return Object.values(functions)
    .flatMap((f) => (f.events ?? []).map((e) => e.httpApi).filter((e): e is { method: string; path: string } => Boolean(e)))
    .map((e) => `${e.method.toUpperCase()} ${e.path}`)
    .sort();
}

const produced = new Map<string, Set<string>>();
const validators = new Map<string, OpenAPIResponseValidator>();

/** Call a route's real handler, check the answer against docs/openapi.yaml, and remember its status. */
async function call(route: string, options: Parameters<typeof apiEvent>[1] = {}, context: Context = lambdaContext()): Promise<{ status: number; body: Record<string, unknown> }> {
  const handler = HANDLERS[route];
  if (!handler) throw new Error(`no handler for ${route} in this test`);
  const answer = await handler(apiEvent(route, options), context);
  const status = answer.statusCode!;
  // JSON answers and problems are parsed; another media type (the timeline's SVG) is checked as the text it is.
  const json = /json/.test(answer.headers?.['content-type'] as string);
  const body = (json ? JSON.parse(answer.body ?? 'null') : answer.body) as Record<string, unknown>;
  const [method, path] = route.split(' ');
  const operation = spec.paths[path]?.[method.toLowerCase()];
  expect({ route, documented: Boolean(operation) }).toEqual({ route, documented: true });
  const response = operation.responses[String(status)];
  // Only statuses the OpenAPI file documents for this route.
  expect({ route, status, documented: Boolean(response), detail: response ? undefined : body }).toEqual({ route, status, documented: true, detail: undefined });
  // The documented media type (application/json for answers, application/problem+json for errors).
  expect({ route, status, contentType: answer.headers?.['content-type'] }).toEqual({ route, status, contentType: Object.keys(response.content ?? {})[0] });
  const key = `${route} ${status}`;
  if (!validators.has(key)) validators.set(key, new OpenAPIResponseValidator({ responses: { [status]: response }, components: spec.components } as never));
  const errors = validators.get(key)!.validateResponse(status, structuredClone(body));
  expect({ route, status, errors: errors?.errors ?? [] }).toEqual({ route, status, errors: [] });
  if (!produced.has(route)) produced.set(route, new Set());
  produced.get(route)!.add(String(status));
  return { status, body };
}

/** A Lambda context with (almost) no time left: middy gives up at once and the route answers 503 itself. */
const outOfTime = () => lambdaContext(1_000);
const tooLarge = () => JSON.stringify({ projectName: 'demo', padding: 'x'.repeat(MAX_BODY_BYTES) });

describe('the HTTP API against docs/openapi.yaml, with real responses of every route', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startLocalStack({ profile: 'instant', sfnServer: true, stateDir: mkdtempSync(join(tmpdir(), 'byoc-contract-')) });
  }, 60_000);
  afterAll(async () => stack?.stop());

  /** Run `fn` with the registry table pointing at a table that does not exist: an unexpected AWS failure. */
  async function withBrokenRegistry<T>(fn: () => Promise<T>): Promise<T> {
    const saved = process.env[ENV.registryTable];
    process.env[ENV.registryTable] = 'byoc-contract-no-such-table';
    try {
      return await fn();
    } finally {
      process.env[ENV.registryTable] = saved;
    }
  }
  async function until(id: string, done: (status: string) => boolean): Promise<Record<string, unknown>> {
    for (let i = 0; i < 600; i++) {
      const { body } = await call('GET /provisionings/{id}', { id });
      if (done(body.status as string) && !(body.currentExecution as unknown)) return body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`provisioning ${id} did not finish`);
  }

  it('knows a handler for every route serverless.yml deploys, and docs/openapi.yaml documents each', () => {
    expect(Object.keys(HANDLERS).sort()).toEqual(deployedRoutes());
    for (const route of deployedRoutes()) {
      const [method, path] = route.split(' ');
      expect({ route, documented: Boolean(spec.paths[path]?.[method.toLowerCase()]) }).toEqual({ route, documented: true });
    }
  });

  it('POST /validate: 200 with the defaults, 400 naming each field, 413, 415', async () => {
    const ok = await call('POST /validate', { body: fullRequest('contract-v') });
    expect(ok.body).toMatchObject({ valid: true, request: { provisioningId: 'contract-v', network: { vpcCidr: '10.0.0.0/16' } } });
    const bad = await call('POST /validate', { body: { projectName: 'Demo', region: 'mars-1' } });
    expect(bad.status).toBe(400);
    expect((bad.body.errors as { field: string }[]).map((e) => e.field)).toEqual(expect.arrayContaining(['projectName', 'region', 'crossAccountRole']));
    expect((await call('POST /validate', { rawBody: tooLarge() })).status).toBe(413);
    expect((await call('POST /validate', { rawBody: 'projectName=demo', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
    expect((await call('POST /validate', { rawBody: '{"projectName": ' })).status).toBe(415);
  });

  it('a provisioning through every route: start, status, list, OIDC, conflicts, teardown; and each route\'s errors', async () => {
    const request = fullRequest('contract-1');
    // POST /provisionings: 202; while it runs, a teardown, the OIDC route and another request are refused (409).
    const started = await call('POST /provisionings', { body: request });
    expect(started.status).toBe(202);
    expect((await call('DELETE /provisionings/{id}', { id: 'contract-1' })).body).toMatchObject({ status: 409, error: 'ProvisioningRunning' });
    expect((await call('POST /provisionings/{id}/oidc', { id: 'contract-1', body: { oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/CAFE' } })).body).toMatchObject({ status: 409, error: 'ProvisioningNotReady' });
    expect((await call('POST /provisionings', { body: { ...request, projectName: 'other' } })).body).toMatchObject({ status: 409 });

    // GET /provisionings/{id}: 200 while it runs and once it succeeded.
    const done = await until('contract-1', (s) => s !== 'PROVISIONING');
    expect(done.status).toBe('SUCCEEDED');
    // A change that needs new resources: 409 ReplacementRequired with the fields.
    expect((await call('POST /provisionings', { body: { ...request, region: 'eu-central-1' } })).body).toMatchObject({ status: 409, error: 'ReplacementRequired' });

    // GET /provisionings: 200, by status too.
    expect((await call('GET /provisionings')).body.provisionings).toEqual(expect.arrayContaining([expect.objectContaining({ provisioningId: 'contract-1', status: 'SUCCEEDED' })]));
    expect((await call('GET /provisionings', { query: { status: 'SUCCEEDED', limit: '1' } })).status).toBe(200);

    // POST /provisionings/{id}/oidc: 200.
    const oidc = await call('POST /provisionings/{id}/oidc', { id: 'contract-1', body: { oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/CAFE' } });
    expect(oidc.status).toBe(200);

    // GET /provisionings/{id}/health: 200 on the live provisioning; 502 when AWS refuses the reads in its account.
    expect((await call('GET /provisionings/{id}/health', { id: 'contract-1' })).body).toMatchObject({ provisioningId: 'contract-1', verdict: 'HEALTHY' });
    stack.realism.setFaults('deny:ec2:DescribeVpcs');
    try {
      expect((await call('GET /provisionings/{id}/health', { id: 'contract-1' })).body).toMatchObject({ status: 502, error: 'TargetAccountUnreachable' });
    } finally {
      stack.realism.setFaults(undefined);
    }

    // GET /provisionings/{id}/timeline.svg: 200, the picture of its latest execution.
    const timeline = await call('GET /provisionings/{id}/timeline.svg', { id: 'contract-1' });
    expect(String(timeline.body)).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);

    // POST /preflight: 200 with the findings for another request (reads only).
    expect((await call('POST /preflight', { body: fullRequest('contract-pf') })).body).toMatchObject({ ok: expect.any(Boolean), findings: expect.any(Array) });

    // POST /vpc-checks: 200 for the VPC it built.
    const vpcId = (done.outputs as { vpcId: string }).vpcId;
    expect((await call('POST /vpc-checks', { body: { vpcId, region: 'us-west-2' } })).body).toMatchObject({ vpcId, ok: true });

    // DELETE /provisionings/{id}: 202, then 409 TeardownRunning while it runs, then the teardown that succeeded again (202).
    expect((await call('DELETE /provisionings/{id}', { id: 'contract-1' })).status).toBe(202);
    expect((await call('POST /provisionings', { body: request })).body).toMatchObject({ status: 409, error: 'TeardownRunning' });
    const down = await until('contract-1', (s) => s !== 'TEARING_DOWN');
    expect(down.status).toBe('TORN_DOWN');
    expect((await call('GET /provisionings/{id}/health', { id: 'contract-1' })).body).toMatchObject({ status: 409, error: 'ProvisioningNotLive' });
    expect((await call('DELETE /provisionings/{id}', { id: 'contract-1' })).status).toBe(202);
  }, 120_000);

  it('400 naming the field, on every route that takes input', async () => {
    const invalid = async (route: string, options: Parameters<typeof apiEvent>[1], field: string) => {
      const answer = await call(route, options);
      expect({ route, status: answer.status, fields: (answer.body.errors as { field: string }[]).map((e) => e.field) }).toEqual({ route, status: 400, fields: expect.arrayContaining([field]) });
    };
    await invalid('POST /provisionings', { body: { projectName: 'demo', region: 'us-west-2' } }, 'crossAccountRole');
    await invalid('GET /provisionings', { query: { limit: '0' } }, 'limit');
    await invalid('GET /provisionings/{id}', { id: 'not.an.id' }, 'provisioningId');
    await invalid('GET /provisionings/{id}/health', { id: 'not.an.id' }, 'provisioningId');
    await invalid('GET /provisionings/{id}/timeline.svg', { id: 'not.an.id' }, 'provisioningId');
    await invalid('DELETE /provisionings/{id}', { id: 'contract-x', query: { force: 'yes' } }, 'force');
    await invalid('POST /provisionings/{id}/oidc', { id: 'contract-x', body: { oidcIssuerUrl: 'http://not-https.example' } }, 'oidcIssuerUrl');
    await invalid('POST /vpc-checks', { body: { vpcId: 'vpc-0123456789abcdef0' } }, 'region');
    await invalid('POST /preflight', { body: { projectName: 'demo', region: 'us-west-2' } }, 'crossAccountRole');
  });

  it('404 for a provisioning nobody started, on every route that names one', async () => {
    for (const [route, options] of [
      ['GET /provisionings/{id}', { id: 'contract-nobody' }],
      ['GET /provisionings/{id}/health', { id: 'contract-nobody' }],
      ['GET /provisionings/{id}/timeline.svg', { id: 'contract-nobody' }],
      ['DELETE /provisionings/{id}', { id: 'contract-nobody' }],
      ['POST /provisionings/{id}/oidc', { id: 'contract-nobody', body: { oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/CAFE' } }],
    ] as const) {
      expect({ route, answer: (await call(route, options)).body }).toMatchObject({ route, answer: { status: 404, error: 'ProvisioningNotFound' } });
    }
  });

  it('413 and 415 on every route that reads a body, before anything runs', async () => {
    for (const route of ['POST /provisionings', 'POST /provisionings/{id}/oidc', 'POST /vpc-checks', 'POST /preflight']) {
      const id = route.includes('{id}') ? 'contract-x' : undefined;
      expect({ route, status: (await call(route, { id, rawBody: tooLarge() })).status }).toEqual({ route, status: 413 });
      expect({ route, status: (await call(route, { id, rawBody: '<xml/>', headers: { 'content-type': 'text/xml' } })).status }).toEqual({ route, status: 415 });
    }
  });

  it('an opaque 500 naming the request ID when AWS fails unexpectedly (a registry table that is not there, EC2 refusing a read)', async () => {
    await withBrokenRegistry(async () => {
      for (const [route, options] of [
        ['POST /provisionings', { body: fullRequest('contract-500') }],
        ['GET /provisionings', {}],
        ['GET /provisionings/{id}', { id: 'contract-500' }],
        ['GET /provisionings/{id}/health', { id: 'contract-500' }],
        ['GET /provisionings/{id}/timeline.svg', { id: 'contract-500' }],
        ['DELETE /provisionings/{id}', { id: 'contract-500' }],
        ['POST /provisionings/{id}/oidc', { id: 'contract-500', body: { oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/CAFE' } }],
      ] as const) {
        const answer = await call(route, options);
        expect({ route, status: answer.status, requestId: answer.body.requestId, detail: answer.body.detail }).toEqual({ route, status: 500, requestId: 'aws-req-1', detail: expect.not.stringMatching(/byoc-contract-no-such-table|ResourceNotFound|at .*\.ts/) });
      }
    });
    stack.realism.setFaults('DescribeVpcs:fail,GetCallerIdentity:fail');
    try {
      expect((await call('POST /vpc-checks', { body: { vpcId: 'vpc-0123456789abcdef0', region: 'us-west-2' } })).status).toBe(500);
      expect((await call('POST /preflight', { body: fullRequest('contract-500') })).status).toBe(500);
    } finally {
      stack.realism.setFaults(undefined);
    }
  });

  it('503 with retry-after when a route runs out of time (its function gives up a second before its timeout)', async () => {
    for (const [route, options] of [
      ['POST /provisionings', { body: fullRequest('contract-503') }],
      ['GET /provisionings', {}],
      ['GET /provisionings/{id}', { id: 'contract-503' }],
      ['GET /provisionings/{id}/health', { id: 'contract-503' }],
      ['GET /provisionings/{id}/timeline.svg', { id: 'contract-503' }],
      ['DELETE /provisionings/{id}', { id: 'contract-503' }],
      ['POST /provisionings/{id}/oidc', { id: 'contract-503', body: { oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/CAFE' } }],
      ['POST /vpc-checks', { body: { vpcId: 'vpc-0123456789abcdef0', region: 'us-west-2' } }],
      ['POST /preflight', { body: fullRequest('contract-503') }],
    ] as const) {
      expect({ route, answer: (await call(route, options, outOfTime())).body }).toMatchObject({ route, answer: { status: 503, error: 'Timeout', requestId: 'aws-req-1' } });
    }
    // Let a start that the timeout cut short finish before the stack stops.
    await new Promise((r) => setTimeout(r, 500));
  });

  it('produced every status docs/openapi.yaml documents for each route, except those no handler can produce (listed with why)', () => {
    for (const route of deployedRoutes()) {
      const [method, path] = route.split(' ');
      const documented = Object.keys(spec.paths[path][method.toLowerCase()].responses).sort();
      const skipped = unreachable(route);
      const missing = documented.filter((s) => !produced.get(route)?.has(s) && !(s in skipped));
      expect({ route, missing }).toEqual({ route, missing: [] });
      // The list of unreachable statuses stays honest: none of them was produced after all, and each is documented.
      expect({ route, producedAfterAll: Object.keys(skipped).filter((s) => produced.get(route)?.has(s)) }).toEqual({ route, producedAfterAll: [] });
      expect({ route, notDocumented: Object.keys(skipped).filter((s) => !documented.includes(s)) }).toEqual({ route, notDocumented: [] });
    }
  });
});
