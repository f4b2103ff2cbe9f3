import { randomUUID } from 'node:crypto';

/** The services the realism layer acts on. */
export type RealismService = 'ec2' | 'iam' | 'route53' | 's3' | 'sts';

/** An error as AWS answers it: the code, a message, the HTTP status. */
export interface AwsErrorAnswer {
  code: string;
  message: string;
  status: number;
}

/** The raw HTTP answer the SDK's deserializer turns into its own exception (a plain object is all it needs). */
export interface RawHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** S3 operations sent as HTTP HEAD: S3 answers their errors with the status and headers only, no body. */
const isHeadOperation = (operation: string | undefined): boolean => operation !== undefined && /^Head/.test(operation);

/**
 * The error as the service puts it on the wire (EC2's query XML, IAM/STS query XML, Route 53 REST XML, S3's own
 * REST XML: a bare `<Error>` with `RequestId` and `HostId`, and for HEAD requests no body at all).
 * We answer with bytes rather than building exceptions ourselves so that the SDK's own deserializer makes the
 * error: the same class (`NoSuchEntityException`, `HostedZoneAlreadyExists`, `NoSuchBucket`), `$fault`,
 * `$metadata` and `$retryable` as a real AWS answer, and the SDK's retry strategy judges it exactly as it would on AWS.
 */
export function errorResponse(service: RealismService, answer: AwsErrorAnswer, operation?: string): RawHttpResponse {
  const requestId = randomUUID();
  const code = escapeXml(answer.code);
  const message = escapeXml(answer.message);
  const type = answer.status >= 500 ? 'Receiver' : 'Sender';
  if (service === 's3') {
    // S3's request IDs: x-amz-request-id (16 hex) and x-amz-id-2 (the "host ID").
    const s3RequestId = requestId.replace(/-/g, '').slice(0, 16).toUpperCase();
    const hostId = Buffer.from(randomUUID()).toString('base64');
    const headers = { 'x-amz-request-id': s3RequestId, 'x-amz-id-2': hostId };
    if (isHeadOperation(operation)) return { statusCode: answer.status, headers, body: new Uint8Array(0) };
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${s3RequestId}</RequestId><HostId>${hostId}</HostId></Error>`;
    return { statusCode: answer.status, headers: { ...headers, 'content-type': 'application/xml' }, body: Buffer.from(xml) };
  }
  let xml: string;
  if (service === 'ec2') {
    xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
  } else {
    const ns = {
      iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
      sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
      route53: 'https://route53.amazonaws.com/doc/2013-04-01/',
    }[service];
    xml = `<?xml version="1.0"?>\n<ErrorResponse xmlns="${ns}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  }
  return {
    statusCode: answer.status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: Buffer.from(xml),
  };
}

/**
 * Throttling as each service answers it: EC2 `RequestLimitExceeded` (HTTP 503), S3 `SlowDown` (HTTP 503), the
 * others `Throttling` (HTTP 400).
 */
export function throttlingAnswer(service: RealismService): AwsErrorAnswer {
  if (service === 'ec2') return { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 };
  if (service === 's3') return { code: 'SlowDown', message: 'Please reduce your request rate.', status: 503 };
  return { code: 'Throttling', message: 'Rate exceeded', status: 400 };
}

/** A server-side failure: HTTP 500 or 503 with the service's own code. */
export function serverErrorAnswer(service: RealismService, status: 500 | 503): AwsErrorAnswer {
  if (service === 'ec2') {
    return status === 500
      ? { code: 'InternalError', message: 'An internal error has occurred.', status }
      : { code: 'Unavailable', message: 'The server is overloaded and cannot handle the request.', status };
  }
  if (service === 's3') {
    return status === 500
      ? { code: 'InternalError', message: 'We encountered an internal error. Please try again.', status }
      : { code: 'ServiceUnavailable', message: 'Service is unable to handle request.', status };
  }
  if (service === 'iam' && status === 500) return { code: 'ServiceFailure', message: 'The request processing has failed because of an unknown error.', status };
  return status === 500
    ? { code: 'InternalFailure', message: 'The request processing has failed because of an unknown error, exception or failure.', status }
    : { code: 'ServiceUnavailable', message: 'Service is unable to handle request.', status };
}

/** A client error no retry heals: the caller may not do this. */
export function accessDeniedAnswer(service: RealismService, operation: string): AwsErrorAnswer {
  if (service === 'ec2') return { code: 'UnauthorizedOperation', message: `You are not authorized to perform this operation (${operation}).`, status: 403 };
  if (service === 's3') return { code: 'AccessDenied', message: 'Access Denied', status: 403 };
  return { code: 'AccessDenied', message: `User is not authorized to perform: ${operation}`, status: 403 };
}

/** EC2's "does not exist" for an ID, by its prefix; `operation` picks the NAT gateway code (Describe vs. a route target). */
export function ec2NotFoundAnswer(id: string, operation: string): AwsErrorAnswer | undefined {
  const prefix = id.slice(0, id.lastIndexOf('-'));
  const known: Record<string, [string, string]> = {
    vpc: ['InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`],
    subnet: ['InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`],
    sg: ['InvalidGroup.NotFound', `The security group '${id}' does not exist`],
    igw: ['InvalidInternetGatewayID.NotFound', `The internetGateway ID '${id}' does not exist`],
    rtb: ['InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`],
    vpce: ['InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${id}' does not exist`],
    eipalloc: ['InvalidAllocationID.NotFound', `The allocation ID '${id}' does not exist`],
    nat: operation === 'DescribeNatGateways' ? ['NatGatewayNotFound', `The Nat Gateway ${id} was not found`] : ['InvalidNatGatewayID.NotFound', `The natGateway ID '${id}' does not exist`],
  };
  const found = known[prefix];
  return found ? { code: found[0], message: found[1], status: 400 } : undefined;
}

/** A request that timed out before it reached AWS, as the SDK's Node HTTP handler reports it. */
export function connectionTimeoutError(): Error {
  return Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

/**
 * AWS acted but the answer never arrived: a socket reset after the request was processed, as Node reports it.
 * `$metadata` is there as the SDK's retry middleware would leave it.
 */
export function lostResponseError(attempts: number): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: { attempts, totalRetryDelay: 0 } });
}
