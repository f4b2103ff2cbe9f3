import { getProvisioning } from '../../shared/api/provisionings';
import { apiHandler, json, serviceDeps } from './http';

/** GET /provisionings/{id}: status, per-step progress, outputs, error, latest teardown. */
export const handler = apiHandler(async (event) => json(200, await getProvisioning(event.pathParameters?.id ?? '', serviceDeps())));
