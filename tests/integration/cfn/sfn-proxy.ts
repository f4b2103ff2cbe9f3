import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fault: fail calls of `operation` (optionally only for one execution ARN) `times` times, as AWS does. */
export interface SfnFault {
  operation: string;
  executionArn?: string;
  times: number;
  /** AWS's error type and HTTP status (default: throttling, 400). */
  type?: string;
  status?: number;
  /** Armed only once a call of this operation (e.g. StartExecution) has gone through. */
  after?: string;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A Step Functions endpoint between the custom resource and the local Step Functions API that fails chosen calls
 * the way AWS does (`ThrottlingException`, 5xx): a throttled DescribeExecution after StartExecution, for instance.
 * Everything else passes through unchanged.
 */
export class FaultySfnProxy {
  faults: SfnFault[] = [];
  /** Calls failed so far, by operation. */
  failed: Record<string, number> = {};
  private server?: Server;
  endpoint = '';

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
        let executionArn: string | undefined;
        try {
          executionArn = (JSON.parse(body.toString('utf8') || '{}') as { executionArn?: string }).executionArn;
        } catch {
          executionArn = undefined;
        }
        const fault = this.faults.find((f) => f.times > 0 && !f.after && f.operation === operation && (!f.executionArn || f.executionArn === executionArn));
        if (fault) {
          fault.times--;
          this.failed[operation] = (this.failed[operation] ?? 0) + 1;
          const type = fault.type ?? 'ThrottlingException';
          res.writeHead(fault.status ?? 400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type }).end(JSON.stringify({ __type: type, message: 'Rate exceeded' }));
          return;
        }
        const url = new URL(req.url ?? '/', this.target);
        const upstream = httpRequest(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', (error) => res.writeHead(502).end(String(error)));
        for (const f of this.faults) if (f.after === operation) delete f.after;
        upstream.end(body);
      })();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
