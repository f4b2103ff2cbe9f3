import type { Command } from 'commander';
import { formatCompletionEvent, readCompletionEvents } from '../../events';
import { action, OperationFailed, stateDirOf, type CliContext } from '../context';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('events')
    .summary('the completion events the local stack recorded for a provisioning (docs/events.md)')
    .description(
      'The completion events (one when a provisioning, an update or a teardown ends) the local stack recorded for a provisioning, oldest first, from the state folder. ' +
        'On AWS they go to the default EventBridge bus: subscribe with a rule. Exit 1 when none is recorded.',
    )
    .argument('<ID>', 'the provisioning ID')
    .option('--json', 'print the EventBridge envelopes as JSON')
    .action(
      action(ctx, (provisioningId: string, opts: { json?: boolean }) => {
        const events = readCompletionEvents(stateDirOf(), provisioningId);
        if (opts.json) {
          ctx.io.out(JSON.stringify(events, null, 2));
          return events.length > 0 ? 0 : 1;
        }
        if (events.length === 0) throw new OperationFailed(`No completion events of ${provisioningId} are recorded in ${stateDirOf()}.`);
        for (const event of events) ctx.io.out(formatCompletionEvent(event));
        return 0;
      }),
    );
}
