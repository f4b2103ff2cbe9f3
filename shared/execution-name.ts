import { UPDATE_EXECUTION_MARKER } from './constants';
import { InvalidInputError } from './errors';
import { requestSchema } from './request';

const ID_PATTERN = new RegExp(requestSchema.properties.provisioningId.pattern);

/**
 * The rule an execution name must meet when it becomes the provisioning ID: a console start whose input has no
 * `provisioningId` (docs/console.md). Step Functions accepts names a provisioning ID may not have (80 characters,
 * dots, `@`, letters of any script...), and the ID names the registry item, tags every resource and is part of
 * role, bucket and execution names.
 */
export const EXECUTION_NAME_AS_ID_RULE =
  `must be a valid provisioning ID when the input has no provisioningId (the execution name then becomes the ID): 1-64 letters, digits, "-" or "_", ` +
  `starting with a letter or digit, without "${UPDATE_EXECUTION_MARKER}"; name the execution so, or put "provisioningId" in the input`;

/**
 * Check the execution name that becomes the provisioning ID (the workflow's `ValidateExecutionName`, before it
 * registers or makes anything).
 *
 * @throws InvalidInputError naming `name` (the execution name) and the rule.
 * @example validateExecutionName('demo-001') // { provisioningId: 'demo-001' }
 */
export function validateExecutionName(executionName: unknown): { provisioningId: string } {
  if (typeof executionName !== 'string' || !ID_PATTERN.test(executionName) || executionName.includes(UPDATE_EXECUTION_MARKER)) {
    throw new InvalidInputError([{ field: 'name', rule: `${EXECUTION_NAME_AS_ID_RULE}; got ${JSON.stringify(executionName ?? null)}` }]);
  }
  return { provisioningId: executionName };
}
