import { stepHandler } from '../../shared/lambda';
import { parseTeardownRequest } from '../../shared/teardown-request';

/** ValidateTeardownInput: `{provisioningId, region, targetAccount?}` -> `{ config }` for the undo steps. */
export const handler = stepHandler('ValidateTeardownInput', async (event: { request: unknown }) => ({ config: parseTeardownRequest(event.request) }));
