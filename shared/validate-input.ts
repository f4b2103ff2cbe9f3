import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { buildConfig, type ProvisioningConfig } from './config';
import { UPDATE_EXECUTION_MARKER } from './constants';
import { InvalidInputError } from './errors';
import { translateAwsError } from './aws/translate-error';
import { pickAvailabilityZones } from './network/availability-zones';
import { regionInfo } from './regions';
import { parseRequest, requestSchema } from './request';

/**
 * The input `ValidateInput` gets from the state machine: the raw execution input, the execution name, and what
 * `ReadPreviousRequest` read from the registry (the item's `previousRequest`, DynamoDB-typed, when it has one).
 */
export interface ValidateInputEvent {
  request: unknown;
  executionName?: string;
  registry?: { Item?: { previousRequest?: { S?: string } } };
}

/** The `tags` of the registry's previous request, when there is one (a JSON text, as the registry stores requests). */
function previousTagsOf(event: ValidateInputEvent): Record<string, string> | undefined {
  const text = event.registry?.Item?.previousRequest?.S;
  if (!text) return undefined;
  try {
    const previous = JSON.parse(text) as { tags?: unknown };
    const tags = previous && typeof previous.tags === 'object' && previous.tags && !Array.isArray(previous.tags) ? previous.tags : {};
    return Object.fromEntries(Object.entries(tags).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

const ID_PATTERN = new RegExp(requestSchema.properties.provisioningId.pattern);

/**
 * Validate a request and resolve what it leaves to us (account ID, zones), producing the config every step uses.
 * The provisioning ID is the request's `provisioningId`, or else the execution name (console starts). The zones
 * (V3) are chosen by zone ID among those where EKS runs and the region's Zilliz endpoint service is offered (V9),
 * and the config keeps both their names and their IDs.
 *
 * The mode: an execution named `<id>--update-<n>` (the API names updates so) is an in-place **update**
 * (`config.mode: 'update'`), which the state machine never rolls back; any other is a provisioning attempt. With a
 * previous request in the registry (an update, or an attempt with a changed request), `config.previousTags` holds
 * its tags, for ApplyTags.
 *
 * @throws InvalidInputError naming each bad field; nothing is created in AWS by this step.
 */
export async function validateInput(
  event: ValidateInputEvent,
  deps: { sts: (request: ReturnType<typeof parseRequest>) => STSClient; ec2: (request: ReturnType<typeof parseRequest>) => EC2Client },
): Promise<{ config: ProvisioningConfig }> {
  const request = parseRequest(event.request);
  const provisioningId = request.provisioningId ?? event.executionName;
  if (!provisioningId || !ID_PATTERN.test(provisioningId)) {
    throw new InvalidInputError([
      { field: 'provisioningId', rule: `is required (or an execution name of 1-64 letters, digits, "-" or "_"); got ${JSON.stringify(provisioningId ?? null)}` },
    ]);
  }
  if (provisioningId.includes(UPDATE_EXECUTION_MARKER)) {
    // An execution name taken as the ID (a console start): parseRequest only saw the request.
    throw new InvalidInputError([{ field: 'provisioningId', rule: `must not contain "${UPDATE_EXECUTION_MARKER}" (execution names <id>${UPDATE_EXECUTION_MARKER}<n> are updates); name the execution otherwise, or put provisioningId in the input` }]);
  }
  const mode = event.executionName?.includes(UPDATE_EXECUTION_MARKER) ? 'update' : 'create';
  const previousTags = previousTagsOf(event) ?? (mode === 'update' ? {} : undefined);
  let accountId: string;
  try {
    const identity = await deps.sts({ ...request, provisioningId }).send(new GetCallerIdentityCommand({}));
    accountId = identity.Account!;
  } catch (error) {
    throw translateAwsError(error, request.targetAccount ? `assume ${request.targetAccount.roleArn} (check the role's trust policy and external ID)` : 'read the caller identity');
  }
  const zones = await pickAvailabilityZones(deps.ec2({ ...request, provisioningId }), request.region, request.network.availabilityZones, { endpointServiceName: regionInfo(request.region)?.endpointServiceName });
  const config = buildConfig(request, { provisioningId, accountId, availabilityZones: zones.map((z) => z.zoneName), availabilityZoneIds: zones.map((z) => z.zoneId) });
  return { config: { ...config, ...(mode === 'update' ? { mode } : {}), ...(previousTags ? { previousTags } : {}) } };
}
