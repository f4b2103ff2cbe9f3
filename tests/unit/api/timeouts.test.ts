import { loadServerlessConfig } from '../../helpers/serverless-config';
import { ROUTE_TIMEOUT_SECONDS } from '../../../functions/api/problems';

/** HTTP API gives up on an integration after 30 s: every route's function must answer (with a 503 problem at worst) first. */
describe('API route timeouts', () => {
  it('every function behind an HTTP API route times out at ROUTE_TIMEOUT_SECONDS, under the 30 s integration timeout', () => {
    const functions = loadServerlessConfig().functions as Record<string, { timeout?: number; events?: Record<string, unknown>[] }>;
    const routes = Object.entries(functions).filter(([, f]) => (f.events ?? []).some((e) => 'httpApi' in e));
    expect(routes.map(([name]) => name).sort()).toEqual(['CheckVpc', 'DeleteProvisioning', 'GetProvisioning', 'GetProvisioningHealth', 'GetProvisioningTimeline', 'ListProvisionings', 'PreflightRequest', 'StartProvisioning', 'UpdateProvisioningOidc', 'ValidateRequest']);
    expect(ROUTE_TIMEOUT_SECONDS).toBeLessThanOrEqual(29);
    for (const [name, f] of routes) expect({ name, timeout: f.timeout }).toEqual({ name, timeout: ROUTE_TIMEOUT_SECONDS });
  });
});
