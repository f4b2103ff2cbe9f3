import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { main } from '../../local/cli';
import { serve, startApiServer, type Serving } from '../../local/serve/server';

const root = join(__dirname, '..', '..');

function requestFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'byoc-serve-req-')), 'request.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

/** `byoc ...` in this process, its output collected. */
async function byoc(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (l) => (stdout += `${l}\n`), err: (l) => (stderr += `${l}\n`) });
  return { code, stdout, stderr };
}

/** A request signed as an SDK client signs it (SigV4, execute-api), sent with fetch. */
async function signedFetch(url: string, init: { method?: string; body?: string; secret?: string } = {}): Promise<Response> {
  const u = new URL(url);
  const signer = new SignatureV4({ service: 'execute-api', region: 'us-west-2', credentials: { accessKeyId: 'testing', secretAccessKey: init.secret ?? 'testing' }, sha256: Sha256 });
  const headers: Record<string, string> = { host: u.host, ...(init.body ? { 'content-type': 'application/json' } : {}) };
  const signed = await signer.sign(new HttpRequest({ method: init.method ?? 'GET', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: u.pathname, headers, body: init.body }));
  const { host: _host, ...sent } = signed.headers;
  return fetch(url, { method: init.method ?? 'GET', headers: sent, body: init.body });
}

/**
 * Issue 12: `byoc serve` answers the HTTP API with the same handlers on the local stack, checks SigV4 as API
 * Gateway's IAM auth does, and the CLI's remote mode (`--api`) drives it exactly as it would a deployed API.
 */
