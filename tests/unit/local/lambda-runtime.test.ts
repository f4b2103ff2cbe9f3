import type { Context } from 'aws-lambda';
import { functionTimeoutMs, invokeLocal } from '../../../local/lambda-runtime';
import { stepHandler } from '../../../shared/lambda';

/**
 * The local Lambda runtime gives each invocation the deadline the function has when deployed (serverless.yml), so a
 * step that would run out of time on AWS runs out of time here, and one that would not, does not.
 */
describe('local Lambda runtime: the deployed timeouts', () => {
  it("reads each function's timeout from serverless.yml, and the provider's default for the rest", () => {
    expect(functionTimeoutMs('FindLeftovers')).toBe(300_000);
    expect(functionTimeoutMs('CheckInUse')).toBe(300_000);
    expect(functionTimeoutMs('CreateVpc')).toBe(60_000);
    expect(functionTimeoutMs('GetProvisioning')).toBe(25_000);
  });

  it('hands the handler that deadline, and a step past it fails with the retryable error naming it', async () => {
    let remaining = 0;
    const seen = async (_event: unknown, context: Context) => {
      remaining = context.getRemainingTimeInMillis();
      return 'ok';
    };
    await invokeLocal('FindLeftovers', seen as never, {});
    expect(remaining).toBeGreaterThan(299_000);
    const slow = stepHandler('CreateVpc', () => new Promise<never>(() => undefined));
    await expect(invokeLocal('CreateVpc', slow as never, { config: { provisioningId: 'p-1' } }, 1_100)).rejects.toMatchObject({ name: 'RetryableAwsError' });
  });
});
