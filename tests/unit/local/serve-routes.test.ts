import { findRoute, ROUTES } from '../../../local/serve/routes';
import { loadServerlessConfig } from '../../helpers/serverless-config';

/** `byoc serve` answers the deployed HTTP API's routes with the same handlers (issue 12). */
describe('the routes of byoc serve', () => {
  it("are serverless.yml's httpApi events, each with its function's handler", () => {
    const config = loadServerlessConfig();
    const deployed = Object.entries(config.functions).flatMap(([name, fn]) =>
      (fn.events ?? [])
        .map((e) => (e as { httpApi?: { method: string; path: string } }).httpApi)
        .filter((h): h is { method: string; path: string } => Boolean(h))
        .map((h) => `${h.method.toUpperCase()} ${h.path} ${name} ${fn.handler}`),
    );
    expect(ROUTES.map((r) => `${r.method} ${r.path} ${r.functionName} ${r.handlerPath}`).sort()).toEqual(deployed.sort());
  });

  it('match a path with its parameters, tell a wrong method from an unknown path', () => {
    expect(findRoute('GET', '/provisionings/p-1')).toMatchObject({ route: { functionName: 'GetProvisioning' }, pathParameters: { id: 'p-1' } });
    expect(findRoute('POST', '/provisionings/p-1/oidc')).toMatchObject({ route: { functionName: 'UpdateProvisioningOidc' }, pathParameters: { id: 'p-1' } });
    expect(findRoute('PUT', '/provisionings/p-1')).toEqual({ allow: ['GET', 'DELETE'] });
    expect(findRoute('GET', '/nope')).toBeUndefined();
    expect(findRoute('GET', '/provisionings/a/b')).toBeUndefined();
  });
});
