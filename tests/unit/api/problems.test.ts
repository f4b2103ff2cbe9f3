import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { clearClientCache } from '../../../shared/aws/clients';
import { logger } from '../../../shared/lambda';
import { itemFromRecord, type RegistryRecord } from '../../../shared/registry/record';
import { handler as start } from '../../../functions/api/start-provisioning';
import { handler as get } from '../../../functions/api/get-provisioning';
import { handler as list } from '../../../functions/api/list-provisionings';
import { handler as del } from '../../../functions/api/delete-provisioning';
import { handler as validate } from '../../../functions/api/validate-request';
import { handler as checkVpc } from '../../../functions/api/check-vpc';
import { handler as oidc } from '../../../functions/api/update-oidc';
import { MAX_BODY_BYTES, PROBLEM_TYPES, problemTypeUri } from '../../../functions/api/problems';
import type { ApiResult } from '../../../functions/api/http';
import { apiEvent, lambdaContext } from '../../fixtures/api-events';

/**
 * Every error answer of the real handlers is an RFC 9457 problem (application/problem+json): type, title, status,
 * detail, the members the service adds, and `error` / `message` (and `problems` for 400) of the earlier shape.
 */
const PROVISION = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-provision-dev';
const TEARDOWN = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-teardown-dev';
const REQUEST = { provisioningId: 'p-1', projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } };
const sfn = mockClient(SFNClient);
const dynamodb = mockClient(DynamoDBClient);