describe('byoc serve and the CLI in remote mode', () => {
  let serving: Serving;
  const saved = { poll: process.env.BYOC_POLL_MS, stateDir: process.env.BYOC_STATE_DIR };
  const stateDir = mkdtempSync(join(tmpdir(), 'byoc-serve-'));
  // A control plane under development: receives the forwarded completion events (--events-to).
  const received: { detail: { provisioningId: string; status: string } }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  const restore = (name: string, value: string | undefined) => (value === undefined ? delete process.env[name] : (process.env[name] = value));
  beforeAll(async () => {
    process.env.BYOC_POLL_MS = '50';
    process.env.BYOC_STATE_DIR = stateDir; // where `byoc events` reads what the stack records
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const eventsTo = new URL(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`);
    serving = await serve({ port: 0, auth: true, profile: 'instant', stateDir, eventsTo });
  }, 60_000);
  afterAll(async () => {
    restore('BYOC_POLL_MS', saved.poll);
    restore('BYOC_STATE_DIR', saved.stateDir);
    await serving?.stop();
    receiver.close();
  });
  const receivedFor = async (status: string) => {
    for (let i = 0; i < 100 && !received.some((e) => e.detail.status === status); i++) await new Promise((r) => setTimeout(r, 50));
    return received.filter((e) => e.detail.status === status);
  };

  it('provisions, shows status, sets the OIDC issuer and tears down through --api, with the output of local mode', async () => {
    const api = serving.api.url;
    const request = requestFile({ projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } });
    const run = await byoc(['provision', '--api', api, '--request', request, '--id', 'srv-1']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`API: ${api}\n`);
    // Live progress from polled status, in the local mode's shape.
    expect(run.stdout).toMatch(/\[\s+[\d.]+ s\] execution started/);
    expect(run.stdout).toMatch(/\[\s+[\d.]+ s\] ▶ CreateVpc/);
    expect(run.stdout).toMatch(/\[\s+[\d.]+ s\] ✔ CreateVpc \([\d.]+ s\)/);
    expect(run.stdout).toMatch(/\[\s+[\d.]+ s\] execution succeeded/);
    expect(run.stdout).toMatch(/Provisioned srv-1 in [\d.]+ s\. Outputs:\n[\s\S]*vpcId: vpc-[0-9a-f]+/);
    expect(run.stdout).toMatch(/Paste into the vendor console \(BYOC project\):\n {2}Storage settings\n {4}Bucket name +zilliz-byoc-demo-milvus-[0-9a-f]{8}/);
    expect(JSON.parse(/Vendor API awsParam: (.*)/.exec(run.stdout)![1])).toMatchObject({ securityGroupIds: [expect.stringMatching(/^sg-/)] });

    // The same request again: nothing new starts (lifecycle rule "start"), the outputs are printed again.
    const again = await byoc(['provision', '--api', api, '--request', request, '--id', 'srv-1']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Provisioning srv-1 is already SUCCEEDED');

    const status = await byoc(['status', 'srv-1', '--api', api]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Provisioning srv-1: SUCCEEDED (execution srv-1, started ');
    expect(status.stdout).toMatch(/✔ CreateVpc\s+[\d.]+ s/);
    expect(status.stdout).toContain(`(from the API at ${api}, read `);
    const json = JSON.parse((await byoc(['status', 'srv-1', '--json', '--api', api])).stdout);
    expect(json).toMatchObject({ provisioningId: 'srv-1', status: 'SUCCEEDED', execution: 'srv-1', outputs: { vpcId: expect.stringMatching(/^vpc-/) }, registry: { api } });

    // The completion event: recorded (byoc events) and forwarded to --events-to.
    expect(await receivedFor('SUCCEEDED')).toEqual([expect.objectContaining({ detail: expect.objectContaining({ provisioningId: 'srv-1', status: 'SUCCEEDED' }) })]);
    const events = await byoc(['events', 'srv-1']);
    expect(events.code).toBe(0);
    expect(events.stdout).toContain('srv-1 is SUCCEEDED in us-west-2');

    const oidc = await byoc(['update-oidc', 'srv-1', '--issuer', 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC123', '--api', api]);
    expect(oidc.stderr).toBe('');
    expect(oidc.code).toBe(0);
    expect(oidc.stdout).toContain('arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC123');
    // Bad input comes back as the same field list and exit code as in local mode.
    const badIssuer = await byoc(['update-oidc', 'srv-1', '--issuer', 'http://nope', '--api', api]);
    expect(badIssuer.code).toBe(2);
    expect(badIssuer.stderr).toContain('- oidcIssuerUrl: must use https');

    const timeline = await byoc(['timeline', 'srv-1', '--api', api]);
    expect(timeline.code).toBe(0);
    expect(timeline.stdout).toMatch(/<svg[^>]*>[\s\S]*CreateVpc[\s\S]*<\/svg>/);
    // Drift and preflight through the deployed routes (GET /provisionings/{id}/health, POST /preflight).
    const health = await byoc(['health', 'srv-1', '--api', api]);
    expect(health.stderr).toBe('');
    expect(health.code).toBe(0);
    expect(health.stdout).toMatch(/^Provisioning srv-1 \(SUCCEEDED, us-west-2, account 123456789012\): HEALTHY/);
    const noVerdict = await byoc(['health', 'never-made', '--api', api]);
    expect(noVerdict.code).toBe(4);
    const preflight = await byoc(['preflight', '--api', api, '--request', requestFile({ projectName: 'other', region: 'us-west-2', provisioningId: 'srv-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } })]);
    expect(preflight.stderr).toBe('');
    expect(preflight.stdout).toContain('Preflight passed');
    expect(preflight.code).toBe(0);
    const blocked = await byoc(['preflight', '--api', api, '--request', requestFile({ projectName: 'other', region: 'us-west-2', provisioningId: 'srv-3', crossAccountRole: { externalId: 'cid-0123456789abcdef' }, network: { avoidCidrs: ['10.0.0.0/8'] } })]);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain('network.avoidCidrs');

    const down = await byoc(['teardown', 'srv-1', '--api', api]);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`Tearing down srv-1 (API: ${api})`);
    expect(down.stdout).toContain('Removed everything tagged byoc:provisioning-id=srv-1');
    expect(JSON.parse((await byoc(['status', 'srv-1', '--json', '--api', api])).stdout)).toMatchObject({ status: 'TORN_DOWN', teardown: { execution: 'srv-1--teardown-1', status: 'SUCCEEDED' } });
    expect(await receivedFor('TORN_DOWN')).toHaveLength(1);
    // Safe to repeat.
    const twice = await byoc(['teardown', 'srv-1', '--api', api]);
    expect(twice.code).toBe(0);
    expect(twice.stdout).toContain('Provisioning srv-1 is already TORN_DOWN');

    const list = await byoc(['list', '--api', api]);
    expect(list.stdout).toMatch(/^srv-1 +TORN_DOWN +us-west-2 +demo/m);
  }, 120_000);

  it('answers the refusals and unknowns of the service in local mode\'s words and exit codes', async () => {
    const api = serving.api.url;
    const missing = await byoc(['status', 'never-made', '--api', api]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No provisioning never-made is known to the API at ${api}.`);
    const bad = await byoc(['provision', '--api', api, '--request', requestFile({ projectName: 'demo', region: 'mars-1' }), '--id', 'srv-bad']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('- region: "mars-1" is not supported (V1)');
    const local = await byoc(['provision', '--api', api, '--profile', 'chaos']);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('--profile is for the local stack, not for a deployed API');
  }, 30_000);

  it('refuses unsigned and wrongly signed requests with 403 problems, as IAM auth does; signed ones pass', async () => {
    const url = `${serving.api.url}/provisionings`;
    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('content-type')).toBe('application/problem+json');
    expect(await unsigned.json()).toMatchObject({ status: 403, title: 'Forbidden', detail: expect.stringMatching(/^Missing Authentication Token/) });

    const wrong = await signedFetch(url, { secret: 'guessed' });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { detail: string }).detail).toContain('signature we calculated does not match');

    const good = await signedFetch(url);
    expect(good.status).toBe(200);
    expect(await good.json()).toHaveProperty('provisionings');

    // The CLI signing with another secret is refused too, and says what to check.
    const secret = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-local-secret';
    try {
      const refused = await byoc(['status', 'srv-1', '--api', serving.api.url]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('refused the request (403)');
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = secret;
    }
  });

  it('answers an unknown route 404 and a wrong method 405 with Allow, both problems, before checking the signature', async () => {
    const unknown = await fetch(`${serving.api.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect(await unknown.json()).toMatchObject({ type: '/problems/not-found', status: 404, detail: expect.stringContaining('No route for GET /nope') });

    const wrongMethod = await fetch(`${serving.api.url}/provisionings/p-1`, { method: 'PUT' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, DELETE');
    expect(await wrongMethod.json()).toMatchObject({ type: '/problems/method-not-allowed', status: 405 });
  });

  it('--no-auth accepts unsigned requests, with the handlers\' own problems for bad bodies', async () => {
    const open = await startApiServer({ port: 0 });
    try {
      const list = await fetch(`${open.url}/provisionings`);
      expect(list.status).toBe(200);
      const notJson = await fetch(`${open.url}/validate`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
      expect(notJson.status).toBe(415);
      expect(notJson.headers.get('content-type')).toBe('application/problem+json');
      const big = await fetch(`${open.url}/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) });
      expect(big.status).toBe(413);
      const invalid = await fetch(`${open.url}/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ projectName: 'demo', region: 'mars-1' }) });
      expect(invalid.status).toBe(400);
      expect(((await invalid.json()) as { errors: unknown[] }).errors).toContainEqual({ field: 'region', rule: expect.stringContaining('is not supported (V1)') });
    } finally {
      await open.close();
    }
  });
});

describe('byoc serve as a process', () => {
  it('prints its URL, credentials and a curl example, and Ctrl-C stops the server and moto, exit 0', async () => {
    const child = spawn(process.execPath, [join(root, 'bin', 'byoc.js'), 'serve', '--port', '0', '--profile', 'instant'], {
      cwd: root,
      env: { ...process.env, BYOC_STATE_DIR: mkdtempSync(join(tmpdir(), 'byoc-serve-proc-')), AWS_ENDPOINT_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      for (let i = 0; i < 300 && !out.includes('Press Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(err).toBe('');
      const api = /the provisioning API on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
      const moto = /AWS endpoint: (http:\/\/127\.0\.0\.1:\d+) \(embedded moto\)/.exec(out)![1];
      expect(out).toContain('AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing');
      expect(out).toContain(`curl --aws-sigv4 "aws:amz:us-west-2:execute-api" --user "testing:testing" -H 'content-type: application/json' -d @examples/request.json ${api}/provisionings`);
      expect((await fetch(`${api}/provisionings`)).status).toBe(403);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toContain('Stopped.');
      await expect(fetch(`${api}/provisionings`)).rejects.toThrow();
      await expect(fetch(`${moto}/moto-api/data.json`)).rejects.toThrow();
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});
