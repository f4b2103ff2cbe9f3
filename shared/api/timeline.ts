import { ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import provisionDefinition from '../../statemachine/provision.asl.json';
import { provisionRuns } from '../registry/record';
import { timelineSvg, type AslDefinition } from '../timeline';
import { ApiError, checkId, fullHistory, loadProvisioning, type ProvisioningServiceDeps } from './provisionings';

/**
 * GET /provisionings/{id}/timeline.svg: the latest provision execution (attempt or update) of a provisioning,
 * drawn from Step Functions' history (shared/timeline.ts).
 * @param options.timeScale 1 on AWS; the local stack's own (e.g. 100) for an execution of its engine.
 * @throws ApiError 404 ProvisioningNotFound, or TimelineNotAvailable when there is no history to draw.
 */
export async function getProvisioningTimeline(provisioningId: string, deps: ProvisioningServiceDeps, options: { timeScale?: number } = {}): Promise<string> {
  checkId(provisioningId);
  const record = await loadProvisioning(provisioningId, deps);
  if (!record) throw new ApiError(404, 'ProvisioningNotFound', `no provisioning ${provisioningId}`);
  const latest = provisionRuns(record).at(-1);
  if (!latest) throw new ApiError(404, 'TimelineNotAvailable', `provisioning ${provisioningId} has no provision execution to draw`);
  try {
    const history = await fullHistory(deps.sfn, latest.executionArn);
    return timelineSvg(history, provisionDefinition as unknown as AslDefinition, { timeScale: options.timeScale ?? 1, title: `Provisioning ${provisioningId}: execution ${latest.name}` });
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist') {
      throw new ApiError(404, 'TimelineNotAvailable', `Step Functions no longer has the history of ${latest.name} (it forgets a closed execution after 90 days)`);
    }
    throw error;
  }
}
