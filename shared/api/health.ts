import { AccessDeniedError } from '../errors';
import { checkProvisioningHealth, isLive, LIVE_STATUSES, type HealthClients, type HealthReport, type HealthSubject } from '../health/check';
import type { RegistryStatus } from '../registry/record';
import { ApiError, requestOf, type ProvisioningServiceDeps } from './provisionings';

/** Why a provisioning in a status that is not live has no health to check. */
const WHY_NOT: Partial<Record<RegistryStatus, string>> = {
  PROVISIONING: 'it is still being built; check it once it has SUCCEEDED',
  UPDATING: 'an update is running; check it once the update ended',
  FAILED: 'nothing was handed over (the attempt failed)',
  ROLLED_BACK: 'nothing was handed over (the attempt failed and was rolled back)',
  ROLLBACK_INCOMPLETE: 'its rollback left resources: tear it down (DELETE) rather than check it',
  TEARING_DOWN: 'it is being torn down',
  TORN_DOWN: 'it was torn down: nothing is left to check',
  TEARDOWN_FAILED: 'its teardown left resources: run the teardown again (DELETE)',
};

/**
 * Drift: the health of a finished provisioning (`GET /provisionings/{id}/health`, `byoc health ID`): Verify's checks
 * re-run against what AWS reports now, in the provisioning's account (its customer role assumed with the external ID
 * from the registry), with the verdict `HEALTHY`, `DEGRADED` or `BROKEN` and each failed or warned requirement.
 * Reads only. Runs in a live status (`SUCCEEDED`, `UPDATE_FAILED`).
 *
 * @throws ApiError 404 (no such provisioning), 409 `ProvisioningNotLive` (with its status), 502
 * `TargetAccountUnreachable` (AWS refused the reads: the customer role cannot be assumed, or denies a read).
 * @example (await getProvisioningHealth('p-1', { ...serviceDeps(), clients })).verdict // 'HEALTHY'
 */
export async function getProvisioningHealth(provisioningId: string, deps: ProvisioningServiceDeps & { clients: HealthClients }): Promise<HealthReport> {
  const { request, status, outputs } = await requestOf(provisioningId, deps);
  if (!isLive(status)) {
    throw new ApiError(409, 'ProvisioningNotLive', `provisioning ${provisioningId} is ${status}: ${WHY_NOT[status] ?? 'it is not live'}. A health check runs on ${LIVE_STATUSES.join(' or ')}`, {
      provisioningStatus: status,
      liveStatuses: [...LIVE_STATUSES],
    });
  }
  try {
    return await checkProvisioningHealth({ provisioningId, status, request: request as unknown as Record<string, unknown>, outputs: outputs as HealthSubject['outputs'] }, deps.clients);
  } catch (error) {
    if (error instanceof AccessDeniedError) {
      const where = request.targetAccount ? `as ${request.targetAccount.roleArn} (assumed with the provisioning's external ID)` : 'with the provisioner\'s own role';
      throw new ApiError(502, 'TargetAccountUnreachable', `cannot read provisioning ${provisioningId}'s resources ${where}: ${error.message}. Check that the role still exists, trusts the provisioner with that external ID, and allows the reads of deploy/customer-role.yaml`);
    }
    throw error;
  }
}
