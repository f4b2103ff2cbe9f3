import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { localProvisioningTimeline } from '../../timeline';
import { apiUrlOf } from '../backend';
import { action, OperationFailed, stateDirOf, type CliContext } from '../context';
import { addApiOption } from '../options';
import { RemoteBackend } from '../remote-backend';

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('timeline')
    .summary("draw a provisioning's latest execution as an SVG timeline")
    .description(
      "Draw the latest execution of a provisioning (attempt or update) from its recorded history: one lane per parallel branch and one for the rollback, " +
        'a bar per step coloured by outcome, retries marked, waits as gaps with their reason, the critical path highlighted, the axis in AWS seconds. ' +
        'Reads the state folder (.byoc/, BYOC_STATE_DIR); a deployed API serves the same picture at GET /provisionings/{id}/timeline.svg. ' +
        'Writes the SVG to stdout, or to --out. Exit 1 when no execution of it is recorded.',
    )
    .argument('<ID>', 'the provisioning ID')
    .option('--out <FILE>', 'write the SVG to this file instead of stdout');
  addApiOption(command);
  command.action(
      action(ctx, async (provisioningId: string, opts: { out?: string; api?: string }) => {
        const api = apiUrlOf(opts);
        const timeline = api
          ? { svg: await new RemoteBackend(api).call<string>('GET', `/provisionings/${encodeURIComponent(provisioningId)}/timeline.svg`), executionName: 'latest' }
          : localProvisioningTimeline(stateDirOf(), provisioningId);
        if (!timeline) throw new OperationFailed(`No execution of provisioning ${provisioningId} is recorded in ${stateDirOf()}.`);
        if (typeof timeline.svg !== 'string' || !timeline.svg.includes('<svg')) throw new OperationFailed(`The API at ${api} answered no SVG for ${provisioningId}.`);
        if (!opts.out) {
          ctx.io.out(timeline.svg.trimEnd());
          return 0;
        }
        const file = resolve(opts.out);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, timeline.svg);
        ctx.io.out(`Timeline of ${provisioningId} (execution ${timeline.executionName}): ${file}`);
        return 0;
      }),
    );
}
