import Ajv from 'ajv';
import type { TargetConfig } from './config';
import { InvalidInputError, type FieldProblem } from './errors';
import { requestSchema } from './request';
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
    /** The EKS role's name, when known: without it the teardown finds the role by reading every role's tags. */
    iamRoleName: requestSchema.properties.iamRole.properties.name,
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: false }).compile(teardownSchema);

/**
 * Validate a teardown request.
 * @throws InvalidInputError naming each bad field.
 */
export function parseTeardownRequest(input: unknown): TargetConfig & { iamRole?: { name: string } } {
  const problems: FieldProblem[] = [];
  if (!validate(input)) {
    for (const e of validate.errors ?? []) {
      const field = e.keyword === 'required' ? String(e.params.missingProperty) : e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(request)';
      const rule = e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not a known field' : (e.message ?? e.keyword);
      problems.push({ field, rule });
    }
  }
  const request = input as TargetConfig & { iamRoleName?: string };
  if (typeof request?.region === 'string' && !regionInfo(request.region)) {
    problems.push({ field: 'region', rule: `"${request.region}" is not supported (V1); supported regions: ${supportedRegions().join(', ')}` });
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  const { iamRoleName, ...target } = request;
  return { ...target, ...(iamRoleName ? { iamRole: { name: iamRoleName } } : {}) };
}
