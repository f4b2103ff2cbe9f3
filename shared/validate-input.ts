import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { buildConfig, type ProvisioningConfig } from './config';
import { InvalidInputError } from './errors';
import { translateAwsError } from './aws/translate-error';
import { pickAvailabilityZones } from './network/availability-zones';
import { regionInfo } from './regions';
import { parseRequest, requestSchema } from './request';

/** The input `ValidateInput` gets from the state machine: the raw execution input and the execution name. */
export interface ValidateInputEvent {
  request: unknown;
  executionName?: string;
}

const ID_PATTERN = new RegExp(requestSchema.properties.provisioningId.pattern);

/**
 * Validate a request and resolve what it leaves to us (account ID, zones), producing the config every step uses.
 * The provisioning ID is the request's `provisioningId`, or else the execution name (console starts). The zones
 * (V3) are chosen by zone ID among those where EKS runs and the region's Zilliz endpoint service is offered (V9),
 * and the config keeps both their names and their IDs.
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
  let accountId: string;
  try {
    const identity = await deps.sts(request).send(new GetCallerIdentityCommand({}));
    accountId = identity.Account!;
  } catch (error) {
    throw translateAwsError(error, request.targetAccount ? `assume ${request.targetAccount.roleArn} (check the role's trust policy and external ID)` : 'read the caller identity');
  }
  const zones = await pickAvailabilityZones(deps.ec2(request), request.region, request.network.availabilityZones, { endpointServiceName: regionInfo(request.region)?.endpointServiceName });
  return {
    config: buildConfig(request, { provisioningId, accountId, availabilityZones: zones.map((z) => z.zoneName), availabilityZoneIds: zones.map((z) => z.zoneId) }),
  };
}
