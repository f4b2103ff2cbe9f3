import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { DEFAULT_VPC_CIDR, UPDATE_EXECUTION_MARKER } from './constants';
import { InvalidInputError, type FieldProblem } from './errors';
import { oidcIssuerFromUrl } from './iam/trust-policy';
import { parseCidr, vpcCidrProblem } from './network/cidr';
import { regionInfo, supportedRegions } from './regions';

/**
 * The provisioning request: what the API, the custom resource, the CLI and a hand-started console execution
 * all send. One JSON Schema, shared by `ValidateInput` (the state machine validates its own input) and the
 * API (docs/openapi.yaml embeds the same schema; a test keeps them equal).
 */
export interface ProvisioningRequest {
  /** Becomes the execution name and the value of the provisioning-ID tag. Defaults to the execution name. */
  provisioningId?: string;
  /** V8: base of every Name tag. */
  projectName: string;
  /** V1: a supported region. */
  region: string;
  /** Cross-account: the customer role to assume. */
  targetAccount?: { roleArn: string; externalId: string };
  network?: {
    /** V2: an IPv4 /16 in a private range. Default 10.0.0.0/16. */
    vpcCidr?: string;
    /** V3: three distinct availability zones; default: the first three available ones of the region. */
    availabilityZones?: string[];
    /**
     * V7: who may reach the security group on 443, and where it may send 443 (default 0.0.0.0/0). By default the
     * group also allows all traffic within the VPC (the VPC CIDR and the group itself, both ways), as the vendor's
     * Terraform does, because the cluster's nodes use it; `strict: true` keeps it to 443 only.
     */
    securityGroup?: { ingressCidrs?: string[]; egressCidrs?: string[]; strict?: boolean };
    /** V9: the interface endpoint to the region's Zilliz endpoint service. */
    vpcEndpoint?: { enabled?: boolean };
    /** V10: the private hosted zone with the regional alias record (requires V9). */
    privateDns?: { enabled?: boolean };
    /** S1: a gateway endpoint for S3 on the private route table (object traffic skips the NAT gateway). Default on. */
    s3GatewayEndpoint?: { enabled?: boolean };
    /**
     * Address ranges the VPC must not overlap (the customer's own networks it may be peered or connected with later).
     * Checked by the preflight before anything is made; it changes nothing that is built.
     */
    avoidCidrs?: string[];
  };
  /** R1-R5: the EKS role. */
  iamRole?: {
    /** Default `zilliz-byoc-<projectName>-eks-role`; must start with `zilliz-byoc` (R4). */
    name?: string;
    /** Only `/` (R4: the vendor's permissions reach `role/zilliz-byoc*` only). */
    path?: string;
    permissionsBoundaryArn?: string;
    /** R1, S2: the EKS cluster's OIDC issuer URL, when the cluster already exists (sets the storage role's trust too). */
    oidcIssuerUrl?: string;
  };
  /** S1: the bucket. Default: a new bucket named `zilliz-byoc-<projectName>-milvus-<hash>` (see {@link defaultBucketName}). */
  bucket?: {
    /** A bucket name; with `existing: true`, the customer's own bucket in the provisioning's region. */
    name?: string;
    /** True: use the existing bucket `name` (checked, never modified or deleted). */
    existing?: boolean;
    /** SSE-KMS with this key (and an S3 bucket key) instead of SSE-S3; the storage role may use the key. */
    kmsKeyArn?: string;
  };
  /** S2: the storage role. */
  storageRole?: { name?: string; permissionsBoundaryArn?: string };
  /** X1: the cross-account role the vendor's control plane assumes. */
  crossAccountRole: {
    /** The external ID the vendor's console shows for this project (e.g. `cid-0123abcd...`). */
    externalId: string;
    name?: string;
    permissionsBoundaryArn?: string;
  };
  /** Extra tags for every resource (V8's tags are always added). */
  tags?: Record<string, string>;
}

const CIDR_V4 = '^(\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}$';

/** R4, S2, X1: a role name the vendor's permissions reach (`role/zilliz-byoc*`), within IAM's 64 characters. */
const ZILLIZ_ROLE_NAME = {
  type: 'string',
  pattern: '^zilliz-byoc[\\w+=,.@-]{0,53}$',
  description: 'an IAM role name starting with "zilliz-byoc" (the vendor\'s cross-account permissions only reach role/zilliz-byoc*), at most 64 of [A-Za-z0-9_+=,.@-]',
} as const;

const BOUNDARY_ARN = { type: 'string', pattern: '^arn:aws(-cn|-us-gov)?:iam::(\\d{12}|aws):policy/[\\w+=,.@/-]+$', description: 'an IAM managed policy ARN' } as const;

