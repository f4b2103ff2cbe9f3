import type { Command } from 'commander';
import { InvalidInputError } from '../../../shared/errors';
import { parseEventsUrl } from '../../events';
import { LOOPBACK_HOSTS, serve } from '../../serve/server';
import { action, UsageError, type CliContext } from '../context';
import { addLocalStackOptions, backendFlagsOf, DEFAULT_PROFILE } from '../options';

/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM. */
const untilStopped = (): Promise<string> =>
  new Promise((resolve) => {
    const on = (signal: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = on('SIGINT');
    const onTerm = on('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('serve')
    .summary('serve the HTTP API locally (same routes, same handlers, SigV4 checked) on the local stack')
    .description(
      "Serve the HTTP API on this machine: the same routes as serverless.yml, handled by the same Lambda handlers, on the local stack (embedded moto unless AWS_ENDPOINT_URL is set). " +
        'State machines run in the background; poll GET /provisionings/{id} as on AWS. Requests must be signed with SigV4 (service execute-api, any region) ' +
        'with the local credentials it prints, as API Gateway IAM auth checks them (--no-auth: no check). Loopback only. Ctrl-C stops it (moto included), exit 0.',
    )
    .option('--port <N>', 'the port (0: a free one)', '3000')
    .option('--host <ADDRESS>', `a loopback address to listen on (${LOOPBACK_HOSTS.join(', ')})`, '127.0.0.1')
    .option('--no-auth', 'accept unsigned requests (no SigV4 check)')
    .option('--events-to <URL>', 'POST every completion event (docs/events.md) to this URL, for a control plane under development')
    .option('--verbose', "show the steps' JSON logs");
  addLocalStackOptions(command);
  command.action(
    action(ctx, async (opts: { port: string; host: string; auth: boolean; eventsTo?: string; profile?: string; faults?: string; seed?: string }) => {
      const { io } = ctx;
      const port = Number(opts.port);
      if (!/^\d+$/.test(opts.port) || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got "${opts.port}"`);
      if (!LOOPBACK_HOSTS.includes(opts.host)) throw new UsageError(`--host must be a loopback address (${LOOPBACK_HOSTS.join(', ')}): the local API answers to well-known credentials; got "${opts.host}"`);
      let eventsTo: URL | undefined;
      try {
        eventsTo = opts.eventsTo === undefined ? undefined : parseEventsUrl(opts.eventsTo);
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        throw new UsageError(error.problems.map((p) => `${p.field} ${p.rule}`).join('; '));
      }
      const flags = backendFlagsOf(opts);
      const serving = await serve({
        port,
        host: opts.host,
        auth: opts.auth,
        profile: flags.profile ?? DEFAULT_PROFILE,
        faults: flags.faults,
        seed: flags.seed,
        iam: flags.iam,
        eventsTo,
        log: (line) => io.out(line),
        warn: (line) => io.err(line),
      });
      const { api, stack, credentials } = serving;
      const scale = Number.isFinite(stack.profile.timeScale) ? `AWS time / ${stack.profile.timeScale}` : 'no waiting';
      // Only the local stack's well-known secret is printed; a real one from the environment is named, not shown.
      const secretShown = credentials.secretAccessKey === 'testing' ? credentials.secretAccessKey : '$AWS_SECRET_ACCESS_KEY';
      io.out(`byoc serve: the provisioning API on ${api.url}`);
      io.out(`AWS endpoint: ${stack.awsEndpoint}${stack.moto ? ' (embedded moto)' : ''}`);
      io.out(`Local stack profile: ${stack.profile.name} (${scale}); seed ${stack.seed} (replay with --seed ${stack.seed})`);
      if (opts.auth) {
        io.out(`Requests must be signed (SigV4, service execute-api, any region) with the local credentials:`);
        io.out(`  AWS_ACCESS_KEY_ID=${credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${secretShown}${credentials.sessionToken ? ' AWS_SESSION_TOKEN=$AWS_SESSION_TOKEN' : ''}`);
      } else {
        io.out('Signatures are not checked (--no-auth).');
      }
      if (eventsTo) io.out(`Completion events are POSTed to ${eventsTo.href} (and recorded: byoc events ID).`);
      io.out('Try:');
      const sign = opts.auth ? `--aws-sigv4 "aws:amz:us-west-2:execute-api" --user "${credentials.accessKeyId}:${secretShown}" ` : '';
      io.out(`  curl ${sign}-H 'content-type: application/json' -d @examples/request.json ${api.url}/provisionings`);
      io.out(`  curl ${sign}${api.url}/provisionings/ID`);
      io.out(`  BYOC_API_URL=${api.url} npx byoc status ID`);
      io.out('Press Ctrl-C to stop.');
      const signal = await untilStopped();
      io.out(`${signal}: stopping (server, running executions, ${stack.moto ? 'embedded moto' : 'local stack'})...`);
      await serving.stop();
      io.out('Stopped.');
      return 0;
    }),
  );
}
