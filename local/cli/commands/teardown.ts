import type { Command } from 'commander';
import { ApiError } from '../../../shared/api/provisionings';
import { backendFor } from '../backend';
import { action, type CliContext } from '../context';
import { addApiOption, addLocalStackOptions, backendFlagsOf, DEFAULT_PROFILE } from '../options';
import { printTeardownReport } from '../output';

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('teardown')
    .summary("remove everything a provisioning made, from the registry's latest request and by its tag")
    .description(
      "Remove everything the provisioning's latest request made (from the registry, and by its tag); report what was deleted and what was not there. " +
        'Safe to repeat. Refused, naming each one, while resources others made depend on ours, unless --force. Exit 0 when removed, 1 if the teardown failed, 2 when refused.',
    )
    .argument('<ID>', 'the provisioning ID')
    .option('--region <REGION>', 'the region, when this machine has no record of the provisioning (local stack)')
    .option('--force', 'tear down even while resources others made depend on ours')
    .option('--keep', 'keep the local stack running afterwards, to inspect it with the AWS CLI (Ctrl-C stops it)')
    .option('--verbose', "show the steps' JSON logs");
  addLocalStackOptions(command);
  addApiOption(command);
  command.action(
    action(ctx, async (provisioningId: string, opts: { region?: string; force?: boolean; keep?: boolean; api?: string; profile?: string; faults?: string; seed?: string }) => {
      const { io } = ctx;
      const backend = await backendFor({ ...backendFlagsOf(opts), keep: opts.keep }, { sfnServer: true, defaultProfile: DEFAULT_PROFILE });
      try {
        let started;
        try {
          started = await backend.startTeardown(provisioningId, { region: opts.region, force: opts.force, onReady: () => {
            io.out(`Tearing down ${provisioningId} (${backend.where()})`);
            for (const line of backend.describe()) io.out(line);
          } });
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          await backend.current(provisioningId);
          io.err(`Teardown of ${provisioningId} refused (${error.code}): ${error.message}`);
          return 2;
        }
        if ('gone' in started) {
          io.out(started.gone);
          return 0;
        }
        if (!backend.canFollow(started)) {
          const now = await backend.current(provisioningId);
          io.out(`Provisioning ${provisioningId} is already ${now.status ?? 'torn down'} (teardown ${started.executionArn}); nothing is left to remove.`);
          return 0;
        }
        const ended = await backend.waitForEnd(started, io.out);
        const now = await backend.current(provisioningId, { region: opts.region });
        if (ended.ok) {
          printTeardownReport(provisioningId, ended.teardown, io);
          if (opts.keep && backend.holdOpen) await backend.holdOpen(provisioningId, now.region ?? opts.region ?? 'us-west-2', io);
          return 0;
        }
        const err = ended.error!;
        io.err(`Teardown of ${provisioningId} ${ended.status}: ${err.name}${err.step ? ` in ${err.step}` : ''}: ${err.message}`);
        return 1;
      } finally {
        await backend.close();
      }
    }),
  );
}
