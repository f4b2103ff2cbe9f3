import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { logger } from '../lambda';

/** What we answer CloudFormation. */
export interface CfnResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

/** The presigned URL is a credential: log it without its query string. */
export const redactUrl = (url: string): string => url.replace(/\?.*$/, '?***');

/**
 * PUT the answer to CloudFormation's presigned URL, with jittered retries (S3 can blip), as the provider
 * framework does: `content-type: ''` (the URL was signed without one), reason capped to what fits in 4 KB.
 */
export async function sendCfnResponse(
  event: Pick<CloudFormationCustomResourceEvent, 'ResponseURL' | 'StackId' | 'RequestId' | 'LogicalResourceId'>,
  response: CfnResponse,
  options: { attempts?: number; baseDelayMs?: number; fetchImpl?: typeof fetch } = {},
): Promise<void> {
  const body = JSON.stringify({
    Status: response.Status,
    Reason: (response.Reason ?? response.Status).slice(0, 3500),
    PhysicalResourceId: response.PhysicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: response.Data,
  });
  const attempts = options.attempts ?? 5;
  const doFetch = options.fetchImpl ?? fetch;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await doFetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) } });
      if (res.ok) {
        logger.info('answered CloudFormation', { url: redactUrl(event.ResponseURL), status: response.Status });
        return;
      }
      throw new Error(`HTTP ${res.status}`);
    } catch (error) {
      logger.warn('could not answer CloudFormation', { url: redactUrl(event.ResponseURL), attempt, error: (error as Error).message });
      if (attempt >= attempts) throw error;
      const delay = Math.random() * (options.baseDelayMs ?? 500) * 2 ** attempt;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
