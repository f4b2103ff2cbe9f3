import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';

/**
 * Where a step acts: a region, and optionally a customer role to assume (cross-account, with an external ID).
 * Without `roleArn` the clients use the function's own credentials.
 */
export interface AwsTarget {
  region: string;
  roleArn?: string;
  externalId?: string;
  /** The provisioning the calls are for: it names the assumed role's session (CloudTrail in the customer account). */
  provisioningId?: string;
}

/** Anything an SDK v3 client is: we only touch its middleware stack. */
type AnyClient = DynamoDBClient | EC2Client | IAMClient | Route53Client | S3Client | SFNClient | STSClient | EKSClient | ElasticLoadBalancingV2Client;

/**
 * Hooks run on every client this factory builds. Only the local stack and the tests register one (the realism
 * layer installs its middleware this way); the deployed Lambdas never do, so they talk to AWS untouched.
 */
type ClientCustomizer = (client: AnyClient, service: ServiceName, target: AwsTarget) => void;
const customizers: ClientCustomizer[] = [];

export type ServiceName = 'ec2' | 'iam' | 'route53' | 's3' | 'sts' | 'sfn' | 'dynamodb' | 'eks' | 'elbv2' | 'servicequotas';

/** Register a hook that every client built from now on goes through. Returns a function that removes it. */
export function registerClientCustomizer(customizer: ClientCustomizer): () => void {
  customizers.push(customizer);
  clearClientCache();
  return () => {
    const i = customizers.indexOf(customizer);
    if (i >= 0) customizers.splice(i, 1);
    clearClientCache();
  };
}

const cache = new Map<string, AnyClient>();

/** Forget every cached client (tests do this when they point the SDK at a new endpoint). */
export function clearClientCache(): void {
  for (const client of cache.values()) client.destroy();
  cache.clear();
}

/** The start of every role session name we use (alone when no provisioning is known). */
export const ROLE_SESSION_NAME = 'byoc-provisioner';

/**
 * The assumed role's session name: `byoc-<provisioningId>`, so CloudTrail in the customer's account says which
 * provisioning made each call. AWS accepts 2-64 characters of `[\w+=,.@-]`; provisioning IDs are
 * `[A-Za-z0-9_-]` and at most 64, so a long one is cut (its start is kept).
 * @example roleSessionName('demo-001') // 'byoc-demo-001'
 */
export function roleSessionName(provisioningId?: string): string {
  if (!provisioningId) return ROLE_SESSION_NAME;
  return `byoc-${provisioningId.replace(/[^\w+=,.@-]/g, '-')}`.slice(0, 64);
}

/**
 * STS is called in the provisioner's own region (the Lambda's `AWS_REGION`), whatever region the step acts in:
 * regional STS endpoints answer for every role, and the provisioner's region is one that is surely enabled
 * (an opt-in region of the customer's may not be, for the vendor's account).
 */
const stsRegion = (target: AwsTarget): string => process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || target.region;

function credentialsFor(target: AwsTarget) {
  if (!target.roleArn) return undefined; // default provider chain: the Lambda's own role
  return fromTemporaryCredentials({
    params: {
      RoleArn: target.roleArn,
      ExternalId: target.externalId,
      RoleSessionName: roleSessionName(target.provisioningId),
      DurationSeconds: 3600,
    },
    clientConfig: { region: stsRegion(target) },
  });
}

/**
 * SDK defaults we want everywhere: standard retry mode (jittered backoff for throttling and 5xx) with a few
 * attempts; the state machine retries again, with longer backoff, on top of that.
 * `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` are honoured by the SDK itself (LocalStack, moto).
 */
const COMMON = { maxAttempts: 3, retryMode: 'standard' } as const;

function build<C extends AnyClient>(service: ServiceName, target: AwsTarget, make: (config: object) => C): C {
  return cached(service, target, make, () => credentialsFor(target));
}

/**
 * A client from the cache, or a new one with these credentials. The own-account clients (registry, Step Functions)
 * come straight from here: they never reference the assume-role provider, so a function that uses only them (the
 * API routes) does not ship @aws-sdk/credential-providers (tests/integration/bundles.test.ts; decision 25).
 */
function cached<C extends AnyClient>(service: ServiceName, target: AwsTarget, make: (config: object) => C, credentials: () => unknown): C {
  const key = `${service}|${target.region}|${target.roleArn ?? ''}|${target.externalId ?? ''}|${target.roleArn ? (target.provisioningId ?? '') : ''}`;
  const found = cache.get(key);
  if (found) return found as C;
  const client = make({ ...COMMON, region: target.region, credentials: credentials() });
  for (const customize of customizers) customize(client, service, target);
  cache.set(key, client);
  return client;
}

/** EC2 client for the target (cached per region and role). */
export const ec2Client = (target: AwsTarget): EC2Client => build('ec2', target, (c) => new EC2Client(c));
/** IAM client for the target. IAM is global; the SDK routes any region of a partition to its endpoint. */
export const iamClient = (target: AwsTarget): IAMClient => build('iam', target, (c) => new IAMClient(c));
/** Route 53 client for the target (global service, like IAM). */
export const route53Client = (target: AwsTarget): Route53Client => build('route53', target, (c) => new Route53Client(c));
/**
 * S3 client for the target (S1). Path-style addressing: bucket names may contain dots (virtual-hosted style then
 * breaks TLS), and moto/LocalStack endpoints need it; AWS still serves path-style requests for existing clients.
 */
export const s3Client = (target: AwsTarget): S3Client => build('s3', target, (c) => new S3Client({ ...c, forcePathStyle: true }));
/** EKS client for the target: CheckInUse reads which clusters use our VPC or our roles (read-only). */
export const eksClient = (target: AwsTarget): EKSClient => build('eks', target, (c) => new EKSClient(c));
/** Elastic Load Balancing v2 client for the target: CheckInUse reads the load balancers in our VPC (read-only). */
export const elbv2Client = (target: AwsTarget): ElasticLoadBalancingV2Client => build('elbv2', target, (c) => new ElasticLoadBalancingV2Client(c));
/** Service Quotas client for the target (Preflight reads the account's limits; read-only). Regional, as the quotas are. */
export const serviceQuotasClient = (target: AwsTarget): ServiceQuotasClient =>
  // Kept out of AnyClient: one more member makes the union's middlewareStack.add uncallable for the customizers'
  // callers (its SDK release types it slightly differently); the customizers only touch the middleware stack.
  build('servicequotas', target, (c) => new ServiceQuotasClient(c) as unknown as EC2Client) as unknown as ServiceQuotasClient;
/** STS client for the target. */
export const stsClient = (target: AwsTarget): STSClient => build('sts', target, (c) => new STSClient(c));
/** DynamoDB client for the registry: always our own account (the table lives there), never an assumed role. */
export const dynamodbClient = (region: string): DynamoDBClient => cached('dynamodb', { region }, (c) => new DynamoDBClient(c), () => undefined);
/** Step Functions client: always our own account (the state machines live there), never an assumed role. */
export const sfnClient = (region: string): SFNClient => cached('sfn', { region }, (c) => new SFNClient(c), () => undefined);