/** S1: S3's bucket naming rules (general purpose buckets), the ones a pattern can say. */
const BUCKET_NAME = {
  type: 'string',
  pattern: '^(?!xn--)(?!sthree-)(?!amzn-s3-demo-)(?!.*\\.\\.)(?!.*-s3alias$)(?!.*--ol-s3$)(?!.*--x-s3$)(?!\\d+\\.\\d+\\.\\d+\\.\\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
  description: 'an S3 bucket name: 3-63 lowercase letters, digits, "." or "-", starting and ending with a letter or digit, not an IP address, no ".."',
} as const;

/** JSON Schema (draft 2019-09 subset understood by Ajv's default draft-07 mode) of {@link ProvisioningRequest}. */
export const requestSchema = {
  $id: 'https://byoc-provisioner/schemas/provisioning-request.json',
  title: 'ProvisioningRequest',
  type: 'object',
  additionalProperties: false,
  required: ['projectName', 'region', 'crossAccountRole'],
  properties: {
    provisioningId: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
      description: '1-64 letters, digits, "-" or "_", starting with a letter or digit. Execution name and tag value.',
    },
    projectName: {
      type: 'string',
      pattern: '^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$',
      description: '1-32 lowercase letters, digits or "-" (not at either end). Base of the Name tags (V8).',
    },
    region: { type: 'string', description: 'A supported region (V1).' },
    targetAccount: {
      type: 'object',
      additionalProperties: false,
      required: ['roleArn', 'externalId'],
      properties: {
        roleArn: { type: 'string', pattern: '^arn:aws(-cn|-us-gov)?:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$' },
        externalId: { type: 'string', pattern: '^[\\w+=,.@:/-]{2,1224}$' },
      },
    },
    network: {
      type: 'object',
      additionalProperties: false,
      properties: {
        vpcCidr: { type: 'string', default: DEFAULT_VPC_CIDR },
        availabilityZones: {
          type: 'array',
          items: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-\\d[a-z]$' },
          minItems: 3,
          maxItems: 3,
          uniqueItems: true,
        },
        securityGroup: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ingressCidrs: { type: 'array', items: { type: 'string', pattern: CIDR_V4 }, minItems: 1, maxItems: 50, uniqueItems: true },
            egressCidrs: { type: 'array', items: { type: 'string', pattern: CIDR_V4 }, minItems: 1, maxItems: 50, uniqueItems: true },
            strict: { type: 'boolean', default: false, description: 'true: TCP 443 only; false (default): also all traffic within the VPC' },
          },
        },
        vpcEndpoint: { type: 'object', additionalProperties: false, properties: { enabled: { type: 'boolean', default: false } } },
        privateDns: { type: 'object', additionalProperties: false, properties: { enabled: { type: 'boolean', default: false } } },
        s3GatewayEndpoint: { type: 'object', additionalProperties: false, properties: { enabled: { type: 'boolean', default: true } } },
        avoidCidrs: {
          type: 'array',
          items: { type: 'string', pattern: CIDR_V4, description: 'an IPv4 CIDR block such as 10.0.0.0/16' },
          maxItems: 100,
          uniqueItems: true,
          description: 'IPv4 CIDR blocks the VPC CIDR must not overlap (e.g. your own networks); the preflight checks them before anything is made',
        },
      },
    },
    iamRole: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: ZILLIZ_ROLE_NAME,
        path: { type: 'string', pattern: '^/$', description: '"/" (the vendor\'s permissions reach role/zilliz-byoc* only, so no other path)' },
        permissionsBoundaryArn: BOUNDARY_ARN,
        oidcIssuerUrl: { type: 'string', pattern: '^https://[^\\s/]+(/[^\\s]*)?$', description: 'e.g. https://oidc.eks.us-west-2.amazonaws.com/id/ABC' },
      },
    },
    bucket: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: BUCKET_NAME,
        existing: { type: 'boolean', default: false, description: 'true: use the existing bucket `name` (checked, never changed)' },
        kmsKeyArn: {
          type: 'string',
          pattern: '^arn:aws(-cn|-us-gov)?:kms:[a-z]{2}(-[a-z]+)+-\\d:\\d{12}:key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$',
          description: 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>)',
        },
      },
    },
    storageRole: {
      type: 'object',
      additionalProperties: false,
      properties: { name: ZILLIZ_ROLE_NAME, permissionsBoundaryArn: BOUNDARY_ARN },
    },
    crossAccountRole: {
      type: 'object',
      additionalProperties: false,
      required: ['externalId'],
      properties: {
        externalId: {
          type: 'string',
          pattern: '^[\\w+=,.@:/-]{2,1224}$',
          description: 'the external ID the vendor console shows (2-1224 of [A-Za-z0-9_+=,.@:/-], e.g. cid-0123abcd)',
        },
        name: ZILLIZ_ROLE_NAME,
        permissionsBoundaryArn: BOUNDARY_ARN,
      },
    },
    tags: {
      type: 'object',
      maxProperties: 20,
      propertyNames: { pattern: '^(?!aws:)[\\w .:/=+@-]{1,128}$', description: 'a tag key of 1-128 letters, digits, spaces or _.:/=+-@, not starting with "aws:"' },
      additionalProperties: {
        type: 'string',
        maxLength: 256,
        // IAM (TagRole) and S3 (bucket tagging) accept only these in a tag value; EC2 would take more.
        pattern: '^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]*$',
        description: 'a tag value of at most 256 letters, digits, spaces or _.:/=+-@ (what IAM and S3 accept)',
      },
    },
  },
} as const;

