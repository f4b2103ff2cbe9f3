import type { Command } from 'commander';
import { HEALTH_EXIT, healthExitCode, healthLines, localHealth } from '../../health';
import type { HealthReport } from '../../../shared/health/check';
import { apiUrlOf } from '../backend';
import { action, stateDirOf, UsageError, type CliContext } from '../context';
import { addApiOption } from '../options';
import { RemoteBackend } from '../remote-backend';

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('health')
    .summary('drift: re-run Verify on a finished provisioning: HEALTHY, DEGRADED or BROKEN, each failed requirement with its fix')
    .description(
      'Drift: re-run Verify (V2-V11, S1, R1-R5, S2, X1) on a SUCCEEDED or UPDATE_FAILED provisioning, against what AWS reports now, ' +
        'and print the verdict: HEALTHY (all pass), DEGRADED (warnings only), BROKEN (a requirement fails), each failed or warned requirement with its reason and fix. ' +
        'The same service as GET /provisionings/{id}/health, on the registry the provisioning was built on (AWS_ENDPOINT_URL wins). ' +
        'Exit 0 HEALTHY, 1 BROKEN, 3 DEGRADED, 4 no verdict (unknown, not live, or its account cannot be read), 2 usage.',
    )
    .argument('<ID>', 'the provisioning ID')
    .option('--json', 'print the report as JSON (the API\'s answer)');
  addApiOption(command);
  command.action(
      action(ctx, async (provisioningId: string, opts: { json?: boolean; api?: string }) => {
        const { io } = ctx;
        const api = apiUrlOf(opts);
        const result = api ? await remoteHealth(api, provisioningId) : await localHealth(provisioningId, stateDirOf());
        if ('refused' in result) {
          if (opts.json) io.out(JSON.stringify({ provisioningId, error: result.refused.code, message: result.refused.message, ...result.refused.details }, null, 2));
          io.err(`byoc: ${result.refused.message}`);
          return HEALTH_EXIT.noVerdict;
        }
        if (opts.json) io.out(JSON.stringify(result.report, null, 2));
        else for (const line of healthLines(result.report)) io.out(line);
        return healthExitCode(result.report.verdict);
      }),
  );
}

/** `GET /provisionings/{id}/health` of a deployed API; its refusals (404, 409, 502) as `byoc health` reports them locally. */
async function remoteHealth(api: string, provisioningId: string): Promise<{ report: HealthReport } | { refused: { code: string; message: string; details?: Record<string, unknown> } }> {
  try {
    return { report: await new RemoteBackend(api).call<HealthReport>('GET', `/provisionings/${encodeURIComponent(provisioningId)}/health`) };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    return { refused: { code: (error as Error).name, message: (error as Error).message } };
  }
}
