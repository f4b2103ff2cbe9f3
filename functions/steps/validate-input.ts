import { ec2Client, stsClient } from '../../shared/aws/clients';
import { stepHandler } from '../../shared/lambda';
import { validateInput, type ValidateInputEvent } from '../../shared/validate-input';

const target = (r: { region: string; provisioningId?: string; targetAccount?: { roleArn: string; externalId: string } }) => ({
  region: r.region,
  roleArn: r.targetAccount?.roleArn,
  externalId: r.targetAccount?.externalId,
  ...(r.targetAccount ? { provisioningId: r.provisioningId } : {}),
});

/** ValidateInput: schema, region, CIDR, zones, account ID -> `{ config }`. Creates nothing. */
export const handler = stepHandler('ValidateInput', (event: ValidateInputEvent) =>
  validateInput(event, { sts: (r) => stsClient(target(r)), ec2: (r) => ec2Client(target(r)) }),
);
