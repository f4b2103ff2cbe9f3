import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { LocalStack } from '../../local/stack';
import type { ApiResult } from '../../functions/api/http';
import { apiEvent, lambdaContext } from '../fixtures/api-events';

// The steps' logger reads its level once, when it is made (and sets it back on every invocation): everything that
// logs is loaded in beforeAll, after POWERTOOLS_LOG_LEVEL is DEBUG, so every line any of it can write is written.
type Modules = {
  clients: typeof import('../../shared/aws/clients');
  stack: typeof import('../../local/stack');
  start: typeof import('../../functions/api/start-provisioning');
  get: typeof import('../../functions/api/get-provisioning');
  del: typeof import('../../functions/api/delete-provisioning');
  cfn: typeof import('../../functions/cfn/provider');
};
let m: Modules;
let summary = '';

/**
 * No secrets in logs or history (issue 13, Security; X1): a full run on the local stack, cross-account (every AWS call
 * made with the credentials of a customer role assumed with an external ID) through the HTTP API and through the
 * custom resource (whose answer goes to a presigned URL), with every log line captured (the steps' and routes' JSON
 * logs at DEBUG, anything written to stdout, stderr or the console) and every execution record and history the
 * local engine keeps. Then a scan:
 * - no access key ID, secret key or session token: the local stack's own (distinctive values set here) nor the
 *   assumed role's (read from the clients as they sign), nor anything shaped like an AWS key ID;
 * - no presigned URL's query string (`X-Amz-Signature`, `X-Amz-Credential`, `X-Amz-Security-Token`, `Signature=`);
 * - no external ID (the customer role's nor the vendor's) in any log line. The execution input and history do hold
 *   the request, external IDs included: the teardown needs them years later, and an external ID is not a secret
 *   (docs/decisions.md 15 and 25).
 */

const id = (n: number) => randomBytes(n).toString('hex').toUpperCase();
// The local stack's own credentials: distinctive, so any trace of them is found (moto accepts any).
const OWN = { accessKeyId: `AKIA${id(8)}`, secretAccessKey: `own-secret-${id(12)}` };
const CUSTOMER_EXTERNAL_ID = `ext-nolog-${id(6).toLowerCase()}`;
const VENDOR_EXTERNAL_ID = `cid-nolog-${id(6).toLowerCase()}`;
const TARGET = { roleArn: 'arn:aws:iam::111122223333:role/ZillizByocProvisioner', externalId: CUSTOMER_EXTERNAL_ID };
const SIGNATURE = id(32).toLowerCase();
const STACK_ID = 'arn:aws:cloudformation:us-west-2:123456789012:stack/app/5678';

