import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { logger } from '../lambda';
import { MAX_RESPONSE_BYTES } from './attributes';

/** What we answer CloudFormation. */
export interface CfnResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

/** The presigned URL is a credential: log it without its query string. */
export const redactUrl = (url: string): string => url.replace(/\?.*$/, '?***');

type ResponseTarget = Pick<CloudFormationCustomResourceEvent, 'ResponseURL' | 'StackId' | 'RequestId' | 'LogicalResourceId'>;

/**
 * The response document, within CloudFormation's 4,096-byte limit: the reason is shortened when it does not fit
 * (it is free text; the log group it names has the rest). Data is never cut: a SUCCESS whose attributes do not fit
 * becomes a FAILED that says so, because silently dropping an attribute would break a `!GetAtt` later with a
 * misleading error. (The attributes are sized to fit with every field at its longest; a test keeps it so.)
 */
export function responseBody(event: ResponseTarget, response: CfnResponse): string {
  const build = (r: CfnResponse, reason: string) =>
    JSON.stringify({
      Status: r.Status,
      Reason: reason,
      PhysicalResourceId: r.PhysicalResourceId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      ...(r.Data ? { Data: r.Data } : {}),
    });
  let reason = response.Reason ?? response.Status;
  let body = build(response, reason);
  while (Buffer.byteLength(body) > MAX_RESPONSE_BYTES && reason.length > 80) {
    reason = `${reason.slice(0, Math.max(60, reason.length - (Buffer.byteLength(body) - MAX_RESPONSE_BYTES) - 16))} [shortened]`;
    body = build(response, reason);
  }
  if (Buffer.byteLength(body) > MAX_RESPONSE_BYTES && response.Data) {
    return responseBody(event, {
      Status: 'FAILED',
      PhysicalResourceId: response.PhysicalResourceId,
      Reason: `The attributes (${Buffer.byteLength(JSON.stringify(response.Data))} bytes) do not fit in CloudFormation's ${MAX_RESPONSE_BYTES}-byte response`,
    });
  }
  return body;
}

export interface SendOptions {
  /** PUT attempts in all (default 6). */
  attempts?: number;
  /** Backoff base: attempt n waits a random time up to `baseDelayMs * 2^n` (full jitter; default 500 ms). */
  baseDelayMs?: number;
  /** Per-attempt timeout (default 20 s): a PUT that hangs must not eat the function's time. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * PUT the answer to CloudFormation's presigned URL, as the provider framework does: `content-type: ''` (the URL
 * was signed without one), retried with full jitter when S3 blips (5xx, a dropped connection, a timeout).
 * The same body every attempt, so however many attempts it takes, CloudFormation reads one answer. Throws when
 * every attempt failed: the function then fails, and Lambda's retry of the asynchronous event runs it again
 * (everything before the answer is idempotent).
 */
export async function sendCfnResponse(event: ResponseTarget, response: CfnResponse, options: SendOptions = {}): Promise<void> {
  const body = responseBody(event, response);
  const attempts = options.attempts ?? 6;
  const doFetch = options.fetchImpl ?? fetch;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const url = redactUrl(event.ResponseURL);
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await doFetch(event.ResponseURL, {
        method: 'PUT',
        body,
        headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
      });
      if (res.ok) {
        logger.info('answered CloudFormation', { url, status: response.Status, physicalResourceId: response.PhysicalResourceId, attempt });
        return;
      }
      throw new Error(`HTTP ${res.status}`);
    } catch (error) {
      logger.warn('could not answer CloudFormation', { url, attempt, error: (error as Error).message });
      if (attempt >= attempts) throw new Error(`could not answer CloudFormation at ${url} after ${attempts} attempts: ${(error as Error).message}`, { cause: error });
      await sleep(random() * (options.baseDelayMs ?? 500) * 2 ** attempt);
    }
  }
}
