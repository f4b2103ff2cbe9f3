import { listProvisionings } from '../../shared/api/provisionings';
import { apiHandler, json, serviceDeps } from './http';

/** GET /provisionings?status=&limit=&nextToken=: a page of the registry (newest change first when filtered by status). */
export const handler = apiHandler(async (event) => json(200, await listProvisionings(event.queryStringParameters ?? {}, serviceDeps())));
