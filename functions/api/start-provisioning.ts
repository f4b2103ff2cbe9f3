import { startProvisioning } from '../../shared/api/provisionings';
import { apiHandler, json, serviceDeps } from './http';

/** POST /provisionings: start a provisioning (202). `Idempotency-Key` header or body.provisioningId names it. */
export const handler = apiHandler(
  async (event) => {
    const started = await startProvisioning(event.body, serviceDeps(), event.headers?.['idempotency-key']);
    return json(202, started, { location: `/provisionings/${started.provisioningId}` });
  },
  { jsonBody: true },
);