/**
 * The compiled schema, made at the first validation: compiling takes tens of milliseconds, which every function that
 * imports this module (most API routes only read its types and helpers) would otherwise pay at each cold start.
 */
let compiled: ValidateFunction | undefined;
function validateSchema(request: unknown): boolean {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
    addFormats(ajv);
    compiled = ajv.compile(requestSchema);
  }
  return compiled(request);
}

/** Turn Ajv's `/network/vpcCidr` into `network.vpcCidr`, and an error into a rule a person can act on. */
function toProblem(error: ErrorObject): FieldProblem {
  // A JSON pointer: `~1` and `~0` stand for "/" and "~" inside a name (a tag key such as `team/a`).
  const base = error.instancePath
    .split('/')
    .slice(1)
    .map((name) => name.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
  // A field named "" is shown as `""`: an empty field name would name nothing.
  const join = (name: string) => (base ? `${base}.${name || '""'}` : name || '""');
  switch (error.keyword) {
    case 'required':
      return { field: join(String(error.params.missingProperty)), rule: 'is required' };
    case 'additionalProperties':
      return { field: join(String(error.params.additionalProperty)), rule: 'is not a known field' };
    case 'pattern': {
      const key = (error as ErrorObject & { propertyName?: string }).propertyName;
      if (key !== undefined) {
        const rule = (error.parentSchema as { description?: string } | undefined)?.description ?? `must match ${error.params.pattern}`;
        return { field: join(key), rule: `key must be ${rule}` };
      }
      const description = (error.parentSchema as { description?: string } | undefined)?.description;
      return { field: base || '(request)', rule: description ? `must be ${description}` : `must match ${error.params.pattern}` };
    }
    default:
      return { field: base || '(request)', rule: error.message ?? error.keyword };
  }
}

/** No field of a request is nested more than 4 levels deep; deeper documents are refused before anything walks them. */
export const MAX_NESTING = 16;

/**
 * The first place where a document nests objects or arrays more than `maxDepth` levels deep, as a problem naming
 * its path; undefined when it does not. Iterative: a document nested thousands deep would overflow the stack of
 * every recursive walk (structuredClone, the schema's validator, CloudFormation's property conversion).
 * @example nestingProblem({ network: { a: { a: 1 } } }, 2) // { field: 'network.a', rule: 'nests objects or arrays more than 2 levels deep ...' }
 */
export function nestingProblem(input: unknown, maxDepth = MAX_NESTING): FieldProblem | undefined {
  const stack: { value: unknown; path: string[] }[] = [{ value: input, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= maxDepth) {
      return { field: path.join('.'), rule: `nests objects or arrays more than ${maxDepth} levels deep (no field of a request is nested more than 4)` };
    }
    for (const [key, child] of Object.entries(value)) stack.push({ value: child, path: [...path, key] });
  }
  return undefined;
}

const listOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * Validate a request and fill in defaults. Checks the schema, then the rules a schema cannot say
 * (supported region, /16 in a private range, options that need each other). Reports every problem at once.
 *
 * @throws InvalidInputError naming each bad field and the rule it breaks.
 * @example parseRequest({ projectName: 'demo', region: 'us-west-2' }).network.vpcCidr // '10.0.0.0/16'
 */
export function parseRequest(input: unknown): ProvisioningRequest & { network: NonNullable<ProvisioningRequest['network']> } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidInputError([{ field: '(request)', rule: 'must be a JSON object' }]);
  }
  const tooDeep = nestingProblem(input);
  if (tooDeep) throw new InvalidInputError([tooDeep]);
  const request = structuredClone(input) as ProvisioningRequest;
  const problems: FieldProblem[] = [];
  if (!validateSchema(request)) {
    // `pattern` on a field also reports the parent; keep one line per field and rule.
    const seen = new Set<string>();
    // `propertyNames` repeats what its inner `pattern` error already said about the key.
    for (const error of (compiled?.errors ?? []).filter((e) => e.keyword !== 'propertyNames')) {
      const p = toProblem(error);
      const key = `${p.field}|${p.rule}`;
      if (!seen.has(key)) problems.push(p);
      seen.add(key);
    }
  }
  request.network ??= {};
  // A network that is no object is a schema problem already: leave it as it is (a default cannot be set on a number).
  if (typeof request.network === 'object' && !Array.isArray(request.network)) request.network.vpcCidr ??= DEFAULT_VPC_CIDR;

  if (typeof request.provisioningId === 'string' && request.provisioningId.includes(UPDATE_EXECUTION_MARKER)) {
    problems.push({ field: 'provisioningId', rule: `must not contain "${UPDATE_EXECUTION_MARKER}": execution names <id>${UPDATE_EXECUTION_MARKER}<n> are the provisioning's in-place updates` });
  }

  if (typeof request.region === 'string' && !regionInfo(request.region)) {
    problems.push({ field: 'region', rule: `"${request.region}" is not supported (V1); supported regions: ${supportedRegions().join(', ')}` });
  }
  if (typeof request.network.vpcCidr === 'string') {
    const cidrProblem = vpcCidrProblem(request.network.vpcCidr);
    if (cidrProblem) problems.push({ field: 'network.vpcCidr', rule: cidrProblem });
  }
  for (const key of ['ingressCidrs', 'egressCidrs'] as const) {
    listOf(request.network.securityGroup?.[key]).forEach((cidr, i) => {
      if (typeof cidr === 'string' && /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(cidr)) {
        const [ip, prefix] = cidr.split('/');
        if (ip.split('.').some((o) => Number(o) > 255) || Number(prefix) > 32) {
          problems.push({ field: `network.securityGroup.${key}.${i}`, rule: `"${cidr}" is not a valid IPv4 CIDR block` });
        }
      }
    });
  }
  listOf(request.network.avoidCidrs).forEach((cidr, i) => {
    if (typeof cidr === 'string' && /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(cidr) && !parseCidr(cidr)) {
      problems.push({ field: `network.avoidCidrs.${i}`, rule: `"${cidr}" is not a valid IPv4 CIDR block (each octet 0-255, a prefix of 0-32)` });
    }
  });
  const zones = request.network.availabilityZones;
  if (Array.isArray(zones) && typeof request.region === 'string') {
    zones.forEach((zone, i) => {
      if (typeof zone === 'string' && !zone.startsWith(request.region)) {
        problems.push({ field: `network.availabilityZones.${i}`, rule: `"${zone}" is not a zone of region ${request.region}` });
      }
    });
  }
  if (request.network.privateDns?.enabled) {
    if (!request.network.vpcEndpoint?.enabled) {
      problems.push({ field: 'network.privateDns.enabled', rule: 'requires network.vpcEndpoint.enabled (V10 points at the V9 endpoint)' });
    }
    const info = typeof request.region === 'string' ? regionInfo(request.region) : undefined;
    if (info && !info.privateDnsRecordName) {
      problems.push({
        field: 'network.privateDns.enabled',
        rule: `no private DNS record name is known for region ${request.region} (the guide names one for ${supportedRegions().filter((r) => regionInfo(r)?.privateDnsRecordName).join(', ')})`,
      });
    }
  }
  const bucket = request.bucket;
  if (bucket?.existing && typeof bucket.name !== 'string') {
    problems.push({ field: 'bucket.name', rule: 'is required with bucket.existing: true (name the bucket to use)' });
  }
  const keyRegion = typeof bucket?.kmsKeyArn === 'string' ? bucket.kmsKeyArn.split(':')[3] : undefined;
  if (keyRegion && typeof request.region === 'string' && keyRegion !== request.region && !problems.some((p) => p.field === 'bucket.kmsKeyArn')) {
    problems.push({ field: 'bucket.kmsKeyArn', rule: `must be a key in the provisioning's region ${request.region} (S3 uses a key of the bucket's region); got one in ${keyRegion}` });
  }
  const roleNames = [
    ['iamRole.name', request.iamRole?.name],
    ['storageRole.name', request.storageRole?.name],
    ['crossAccountRole.name', request.crossAccountRole?.name],
  ] as const;
  roleNames.forEach(([field, name], i) => {
    if (typeof name === 'string' && roleNames.slice(0, i).some(([, other]) => other === name)) {
      problems.push({ field, rule: `"${name}" is already the name of another role of this request; each role needs its own name` });
    }
  });
  const issuer = request.iamRole?.oidcIssuerUrl;
  if (typeof issuer === 'string' && !problems.some((p) => p.field === 'iamRole.oidcIssuerUrl')) {
    try {
      oidcIssuerFromUrl(issuer, 'iamRole.oidcIssuerUrl');
    } catch (error) {
      if (error instanceof InvalidInputError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return request as ProvisioningRequest & { network: NonNullable<ProvisioningRequest['network']> };
}
