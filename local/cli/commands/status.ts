import type { Command } from 'commander';
import { backendFor } from '../backend';
import { action, type CliContext } from '../context';
import { addApiOption } from '../options';
import { printStatus } from '../output';

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('status')
    .summary('status, per-step progress, outputs and error of a provisioning')
    .description(
      "Status, per-step progress, outputs and error. Locally: from the registry when its endpoint still answers, else from the copy in the state folder (works from a new process). " +
        'With --api: from GET /provisionings/{id}. Exit 1 when no such provisioning is known.',
    )
    .argument('<ID>', 'the provisioning ID')
    .option('--json', 'print JSON');
  addApiOption(command);
  command.action(
    action(ctx, async (provisioningId: string, opts: { json?: boolean; api?: string }) => {
      const backend = await backendFor({ api: opts.api });
      try {
        const summary = await backend.status(provisioningId);
        if (opts.json) ctx.io.out(JSON.stringify(summary, null, 2));
        else printStatus(summary, ctx.io);
        return 0;
      } finally {
        await backend.close();
      }
    }),
  );
}
