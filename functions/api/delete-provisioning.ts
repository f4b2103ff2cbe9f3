import { startTeardown } from '../../shared/api/provisionings';
import { InvalidInputError } from '../../shared/errors';
import { apiHandler, json, serviceDeps } from './http';

/**
 * DELETE /provisionings/{id}[?force=true]: tear down everything the provisioning made (202). 409 while an execution
 * of it runs (a provisioning attempt or a teardown), naming that execution; after a teardown succeeded, that
 * teardown again. The teardown refuses (FAILED, ResourceInUseError naming each one) while resources others made
 * depend on ours, unless `force=true`. A `force` other than true or false is a 400 naming it.
 */
export const handler = apiHandler(async (event) => {
  const force = event.queryStringParameters?.force;
  if (force !== undefined && force !== 'true' && force !== 'false') {
    throw new InvalidInputError([{ field: 'force', rule: `must be true or false; got ${JSON.stringify(force)}` }]);
  }
  return json(202, await startTeardown(event.pathParameters?.id ?? '', serviceDeps(), { whileTearingDown: 'refuse', force: force === 'true' }));
});
