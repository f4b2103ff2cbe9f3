import { clearClientCache } from '../../shared/aws/clients';
import { startMoto, type MotoServer } from '../../local/moto';

/**
 * Start one moto server for a test file (beforeAll), point the SDK at it, and stop it afterwards (afterAll).
 * Each test file gets its own server, so files run in parallel without seeing each other's resources.
 *
 * @example const moto = useMoto(); beforeEach(() => moto.reset());
 */
export function useMoto(): { readonly endpoint: string; reset(): Promise<void>; server(): MotoServer } {
  let server: MotoServer | undefined;
  beforeAll(async () => {
    server = await startMoto();
    process.env.AWS_ENDPOINT_URL = server.endpoint;
    clearClientCache();
  }, 60_000);
  afterAll(async () => {
    clearClientCache();
    await server?.stop();
  });
  return {
    get endpoint() {
      return server!.endpoint;
    },
    async reset() {
      await server!.reset();
      clearClientCache();
    },
    server: () => server!,
  };
}
