import { buildConfig, type ProvisioningConfig } from '../../shared/config';
import { parseRequest, type ProvisioningRequest } from '../../shared/request';

/** The external ID tests hand the cross-account role (X1), in the vendor console's form. */
export const TEST_EXTERNAL_ID = 'cid-0123456789abcdef';

/**
 * A valid config as ValidateInput would produce it, for step tests that start past ValidateInput.
 * @example const config = testConfig({ network: { vpcEndpoint: { enabled: true } } }, 'p-1');
 */
export function testConfig(overrides: Partial<ProvisioningRequest> = {}, provisioningId = `p-${Math.random().toString(36).slice(2, 10)}`): ProvisioningConfig {
  const request = parseRequest({ projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: TEST_EXTERNAL_ID }, ...overrides });
  return buildConfig(request, { provisioningId, accountId: '123456789012', availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'] });
}

/**
 * A test account whose regional quotas were raised (AWS's defaults allow 5 VPCs and 5 Elastic IPs per region): for
 * test files that keep more than four environments alive in one moto at once, which the Preflight step would
 * otherwise rightly refuse. Give it as the profile's base faults (`overrides: { faults: RAISED_QUOTAS }`), which a
 * test's own `setFaults` does not replace.
 */
export const RAISED_QUOTAS = ['vpc', 'igw', 'eip', 'nat', 'gateway-endpoint'].map((q) => `quota:${q}=1000`).join(',');
