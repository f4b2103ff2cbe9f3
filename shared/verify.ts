import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import { RequirementFailedError } from './errors';
import { verifyIamRoles } from './iam/verify';
import { verifyNetwork } from './network/verify';
import { describeFailures, type RequirementCheck } from './requirements';
import type { ProvisioningState } from './state';
import { verifyBucket } from './storage/bucket';

/**
 * Verify: read everything back from AWS (never from our own state) and check V2-V10, R1-R5, S1, S2 and X1, each by
 * number. A warning does not fail the provisioning; a failed check does.
 * @throws RequirementFailedError naming each failed requirement: the provisioning then rolls back.
 */
export async function verifyProvisioning(
  state: ProvisioningState,
  deps: { ec2: EC2Client; route53: Route53Client; iam: IAMClient; s3: S3Client },
): Promise<{ checks: RequirementCheck[] }> {
  const [network, bucket, iam] = await Promise.all([verifyNetwork(state.config, state, deps), verifyBucket(state.config, state, deps), verifyIamRoles(state.config, state, deps)]);
  const checks = [...network, ...bucket, ...iam];
  if (checks.some((c) => !c.ok)) throw new RequirementFailedError(`requirements not met: ${describeFailures(checks)}`);
  return { checks };
}
