import { startTeardown } from '../../shared/api/provisionings';
import { apiHandler, json, serviceDeps } from './http';

/** DELETE /provisionings/{id}: tear down everything the provisioning made (202; idempotent). */
export const handler = apiHandler(async (event) => json(202, await startTeardown(event.pathParameters?.id ?? '', serviceDeps())));
