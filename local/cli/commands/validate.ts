import { resolve } from 'node:path';
import type { Command } from 'commander';
import { backendFor } from '../backend';
import { action, readJson, type CliContext } from '../context';
import { addApiOption } from '../options';

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('validate')
    .summary('check a request without starting anything')
    .description('Check a provisioning request without starting anything (with --api: POST /validate). Exit 2 with every bad field named.')
    .option('--request <FILE>', 'the provisioning request (JSON)', 'examples/request.json');
  addApiOption(command);
  command.action(
    action(ctx, async (opts: { request: string; api?: string }) => {
      const file = resolve(opts.request);
      const request = readJson(file);
      const backend = await backendFor({ api: opts.api });
      try {
        await backend.validate(request);
      } finally {
        await backend.close();
      }
      ctx.io.out(`${file}: valid`);
      return 0;
    }),
  );
}