describe('no credentials, session tokens, presigned URLs or external IDs in logs, and no credentials in execution history', () => {
  let stack: LocalStack;
  const logLines: string[] = [];
  /** Every credential any client signed with (the assumed role's included). */
  const signedWith = new Set<string>();
  const saved: Record<string, string | undefined> = {};
  const restores: (() => void)[] = [];
  const answers: { body: Record<string, unknown>; url: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      answers.push({ body: JSON.parse(data), url: req.url ?? '' });
      res.end();
    });
  });
  let responseUrl = '';

  beforeAll(async () => {
    const env: Record<string, string> = {
      AWS_ACCESS_KEY_ID: OWN.accessKeyId,
      AWS_SECRET_ACCESS_KEY: OWN.secretAccessKey,
      BYOC_CFN_POLL_SECONDS: '0.1',
      BYOC_CFN_RESPONSE_RETRY_SECONDS: '0.01',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      // An operator's switch to log every event: the handlers refuse it (an event holds the presigned URL).
      POWERTOOLS_LOGGER_LOG_EVENT: 'true',
    };
    for (const [name, value] of Object.entries(env)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    // Capture everything: the Powertools logger writes JSON lines to process.stdout / stderr through its own Console.
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        logLines.push(String(chunk));
        return typeof rest[rest.length - 1] === 'function' ? ((rest[rest.length - 1] as () => void)(), true) : true;
      }) as typeof stream.write;
      restores.push(() => (stream.write = write));
    }
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const spy = jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void logLines.push(args.map(String).join(' ')));
      restores.push(() => spy.mockRestore());
    }
    m = {
      clients: await import('../../shared/aws/clients'),
      stack: await import('../../local/stack'),
      start: await import('../../functions/api/start-provisioning'),
      get: await import('../../functions/api/get-provisioning'),
      del: await import('../../functions/api/delete-provisioning'),
      cfn: await import('../../functions/cfn/provider'),
    };
    const { registerClientCustomizer } = m.clients;
    // Read the credentials each client signs with (ours, and those of the role assumed with the external ID).
    restores.push(
      registerClientCustomizer((client) => {
        type Next = (args: unknown) => Promise<unknown>;
        (client.middlewareStack as unknown as { add: (mw: (next: Next) => Next, options: { step: 'finalizeRequest'; name: string }) => void }).add(
          (next) => async (args) => {
            const credentials = await (client.config as { credentials?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }> }).credentials?.();
            if (credentials) for (const value of [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken]) if (value) signedWith.add(value);
            return next(args);
          },
          { step: 'finalizeRequest', name: 'noSecretsCredentialProbe' },
        );
      }),
    );
    stack = await m.stack.startLocalStack({ profile: 'instant', sfnServer: true, stateDir: mkdtempSync(join(tmpdir(), 'byoc-secrets-')) });
    m.clients.clearClientCache();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    // What CloudFormation sends: a presigned S3 URL whose query string is a credential.
    responseUrl =
      `http://127.0.0.1:${port}/cloudformation-custom-resource-response-uswest2/${encodeURIComponent(STACK_ID)}%7CByoc%7Cr-1` +
      `?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA${id(8)}%2F20261126%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Date=20261126T000000Z` +
      `&X-Amz-Expires=7200&X-Amz-SignedHeaders=host&X-Amz-Security-Token=${id(20)}&X-Amz-Signature=${SIGNATURE}`;
  }, 120_000);

  afterAll(async () => {
    for (const restore of restores.reverse()) restore();
    if (summary) process.stdout.write(`\n${summary}\n`);
    server.close();
    await stack?.stop();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    m?.clients.clearClientCache();
  });

  const body = (r: ApiResult) => JSON.parse(String(r.body)) as Record<string, unknown>;
  async function until(provisioningId: string, statuses: string[]): Promise<string> {
    for (let i = 0; i < 600; i++) {
      const status = String(body(await m.get.handler(apiEvent('GET /provisionings/{id}', { id: provisioningId }), lambdaContext())).status);
      if (statuses.includes(status)) return status;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${provisioningId} never reached ${statuses.join('/')}`);
  }
  const cfnEvent = (type: 'Create' | 'Delete', physicalId?: string) =>
    ({
      RequestType: type,
      ServiceToken: 'arn:aws:lambda:us-west-2:123456789012:function:provider',
      ResponseURL: responseUrl,
      StackId: STACK_ID,
      RequestId: `r-${type}`,
      LogicalResourceId: 'Byoc',
      ResourceType: 'Custom::ByocProvisioning',
      ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
      ResourceProperties: {
        ServiceToken: 'arn:aws:lambda:us-west-2:123456789012:function:provider',
        projectName: 'secrets',
        region: 'us-west-2',
        targetAccount: TARGET,
        iamRole: { name: 'zilliz-byoc-secrets-cfn-eks' },
        storageRole: { name: 'zilliz-byoc-secrets-cfn-storage' },
        crossAccountRole: { externalId: VENDOR_EXTERNAL_ID, name: 'zilliz-byoc-secrets-cfn-xacct' },
      },
    }) as CloudFormationCustomResourceEvent;

  it('a cross-account provisioning and teardown through the API, and a custom resource Create and Delete, log nothing secret', async () => {
    // 1. The HTTP API: provision in the customer's account (assumed role, external ID), then tear down.
    const request = {
      provisioningId: 'secrets-api',
      projectName: 'secrets',
      region: 'us-west-2',
      targetAccount: TARGET,
      iamRole: { name: 'zilliz-byoc-secrets-api-eks' },
      storageRole: { name: 'zilliz-byoc-secrets-api-storage' },
      crossAccountRole: { externalId: VENDOR_EXTERNAL_ID, name: 'zilliz-byoc-secrets-api-xacct' },
    };
    expect((await m.start.handler(apiEvent('POST /provisionings', { body: request }), lambdaContext())).statusCode).toBe(202);
    expect(await until('secrets-api', ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'ROLLBACK_INCOMPLETE'])).toBe('SUCCEEDED');
    const outputs = body(await m.get.handler(apiEvent('GET /provisionings/{id}', { id: 'secrets-api' }), lambdaContext())).outputs as { accountId: string };
    expect(outputs.accountId).toBe('111122223333'); // built in the customer's account, with the assumed role's credentials
    expect((await m.del.handler(apiEvent('DELETE /provisionings/{id}', { id: 'secrets-api' }), lambdaContext())).statusCode).toBe(202);
    expect(await until('secrets-api', ['TORN_DOWN', 'TEARDOWN_FAILED'])).toBe('TORN_DOWN');

    // 2. The custom resource: Create (answers SUCCESS to the presigned URL), then Delete.
    await m.cfn.handler(cfnEvent('Create') as never, lambdaContext(600_000));
    expect(answers.map((a) => a.body.Status)).toEqual(['SUCCESS']);
    const physicalId = String(answers[0].body.PhysicalResourceId);
    await m.cfn.handler(cfnEvent('Delete', physicalId) as never, lambdaContext(600_000));
    expect(answers.map((a) => a.body.Status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(answers.every((a) => a.url.includes(`X-Amz-Signature=${SIGNATURE}`))).toBe(true); // the answers did use the URL

    // What was captured is real: the steps logged, and clients signed with two sets of credentials (ours and the role's).
    const logs = logLines.join('\n');
    expect(logs).toContain('"message":"step succeeded"');
    expect(logs).toContain('"message":"answered CloudFormation"');
    const assumed = [...signedWith].filter((v) => v !== OWN.accessKeyId && v !== OWN.secretAccessKey);
    expect(signedWith).toContain(OWN.accessKeyId);
    expect(assumed.length).toBeGreaterThanOrEqual(3); // key ID, secret and session token of the assumed role

    // The execution records and histories the engine keeps (what GetExecutionHistory serves).
    const history = readAll(stack.store.list('byoc-provision'), stack.store.list('byoc-teardown'));
    expect(history.length).toBeGreaterThan(10_000);

    const secrets = [OWN.accessKeyId, OWN.secretAccessKey, ...assumed, SIGNATURE];
    const leaks = (text: string, extra: string[]) => [
      ...[...secrets, ...extra].filter((s) => text.includes(s)).map((s) => `value ${s.slice(0, 6)}…`),
      ...[/\b(AKIA|ASIA)[A-Z0-9]{16}\b/, /X-Amz-(Signature|Credential|Security-Token)/i, /[?&]Signature=/, /aws_secret_access_key|secretAccessKey"\s*:|sessionToken"\s*:/i]
        .filter((re) => re.test(text))
        .map((re) => `pattern ${re.source}`),
    ];
    // The scan finds what it looks for (a URL as CloudFormation sends it; an external ID in a log line's JSON).
    expect(leaks(`PUT ${responseUrl}`, [])).toEqual(expect.arrayContaining([expect.stringContaining('X-Amz')]));
    expect(leaks(JSON.stringify({ level: 'INFO', externalId: CUSTOMER_EXTERNAL_ID }), [CUSTOMER_EXTERNAL_ID])).not.toEqual([]);
    summary = `no secrets: ${logLines.length} log writes and ${history.length} bytes of execution records scanned; ${signedWith.size} credential values signed with`;
    // Logs: nothing of the above, and no external ID either.
    expect({ where: 'log lines', leaks: leaks(logs, [CUSTOMER_EXTERNAL_ID, VENDOR_EXTERNAL_ID]) }).toEqual({ where: 'log lines', leaks: [] });
    // Execution history: no credential, no presigned URL. (The request, external IDs included, is the input.)
    expect({ where: 'execution history', leaks: leaks(history, []) }).toEqual({ where: 'execution history', leaks: [] });
    expect(history).toContain(CUSTOMER_EXTERNAL_ID); // the documented exception: it is part of the request
    // What the state directory keeps on disk (execution records, registry copies) is no different.
    const disk = filesUnder(stateDirOf(stack));
    expect({ where: 'state directory', leaks: leaks(disk, []) }).toEqual({ where: 'state directory', leaks: [] });
  }, 300_000);
});

function readAll(...lists: unknown[][]): string {
  return lists.flat().map((record) => JSON.stringify(record)).join('\n');
}
function stateDirOf(stack: LocalStack): string {
  return (stack.store as unknown as { dir?: string; root?: string }).dir ?? (stack.store as unknown as { root: string }).root;
}
function filesUnder(dir: string | undefined): string {
  if (!dir) return '';
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return out.join('\n');
}
