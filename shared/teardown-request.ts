import Ajv, { type ValidateFunction } from 'ajv';
import { defaultBucketName, defaultRoleName, type TargetConfig } from './config';
import { InvalidInputError, type FieldProblem } from './errors';
import { requestSchema, type ProvisioningRequest } from './request';
import type { ProvisioningOutputs } from './state';
import { regionInfo, supportedRegions } from './regions';

/** What the teardown workflow takes: which provisioning, where, and (cross-account) which role to assume. */
export const teardownSchema = {
  $id: 'https://byoc-provisioner/schemas/teardown-request.json',
  title: 'TeardownRequest',
  type: 'object',
  additionalProperties: false,
  required: ['provisioningId', 'region'],
  properties: {
    provisioningId: requestSchema.properties.provisioningId,
    region: requestSchema.properties.region,
    targetAccount: requestSchema.properties.targetAccount,
    /** The EKS role's name (R4), when known. Without any role name the teardown reads every role's tags to find ours. */
    iamRoleName: requestSchema.properties.iamRole.properties.name,
    /** The storage role's name (S2), when known. */
    storageRoleName: requestSchema.properties.storageRole.properties.name,
    /** The cross-account role's name (X1), when known. */
    crossAccountRoleName: requestSchema.properties.crossAccountRole.properties.name,
    /** The bucket's name (S1), when known: deleted only if ours and empty. Without it the teardown reads every bucket's tags. */
    bucketName: requestSchema.properties.bucket.properties.name,
    /**
     * Tear down even though resources we did not make depend on ours (CheckInUse lists them): what they still block
     * is then left, and the teardown ends with TeardownIncompleteError naming it. Default false: refuse, delete nothing.
     */
    force: {
      type: 'boolean',
      default: false,
      description:
        'Tear down even when resources we did not make (instances, network interfaces, load balancers, endpoints, instance profiles, EKS clusters) depend on ours: what they block is left and the teardown ends with TeardownIncompleteError naming it. Default false: refuse with ResourceInUseError and delete nothing.',
    },
  },
} as const;

/** Compiled at the first validation, not at load (shared/request.ts says why). */
let compiled: ValidateFunction | undefined;
const validate = (input: unknown): boolean => (compiled ??= new Ajv({ allErrors: true, strict: false }).compile(teardownSchema))(input);

/** The teardown's config (`$.config`): who and where, and the names in the shape the undo steps read from a provisioning config. */
export type TeardownConfig = TargetConfig & {
  iamRole?: { name: string };
  storageRole?: { name: string };
  crossAccountRole?: { name: string };
  bucket?: { name: string };
  /** Present (true) only when the caller asked to tear down although resources of others depend on ours (CheckInUse). */
  force?: boolean;
};

/**
 * Validate a teardown request.
 * @throws InvalidInputError naming each bad field.
 */
export function parseTeardownRequest(input: unknown): TeardownConfig {
  const problems: FieldProblem[] = [];
  if (!validate(input)) {
    for (const e of compiled?.errors ?? []) {
      const base = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const named = e.keyword === 'required' ? String(e.params.missingProperty) : e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : undefined;
      // `targetAccount.externalId`, not `externalId`: the path of a missing or unknown field inside an object too.
      const field = named !== undefined ? (base ? `${base}.${named || '""'}` : named || '""') : base || '(request)';
      const rule = e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not a known field' : (e.message ?? e.keyword);
      problems.push({ field, rule });
    }
  }
  const request = input as TargetConfig & { iamRoleName?: string; storageRoleName?: string; crossAccountRoleName?: string; bucketName?: string; force?: boolean };
  if (typeof request?.region === 'string' && !regionInfo(request.region)) {
    problems.push({ field: 'region', rule: `"${request.region}" is not supported (V1); supported regions: ${supportedRegions().join(', ')}` });
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  const { iamRoleName, storageRoleName, crossAccountRoleName, bucketName, force, ...target } = request;
  return {
    ...target,
    ...(iamRoleName ? { iamRole: { name: iamRoleName } } : {}),
    ...(storageRoleName ? { storageRole: { name: storageRoleName } } : {}),
    ...(crossAccountRoleName ? { crossAccountRole: { name: crossAccountRoleName } } : {}),
    ...(bucketName ? { bucket: { name: bucketName } } : {}),
    ...(force === true ? { force: true } : {}),
  };
}

/**
 * The teardown input for a provisioning, from its request and (when it finished) its outputs: who and where, and
 * every role and bucket name, so the teardown finds them by name instead of reading every role's and bucket's tags.
 * The bucket name comes from the outputs, else the request, else the default derivation when the account is known
 * (a provisioning that failed before it resolved the account has no bucket: the teardown then finds it by tag).
 *
 * `options.force` adds `force: true` (CheckInUse then warns instead of refusing).
 *
 * @example teardownInputFor('p-1', request, outputs) // { provisioningId: 'p-1', region, iamRoleName, storageRoleName, crossAccountRoleName, bucketName }
 */
export function teardownInputFor(
  provisioningId: string,
  request: ProvisioningRequest,
  outputs?: Pick<ProvisioningOutputs, 'bucketName' | 'accountId'> | null,
  options: { force?: boolean } = {},
): Record<string, unknown> {
  const bucketName =
    outputs?.bucketName ??
    request.bucket?.name ??
    (outputs?.accountId ? defaultBucketName({ projectName: request.projectName, accountId: outputs.accountId, region: request.region, provisioningId }) : undefined);
  return {
    provisioningId,
    region: request.region,
    iamRoleName: request.iamRole?.name ?? defaultRoleName(request.projectName, 'eks'),
    storageRoleName: request.storageRole?.name ?? defaultRoleName(request.projectName, 'storage'),
    crossAccountRoleName: request.crossAccountRole?.name ?? defaultRoleName(request.projectName, 'cross-account'),
    ...(bucketName ? { bucketName } : {}),
    ...(request.targetAccount ? { targetAccount: request.targetAccount } : {}),
    ...(options.force ? { force: true } : {}),
  };
}
