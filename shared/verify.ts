import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { RequirementFailedError } from './errors';
import { verifyEksRole } from './iam/verify';
import { verifyNetwork } from './network/verify';
import { describeFailures, type RequirementCheck } from './requirements';
import type { ProvisioningState } from './state';

/**
 * Verify: read everything back from AWS (never from our own state) and check V2-V10 and R1-R5, each by number.
 * @throws RequirementFailedError naming each failed requirement: the provisioning then rolls back.
 */
export async function verifyProvisioning(state: ProvisioningState, deps: { ec2: EC2Client; route53: Route53Client; iam: IAMClient }): Promise<{ checks: RequirementCheck[] }> {
  const [network, iam] = await Promise.all([verifyNetwork(state.config, state, deps), verifyEksRole(state.config, state, deps)]);
  const checks = [...network, ...iam];
  if (checks.some((c) => !c.ok)) throw new RequirementFailedError(`requirements not met: ${describeFailures(checks)}`);
  return { checks };
}
