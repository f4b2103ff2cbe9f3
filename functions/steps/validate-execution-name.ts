import { validateExecutionName } from '../../shared/execution-name';
import { stepHandler } from '../../shared/lambda';

/**
 * ValidateExecutionName: a console start without `provisioningId` in its input takes the execution name as the ID;
 * refuse a name that is not a valid ID (InvalidInputError naming `name`) before anything is registered. Pure: no AWS call.
 */
export const handler = stepHandler('ValidateExecutionName', async (event: { executionName?: unknown }) => validateExecutionName(event.executionName));
