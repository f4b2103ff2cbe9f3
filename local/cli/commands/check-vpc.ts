import type { Command } from 'commander';
import { backendFor } from '../backend';
import { action, type CliContext } from '../context';
import { addApiOption } from '../options';
import { CHECK_MARK } from '../output';

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('check-vpc')
    .summary('V12: check an existing VPC against V2-V10, each by number, with the fix')
    .description(
      'V12: check an existing VPC against V2-V10, each by number: ✔ pass, ⚠ warning, ✖ fail, with the fix. Exit 1 only on a failure. ' +
        'Locally it reads the endpoint of AWS_ENDPOINT_URL (the embedded moto starts empty); with --api, POST /vpc-checks.',
    )
    .argument('<VPC_ID>', 'the VPC, e.g. vpc-0123456789abcdef0')
    .requiredOption('--region <REGION>', "the VPC's region")
    .option('--json', 'print JSON');
  addApiOption(command);
  command.action(
    action(ctx, async (vpcId: string, opts: { region: string; json?: boolean; api?: string }) => {
      const { io } = ctx;
      const backend = await backendFor({ api: opts.api });
      try {
        const checks = await backend.checkVpc(vpcId, opts.region);
        const failed = checks.filter((c) => c.status === 'fail');
        const warnings = checks.filter((c) => c.status === 'warning');
        if (opts.json) io.out(JSON.stringify(checks, null, 2));
        else {
          for (const c of checks) {
            io.out(`${CHECK_MARK[c.status]} ${c.id}: ${c.detail}`);
            if (c.fix && c.status !== 'pass') io.out(`    fix: ${c.fix}`);
          }
          const warned = warnings.length > 0 ? ` (warnings: ${warnings.map((c) => c.id).join(', ')})` : '';
          io.out(failed.length === 0 ? `${vpcId} meets V2-V10${warned}.` : `${vpcId} fails ${failed.map((c) => c.id).join(', ')}${warned}.`);
        }
        return failed.length === 0 ? 0 : 1;
      } finally {
        await backend.close();
      }
    }),
  );
}
