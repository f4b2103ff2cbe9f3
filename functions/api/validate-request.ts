import { validateProvisioningRequest } from '../../shared/api/provisionings';
import { apiHandler, json } from './http';

/** POST /validate: check a provisioning request without starting anything (200 or 400 with every problem). */
export const handler = apiHandler(async (event) => json(200, validateProvisioningRequest(event.body)), { jsonBody: true });
