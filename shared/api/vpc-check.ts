import Ajv, { type ValidateFunction } from 'ajv';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { AwsTarget } from '../aws/clients';
import { InvalidInputError, type FieldProblem } from '../errors';
import { checkExistingVpc } from '../network/verify';
import { regionInfo, supportedRegions } from '../regions';
import { requestSchema } from '../request';
import type { RequirementCheck } from '../requirements';

/** V12: which existing VPC to check, where, and (cross-account) as whom. */
export const vpcCheckSchema = {
  $id: 'https://byoc-provisioner/schemas/vpc-check-request.json',
  title: 'VpcCheckRequest',
  type: 'object',
  additionalProperties: false,
  required: ['vpcId', 'region'],
  properties: {
    vpcId: { type: 'string', pattern: '^vpc-[0-9a-f]{8,17}$', description: 'an EC2 VPC ID such as vpc-0123456789abcdef0' },
    region: requestSchema.properties.region,
    targetAccount: requestSchema.properties.targetAccount,
  },
} as const;

/** Compiled at the first validation, not at load (shared/request.ts says why). */
let compiled: ValidateFunction | undefined;
const validate = (input: unknown): boolean => (compiled ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(vpcCheckSchema))(input);

export interface VpcCheckRequest {
  vpcId: string;
  region: string;
  targetAccount?: { roleArn: string; externalId: string };
}

/** Validate a V12 request. @throws InvalidInputError naming each bad field. */
export function parseVpcCheckRequest(input: unknown): VpcCheckRequest {
  const problems: FieldProblem[] = [];
  if (!validate(input)) {
    for (const e of compiled?.errors ?? []) {
      const base = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const named = e.keyword === 'required' ? String(e.params.missingProperty) : e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : undefined;
      // `targetAccount.externalId`, not `externalId`: the path of a missing or unknown field inside an object too.
      const field = named !== undefined ? (base ? `${base}.${named || '""'}` : named || '""') : base || '(request)';
      const description = (e.parentSchema as { description?: string } | undefined)?.description;
      const rule = e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not a known field' : description ? `must be ${description}` : (e.message ?? e.keyword);
      problems.push({ field, rule });
    }
  }
  const request = input as VpcCheckRequest;
  if (typeof request?.region === 'string' && !regionInfo(request.region)) {
    problems.push({ field: 'region', rule: `"${request.region}" is not supported (V1); supported regions: ${supportedRegions().join(', ')}` });
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return request;
}

/** The answer of POST /vpc-checks (V12). */
export interface VpcCheckResult {
  vpcId: string;
  region: string;
  /** True when no requirement fails (warnings do not count). */
  ok: boolean;
  /** The numbers of the failed requirements. */
  failed: string[];
  /** The numbers of the requirements met in a way the guide does not recommend (e.g. V2 on a VPC that is not a /16). */
  warnings: string[];
  /** Every check, in order: status, why (detail) and, when not passing, what to do (fix). */
  checks: RequirementCheck[];
}

/**
 * V12: check a customer's existing VPC against V2-V10 and report every requirement by number.
 * @example await checkVpc({ vpcId: 'vpc-0abc', region: 'us-west-2' }, { ec2: ec2Client, route53: route53Client }) // { ok: true, failed: [], warnings: ['V2'], checks: [...] }
 */
export async function checkVpc(body: unknown, deps: { ec2: (target: AwsTarget) => EC2Client; route53: (target: AwsTarget) => Route53Client }): Promise<VpcCheckResult> {
  const request = parseVpcCheckRequest(body);
  const target = { region: request.region, roleArn: request.targetAccount?.roleArn, externalId: request.targetAccount?.externalId };
  const checks = await checkExistingVpc(request.vpcId, { ec2: deps.ec2(target), route53: deps.route53(target), region: request.region });
  const failed = checks.filter((c) => c.status === 'fail').map((c) => c.id);
  const warnings = checks.filter((c) => c.status === 'warning').map((c) => c.id);
  return { vpcId: request.vpcId, region: request.region, ok: failed.length === 0, failed, warnings, checks };
}
