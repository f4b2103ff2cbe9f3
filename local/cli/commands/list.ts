import type { Command } from 'commander';
import { backendFor } from '../backend';
import { action, type CliContext } from '../context';
import { addApiOption } from '../options';

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('list')
    .summary('the provisionings known here (locally: the copies in the state folder; with --api: GET /provisionings)')
    .option('--status <STATUS>', 'only those of this status, e.g. SUCCEEDED')
    .option('--json', 'print JSON');
  addApiOption(command);
  command.action(
    action(ctx, async (opts: { status?: string; json?: boolean; api?: string }) => {
      const { io } = ctx;
      const backend = await backendFor({ api: opts.api });
      try {
        const rows = await backend.list({ status: opts.status });
        if (opts.json) io.out(JSON.stringify(rows, null, 2));
        else if (rows.length === 0) io.out(`No provisionings${opts.status ? ` with status ${opts.status}` : ''}.`);
        else for (const r of rows) io.out(`${r.provisioningId.padEnd(28)} ${r.status.padEnd(20)} ${(r.region ?? '-').padEnd(15)} ${r.projectName ?? '-'}  (updated ${r.updatedAt})`);
        return 0;
      } finally {
        await backend.close();
      }
    }),
  );
}
