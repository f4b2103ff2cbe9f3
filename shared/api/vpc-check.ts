import Ajv from 'ajv';
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

const validate = new Ajv({ allErrors: true, strict: false, verbose: true }).compile(vpcCheckSchema);

export interface VpcCheckRequest {
  vpcId: string;
  region: string;
  targetAccount?: { roleArn: string; externalId: string };
}

/** Validate a V12 request. @throws InvalidInputError naming each bad field. */
export function parseVpcCheckRequest(input: unknown): VpcCheckRequest {
  const problems: FieldProblem[] = [];
  if (!validate(input)) {
    for (const e of validate.errors ?? []) {
      const field = e.keyword === 'required' ? String(e.params.missingProperty) : e.keyword === 'additionalProperties' ? String(e.params.additionalProperty) : e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(request)';
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

/**
 * V12: check a customer's existing VPC against V2-V10 and report every requirement by number.
 * @example await checkVpc({ vpcId: 'vpc-0abc', region: 'us-west-2' }, { ec2: ec2Client, route53: route53Client })
 */
export async function checkVpc(
  body: unknown,
  deps: { ec2: (target: AwsTarget) => EC2Client; route53: (target: AwsTarget) => Route53Client },
): Promise<{ vpcId: string; region: string; ok: boolean; failed: string[]; checks: RequirementCheck[] }> {
  const request = parseVpcCheckRequest(body);
  const target = { region: request.region, roleArn: request.targetAccount?.roleArn, externalId: request.targetAccount?.externalId };
  const checks = await checkExistingVpc(request.vpcId, { ec2: deps.ec2(target), route53: deps.route53(target), region: request.region });
  const failed = checks.filter((c) => !c.ok).map((c) => c.id);
  return { vpcId: request.vpcId, region: request.region, ok: failed.length === 0, failed, checks };
}
