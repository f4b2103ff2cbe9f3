import { preflightClients } from '../../shared/preflight/clients';
import { preflightRequest } from '../../shared/preflight';
import { apiHandler, json } from './http';

/**
 * POST /preflight (body: the provisioning request): what would make a provisioning fail, found without making
 * anything. 200 `{ ok, findings, quotas, permissions }` either way (`ok` false when a finding is an error); 400 for an
 * invalid request, naming each field.
 */
export const handler = apiHandler(
  async (event) => json(200, await preflightRequest(event.body, preflightClients, event.headers?.['idempotency-key'])),
  { jsonBody: true },
);