let table: Map<string, Record<string, AttributeValue>>;
function fakeRegistry(): void {
  table = new Map();
  dynamodb.on(GetItemCommand).callsFake((input: { Key: { provisioningId: { S: string } } }) => ({ Item: table.get(input.Key.provisioningId.S) }));
  dynamodb.on(PutItemCommand).callsFake((input: { Item: Record<string, AttributeValue>; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
    const stored = table.get(input.Item.provisioningId.S!);
    const ok =
      input.ConditionExpression === 'attribute_not_exists(provisioningId)' ? !stored : input.ConditionExpression === 'version = :expected' ? stored?.version?.N === input.ExpressionAttributeValues![':expected'].N : true;
    if (!ok) throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    table.set(input.Item.provisioningId.S!, input.Item);
    return {};
  });
}
function register(record: Partial<RegistryRecord>): void {
  const full: RegistryRecord = { provisioningId: 'p-1', status: 'SUCCEEDED', request: REQUEST, outputs: null, currentExecution: null, executions: [], createdAt: '2026-11-25T00:00:00.000Z', updatedAt: '2026-11-25T00:00:00.000Z', version: 4, ...record };
  table.set(full.provisioningId, itemFromRecord(full));
}

const body = (r: ApiResult) => JSON.parse(r.body!);
/** Asserts the answer is a problem of `code` and returns its body. */
function expectProblem(res: ApiResult, status: number, code: keyof typeof PROBLEM_TYPES): Record<string, unknown> {
  expect(res.statusCode).toBe(status);
  expect(res.headers?.['content-type']).toBe('application/problem+json');
  const b = body(res);
  expect(b).toMatchObject({ type: problemTypeUri(code), title: PROBLEM_TYPES[code].title, status, detail: expect.any(String), error: code });
  expect(b.message).toBe(b.detail);
  expect(PROBLEM_TYPES[code].status).toBe(status);
  return b;
}

beforeAll(() => {
  process.env.PROVISION_STATE_MACHINE_ARN = PROVISION;
  process.env.TEARDOWN_STATE_MACHINE_ARN = TEARDOWN;
  process.env.REGISTRY_TABLE_NAME = 'byoc-registry-dev';
  clearClientCache();
});
beforeEach(() => {
  fakeRegistry();
  sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
});
afterEach(() => {
  sfn.reset();
  dynamodb.reset();
  jest.restoreAllMocks();
});

describe('400 InvalidInput', () => {
  it('names every bad field in `errors` (and, as before, `problems`), with the fields in the detail', async () => {
    const res = await start(apiEvent('POST /provisionings', { body: { projectName: 'Demo', region: 'mars-1' } }), lambdaContext());
    const b = expectProblem(res, 400, 'InvalidInput');
    expect((b.errors as { field: string }[]).map((p) => p.field)).toEqual(expect.arrayContaining(['projectName', 'region']));
    expect(b.problems).toEqual(b.errors);
    expect(b.detail).toContain('projectName');
    expect(table.size).toBe(0);
  });

  it('is the answer of every route for a bad path, query or body field', async () => {
    const answers = [
      await validate(apiEvent('POST /validate', { body: { ...REQUEST, network: { vpcCidr: '10.0.0.0/8' } } }), lambdaContext()),
      await del(apiEvent('DELETE /provisionings/{id}', { id: 'p-1', query: { force: 'yes' } }), lambdaContext()),
      await list(apiEvent('GET /provisionings', { query: { limit: '1000' } }), lambdaContext()),
      await get(apiEvent('GET /provisionings/{id}', { id: 'bad id!' }), lambdaContext()),
      await checkVpc(apiEvent('POST /vpc-checks', { body: { region: 'us-west-2' } }), lambdaContext()),
    ];
    for (const res of answers) expect((expectProblem(res, 400, 'InvalidInput').errors as unknown[]).length).toBeGreaterThan(0);
    expect(body(answers[0]).errors).toEqual([{ field: 'network.vpcCidr', rule: 'must use a /16 netmask (V2); got /8' }]);
    expect(body(answers[1]).errors).toEqual([{ field: 'force', rule: 'must be true or false; got "yes"' }]);
  });
});

describe('404 ProvisioningNotFound', () => {
  it('answers for a provisioning nobody knows', async () => {
    const b = expectProblem(await get(apiEvent('GET /provisionings/{id}', { id: 'nope' }), lambdaContext()), 404, 'ProvisioningNotFound');
    expect(b.detail).toContain('nope');
  });
});

describe('409 conflicts keep the members the service adds', () => {
  it('TeardownRunning names the running execution (`runningExecution`)', async () => {
    const running = { kind: 'teardown' as const, name: 'p-1--teardown-1', executionArn: `${TEARDOWN.replace(':stateMachine:', ':execution:')}:p-1--teardown-1`, startedAt: '2026-11-25T00:00:00.000Z', status: 'RUNNING' as const };
    register({ status: 'TEARING_DOWN', currentExecution: running, executions: [running] });
    sfn.on(DescribeExecutionCommand, { executionArn: running.executionArn }).resolves({ executionArn: running.executionArn, status: 'RUNNING', startDate: new Date() });
    const b = expectProblem(await del(apiEvent('DELETE /provisionings/{id}', { id: 'p-1' }), lambdaContext()), 409, 'TeardownRunning');
    expect(b.runningExecution).toMatchObject({ kind: 'teardown', executionArn: running.executionArn });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('ReplacementRequired lists the `fields` and `howToReplace`', async () => {
    register({ request: { ...REQUEST, projectName: 'other' }, executions: [{ kind: 'provision', name: 'p-1', executionArn: 'arn', startedAt: '2026-11-25T00:00:00.000Z', status: 'SUCCEEDED' }] });
    const b = expectProblem(await start(apiEvent('POST /provisionings', { body: REQUEST }), lambdaContext()), 409, 'ReplacementRequired');
    expect(b.fields).toEqual([expect.objectContaining({ field: 'projectName', kind: 'replacement' })]);
    expect(b.howToReplace).toHaveLength(2);
  });

  it('ProvisioningNotReady: the OIDC issuer of a provisioning that has not succeeded', async () => {
    register({ status: 'PROVISIONING' });
    expectProblem(await oidc(apiEvent('POST /provisionings/{id}/oidc', { id: 'p-1', body: { oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC' } }), lambdaContext()), 409, 'ProvisioningNotReady');
  });
});

describe('413 PayloadTooLarge', () => {
  it(`refuses a body over ${MAX_BODY_BYTES} bytes before parsing it, and starts nothing`, async () => {
    const big = JSON.stringify({ ...REQUEST, tags: { note: 'x'.repeat(MAX_BODY_BYTES) } });
    const b = expectProblem(await start(apiEvent('POST /provisionings', { rawBody: big }), lambdaContext()), 413, 'PayloadTooLarge');
    expect(b.detail).toContain(String(MAX_BODY_BYTES));
    expect(table.size).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('counts the decoded bytes of a base64 body, and lets a body of exactly the limit through to validation', async () => {
    const event = apiEvent('POST /validate', { rawBody: Buffer.from('{"a":"' + 'x'.repeat(MAX_BODY_BYTES) + '"}').toString('base64') });
    expectProblem(await validate({ ...event, isBase64Encoded: true }, lambdaContext()), 413, 'PayloadTooLarge');
    const padded = JSON.stringify(REQUEST).padEnd(MAX_BODY_BYTES, ' ');
    expect(Buffer.byteLength(padded)).toBe(MAX_BODY_BYTES);
    expect((await validate(apiEvent('POST /validate', { rawBody: padded }), lambdaContext())).statusCode).toBe(200);
  });
});

describe('415 UnsupportedMediaType', () => {
  it('a body that is not JSON (it was 415 before too), with the parser\'s reason and an accept header', async () => {
    const res = await start(apiEvent('POST /provisionings', { rawBody: 'projectName=demo' }), lambdaContext());
    const b = expectProblem(res, 415, 'UnsupportedMediaType');
    expect(b.detail).toMatch(/not valid JSON .*application\/json/);
    expect(res.headers?.accept).toBe('application/json');
  });

  it('a body sent with another content type, and no body at all', async () => {
    const form = await validate(apiEvent('POST /validate', { rawBody: JSON.stringify(REQUEST), headers: { 'content-type': 'application/x-www-form-urlencoded' } }), lambdaContext());
    expect(expectProblem(form, 415, 'UnsupportedMediaType').detail).toContain('got content-type: application/x-www-form-urlencoded');
    const none = await checkVpc(apiEvent('POST /vpc-checks'), lambdaContext());
    expect(expectProblem(none, 415, 'UnsupportedMediaType').detail).toContain('no body');
  });
});

describe('500 InternalError', () => {
  it('is opaque: no stack, no message, no AWS detail; it names the request ID, which the log line carries with the error', async () => {
    const error = Object.assign(new Error('User: arn:aws:sts::123456789012:assumed-role/ApiRole/x is not authorized to perform: states:StartExecution'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400, requestId: 'aws-internal-request-1' },
    });
    sfn.on(StartExecutionCommand).rejects(error);
    const logged = jest.spyOn(logger, 'error');
    const res = await start(apiEvent('POST /provisionings', { body: REQUEST }), lambdaContext());
    const b = expectProblem(res, 500, 'InternalError');
    expect(b).toMatchObject({ requestId: 'aws-req-1', detail: expect.stringContaining('aws-req-1') });
    for (const leak of ['arn:aws', 'AccessDenied', 'aws-internal-request-1', 'StartExecution', '    at ', '.ts:']) expect(res.body).not.toContain(leak);
    expect(logged).toHaveBeenCalledWith('unhandled API error', expect.objectContaining({ error: expect.any(Error), requestId: 'aws-req-1', apiRequestId: 'req-1' }));
  });

  it('is also the answer when the Lambda is misconfigured (a plain Error with its text never shown)', async () => {
    const saved = process.env.REGISTRY_TABLE_NAME;
    delete process.env.REGISTRY_TABLE_NAME;
    try {
      const res = await get(apiEvent('GET /provisionings/{id}', { id: 'p-1' }), lambdaContext());
      expectProblem(res, 500, 'InternalError');
      expect(res.body).not.toContain('REGISTRY_TABLE_NAME');
    } finally {
      process.env.REGISTRY_TABLE_NAME = saved;
    }
  });
});

describe('503 Timeout', () => {
  it('answers before the Lambda times out when AWS is slow, saying a retry is safe', async () => {
    dynamodb.on(GetItemCommand).callsFake(() => new Promise(() => undefined));
    const res = await get(apiEvent('GET /provisionings/{id}', { id: 'p-1' }), lambdaContext(1_300));
    const b = expectProblem(res, 503, 'Timeout');
    expect(b.requestId).toBe('aws-req-1');
    expect(res.headers?.['retry-after']).toBe('5');
  });
});

describe('the problem types', () => {
  /** Every code the service can refuse with: ApiError(status, 'Code', ...) and the lifecycle's `code: '...'` refusals. */
  function codesInSource(dir: string): Set<string> {
    const codes = new Set<string>();
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        for (const c of codesInSource(path)) codes.add(c);
        continue;
      }
      if (!name.endsWith('.ts')) continue;
      const text = readFileSync(path, 'utf8');
      for (const m of text.matchAll(/new ApiError\(\s*\d+,\s*'([A-Za-z]+)'/g)) codes.add(m[1]);
      for (const line of text.split('\n').filter((l) => /\bcode: /.test(l))) for (const m of line.matchAll(/'([A-Z][a-z][A-Za-z]+)'/g)) codes.add(m[1]);
    }
    return codes;
  }

  it('has one for every code the service and the routes refuse with', () => {
    const root = join(__dirname, '..', '..', '..');
    const codes = new Set([...codesInSource(join(root, 'shared')), ...codesInSource(join(root, 'functions', 'api'))]);
    expect(codes.size).toBeGreaterThan(10);
    expect([...codes].filter((c) => !(c in PROBLEM_TYPES))).toEqual([]);
  });

  it('are distinct relative URI references, each documented in docs/openapi.yaml with its status and title', () => {
    const uris = Object.keys(PROBLEM_TYPES).map(problemTypeUri);
    expect(new Set(uris).size).toBe(uris.length);
    for (const uri of uris) expect(uri).toMatch(/^\/problems\/[a-z]+(-[a-z]+)*$/);
    const doc = yaml.load(readFileSync(join(__dirname, '..', '..', '..', 'docs', 'openapi.yaml'), 'utf8')) as { components: { schemas: { Error: { properties: { type: { enum: string[] } } } } } };
    expect(doc.components.schemas.Error.properties.type.enum).toEqual(uris);
  });
});
