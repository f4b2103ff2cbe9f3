import { getProvisioningTimeline } from '../../shared/api/timeline';
import { apiHandler, serviceDeps } from './http';

/**
 * GET /provisionings/{id}/timeline.svg: the latest execution drawn (image/svg+xml). `BYOC_TIMELINE_TIME_SCALE` is
 * for the local stack only (its engine runs AWS's waits that many times faster); on AWS it is unset (1).
 */
export const handler = apiHandler(async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' },
  body: await getProvisioningTimeline(event.pathParameters?.id ?? '', serviceDeps(), { timeScale: Number(process.env.BYOC_TIMELINE_TIME_SCALE ?? 1) || 1 }),
}));
