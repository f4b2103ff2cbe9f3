import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** The credentials requests must be signed with (the local stack's). */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A request as it came in: raw path with its query, headers with lower-case names, the body's bytes. */
export interface IncomingSigned {
  method: string;
  /** The request target as sent, e.g. `/provisionings/p-1?force=true`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type Verdict = { ok: true; accessKeyId: string; region: string } | { ok: false; message: string };

/** How far a request's `x-amz-date` may be from now, either way (as AWS allows). */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;
const SERVICE = 'execute-api';

const header = (headers: IncomingSigned['headers'], name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** `20260101T000000Z` -> Date, or undefined. */
function parseAmzDate(text: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const amzDate = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/**
 * Check a request's AWS Signature Version 4 (service `execute-api`, `Authorization` header) against the given
 * credentials, as API Gateway's IAM authorization does before a route runs: the key must be the expected one, the
 * scope name `execute-api`, the `x-amz-date` within 15 minutes of now, the body the one that was signed, and the
 * signature the one these credentials make for exactly the signed headers. Any region is accepted (the local API
 * has none of its own). The messages are API Gateway's where it has one.
 * @example verifySigV4({ method: 'GET', url: '/provisionings', headers: req.headers, body }, { accessKeyId: 'testing', secretAccessKey: 'testing' })
 */
export async function verifySigV4(request: IncomingSigned, credentials: Credentials, now: Date = new Date()): Promise<Verdict> {
  const authorization = header(request.headers, 'authorization');
  if (!authorization) {
    return { ok: false, message: 'Missing Authentication Token: sign the request with AWS Signature Version 4 (service execute-api) in the Authorization header' };
  }
  const fields = /^AWS4-HMAC-SHA256\s+(.*)$/.exec(authorization.trim());
  const parts = new Map((fields?.[1] ?? '').split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const credential = parts.get('Credential');
  const signedHeaders = parts.get('SignedHeaders');
  const signature = parts.get('Signature');
  if (!fields || !credential || !signedHeaders || !signature) {
    return { ok: false, message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters (AWS4-HMAC-SHA256)" };
  }
  const [accessKeyId, scopeDate, region, service, terminator] = credential.split('/');
  if (terminator !== 'aws4_request' || !region || !scopeDate) return { ok: false, message: `Credential should be <key>/<yyyymmdd>/<region>/${SERVICE}/aws4_request; got '${credential}'` };
  if (service !== SERVICE) return { ok: false, message: `Credential should be scoped to correct service: '${SERVICE}'` };
  if (accessKeyId !== credentials.accessKeyId) return { ok: false, message: 'The security token included in the request is invalid' };

  const signed = signedHeaders.split(';');
  const dateText = header(request.headers, 'x-amz-date');
  const signingDate = parseAmzDate(dateText);
  if (!signingDate || !signed.includes('x-amz-date')) return { ok: false, message: "Authorization header requires a signed 'X-Amz-Date' header (yyyyMMdd'T'HHmmss'Z')" };
  if (!signed.includes('host')) return { ok: false, message: "The 'Host' header must be signed" };
  if (dateText!.slice(0, 8) !== scopeDate) return { ok: false, message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${dateText!.slice(0, 8)}'` };
  const skew = signingDate.getTime() - now.getTime();
  if (skew < -MAX_CLOCK_SKEW_MS) {
    return { ok: false, message: `Signature expired: ${dateText} is now earlier than ${amzDate(new Date(now.getTime() - MAX_CLOCK_SKEW_MS))} (${amzDate(now)} - 15 min.)` };
  }
  if (skew > MAX_CLOCK_SKEW_MS) {
    return { ok: false, message: `Signature not yet current: ${dateText} is still later than ${amzDate(new Date(now.getTime() + MAX_CLOCK_SKEW_MS))} (${amzDate(now)} + 15 min.)` };
  }
  const token = header(request.headers, 'x-amz-security-token');
  if ((credentials.sessionToken ?? undefined) !== (token ?? undefined)) return { ok: false, message: 'The security token included in the request is invalid' };
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  const claimed = header(request.headers, 'x-amz-content-sha256');
  if (claimed !== undefined && claimed !== bodyHash) return { ok: false, message: 'The x-amz-content-sha256 header does not match the body: the body was changed after it was signed' };

  // Sign the same method, path, query, signed headers and body with the expected secret, and compare.
  const target = new URL(request.url, 'http://local');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of target.searchParams) {
    const before = query[k];
    query[k] = before === undefined ? v : ([] as string[]).concat(before, v);
  }
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = header(request.headers, name);
    if (value === undefined) return { ok: false, message: `The signed header '${name}' is missing from the request` };
    headers[name] = value;
  }
  const rawPath = request.url.split('?')[0];
  const signer = new SignatureV4({ service: SERVICE, region, credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }, sha256: Sha256, applyChecksum: false });
  const expected = await signer.sign(new HttpRequest({ method: request.method, protocol: 'http:', hostname: 'local', path: rawPath, query, headers, body: request.body }), {
    signingDate,
    signableHeaders: new Set(signed),
  });
  const ours = /Signature=([0-9a-f]+)/.exec(String(expected.headers.authorization))?.[1] ?? '';
  const theirs = Buffer.from(signature);
  if (ours.length !== signature.length || !timingSafeEqual(Buffer.from(ours), theirs)) {
    return {
      ok: false,
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { ok: true, accessKeyId, region };
}
