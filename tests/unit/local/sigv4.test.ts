import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { verifySigV4, type IncomingSigned } from '../../../local/serve/sigv4';

/**
 * `byoc serve` checks SigV4 as API Gateway's IAM auth does (issue 12), so a control plane's signing code is
 * exercised locally: these sign requests the way a client (the AWS SDK's signer) does and check the verdicts.
 */
const local = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const now = new Date('2026-03-01T12:00:00Z');

/** Sign a request as a client would, and return it as the server receives it. */
async function signed(options: { method?: string; path?: string; query?: Record<string, string>; body?: string; secret?: string; at?: Date; service?: string; region?: string; checksumHeader?: boolean } = {}): Promise<IncomingSigned> {
  const method = options.method ?? 'POST';
  const body = options.body ?? (method === 'POST' ? JSON.stringify({ projectName: 'demo' }) : undefined);
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region ?? 'us-west-2',
    credentials: { accessKeyId: 'testing', secretAccessKey: options.secret ?? 'testing' },
    sha256: Sha256,
    // The SDK sends x-amz-content-sha256; curl --aws-sigv4 does not: both are checked.
    applyChecksum: options.checksumHeader ?? true,
  });
  const headers: Record<string, string> = { host: '127.0.0.1:3000', ...(body ? { 'content-type': 'application/json' } : {}) };
  const request = await signer.sign(new HttpRequest({ method, protocol: 'http:', hostname: '127.0.0.1', port: 3000, path: options.path ?? '/provisionings', query: options.query ?? {}, headers, body }), {
    signingDate: options.at ?? now,
  });
  const search = new URLSearchParams(options.query ?? {}).toString();
  const lower = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method, url: `${options.path ?? '/provisionings'}${search ? `?${search}` : ''}`, headers: lower, body: Buffer.from(body ?? '') };
}

describe('SigV4 verification of byoc serve (service execute-api)', () => {
  it('accepts a request signed with the local credentials, with a body or a query, in any region', async () => {
    expect(await verifySigV4(await signed(), local, now)).toEqual({ ok: true, accessKeyId: 'testing', region: 'us-west-2' });
    expect(await verifySigV4(await signed({ method: 'DELETE', path: '/provisionings/p-1', query: { force: 'true' } }), local, now)).toMatchObject({ ok: true });
    expect(await verifySigV4(await signed({ method: 'GET', region: 'eu-central-1' }), local, now)).toMatchObject({ ok: true, region: 'eu-central-1' });
  });

  it('refuses a body changed after signing, with or without an x-amz-content-sha256 header', async () => {
    const evil = Buffer.from(JSON.stringify({ projectName: 'evil' }));
    const sdk = await signed();
    expect(await verifySigV4({ ...sdk, body: evil }, local, now)).toEqual({ ok: false, message: expect.stringContaining('does not match the body') });
    const curl = await signed({ checksumHeader: false });
    expect(curl.headers['x-amz-content-sha256']).toBeUndefined();
    expect(await verifySigV4(curl, local, now)).toMatchObject({ ok: true });
    expect(await verifySigV4({ ...curl, body: evil }, local, now)).toEqual({ ok: false, message: expect.stringContaining('signature we calculated does not match') });
  });

  it('refuses a query or path changed after signing', async () => {
    const request = await signed({ method: 'DELETE', path: '/provisionings/p-1', query: { force: 'false' } });
    expect(await verifySigV4({ ...request, url: '/provisionings/p-1?force=true' }, local, now)).toMatchObject({ ok: false });
    expect(await verifySigV4({ ...request, url: '/provisionings/p-2?force=false' }, local, now)).toMatchObject({ ok: false });
  });

  it('refuses a signature made with another secret', async () => {
    expect(await verifySigV4(await signed({ secret: 'not-the-secret' }), local, now)).toEqual({ ok: false, message: expect.stringContaining('Check your AWS Secret Access Key') });
  });

  it('refuses a request signed more than 15 minutes before or after the server clock, and accepts one 14 minutes off', async () => {
    const minutes = (m: number) => new Date(now.getTime() + m * 60_000);
    expect(await verifySigV4(await signed({ at: minutes(-16) }), local, now)).toEqual({ ok: false, message: expect.stringMatching(/^Signature expired: 20260301T114400Z is now earlier than 20260301T114500Z/) });
    expect(await verifySigV4(await signed({ at: minutes(16) }), local, now)).toEqual({ ok: false, message: expect.stringMatching(/^Signature not yet current/) });
    expect(await verifySigV4(await signed({ at: minutes(-14) }), local, now)).toMatchObject({ ok: true });
  });

  it('refuses a missing signature, another service, and an unknown access key', async () => {
    const request = await signed();
    const { authorization: _a, ...unsigned } = request.headers;
    expect(await verifySigV4({ ...request, headers: unsigned }, local, now)).toEqual({ ok: false, message: expect.stringMatching(/^Missing Authentication Token/) });
    expect(await verifySigV4(await signed({ service: 's3' }), local, now)).toEqual({ ok: false, message: "Credential should be scoped to correct service: 'execute-api'" });
    expect(await verifySigV4(await signed(), { ...local, accessKeyId: 'AKIAOTHER' }, now)).toEqual({ ok: false, message: 'The security token included in the request is invalid' });
  });
});
