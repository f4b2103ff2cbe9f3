import { getProvisioningHealth } from '../shared/api/health';
import { ApiError } from '../shared/api/provisionings';
import { ec2Client, iamClient, route53Client, s3Client, stsClient } from '../shared/aws/clients';
import type { HealthReport, HealthVerdict } from '../shared/health/check';
import { ProvisioningIndex } from './provisionings';
import { startLocalStack } from './stack';

/**
 * `byoc health ID` on the local stack: the same service as `GET /provisionings/{id}/health`, against the registry
 * (and the AWS endpoint) the provisioning was built on. Exit codes: {@link HEALTH_EXIT}.
 */

/**
 * `byoc health`'s exit codes: 0 HEALTHY, 1 BROKEN, 2 bad usage, 3 DEGRADED (nothing fails; a warning), 4 no verdict
 * (no such provisioning, not live, or its account cannot be read). Distinct, so a cron job can tell them apart.
 */
export const HEALTH_EXIT = { HEALTHY: 0, BROKEN: 1, usage: 2, DEGRADED: 3, noVerdict: 4 } as const;

export const healthExitCode = (verdict: HealthVerdict): number => HEALTH_EXIT[verdict];

/** The answer of a local health check: a report, or why there is none. */
export type LocalHealth = { report: HealthReport } | { refused: { code: string; message: string; details?: Record<string, unknown> } };

const answers = (endpoint: string): Promise<boolean> => fetch(endpoint).then(
  () => true,
  () => false,
);

/**
 * Check a provisioning this machine knows (from `BYOC_STATE_DIR`), on the endpoint whose registry holds it
 * (`AWS_ENDPOINT_URL` wins). An embedded moto that has stopped has nothing left to check: a refusal says so.
 */
export async function localHealth(provisioningId: string, stateDir: string): Promise<LocalHealth> {
  const view = new ProvisioningIndex(stateDir).get(provisioningId);
  if (!process.env.AWS_ENDPOINT_URL) {
    if (!view) return { refused: { code: 'ProvisioningNotFound', message: `no record of provisioning ${provisioningId} in ${stateDir} (set AWS_ENDPOINT_URL to the endpoint that has its registry)` } };
    if (!(await answers(view.awsEndpoint))) {
      return { refused: { code: 'EndpointGone', message: `provisioning ${provisioningId} was built on an embedded moto that has stopped; run provision with --keep, or set AWS_ENDPOINT_URL` } };
    }
    process.env.AWS_ENDPOINT_URL = view.awsEndpoint;
  }
  const stack = await startLocalStack({ sfnServer: true });
  try {
    return { report: await getProvisioningHealth(provisioningId, { ...stack.serviceDeps(), clients: { ec2: ec2Client, route53: route53Client, iam: iamClient, s3: s3Client, sts: stsClient } }) };
  } catch (error) {
    if (error instanceof ApiError) return { refused: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
    throw error;
  } finally {
    await stack.stop();
  }
}

const MARK = { fail: '✖', warning: '⚠' } as const;

/** The report as `byoc health` prints it: the verdict, then each failed or warned requirement with its fix. */
export function healthLines(report: HealthReport): string[] {
  const lines = [`Provisioning ${report.provisioningId} (${report.status}, ${report.region}, account ${report.accountId}): ${report.verdict}, checked ${report.checkedAt}`];
  for (const f of report.findings) {
    lines.push(`${MARK[f.status]} ${f.requirement}: ${f.reason}`);
    if (f.fix) lines.push(`    fix: ${f.fix}`);
  }
  const passed = [...new Set(report.checks.filter((c) => c.status === 'pass').map((c) => c.id))].filter((id) => !report.failed.includes(id) && !report.warnings.includes(id));
  if (passed.length > 0) lines.push(`✔ ${passed.join(' ')}`);
  return lines;
}
