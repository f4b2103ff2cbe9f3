import { Command, CommanderError } from 'commander';
import { InvalidInputError } from '../../shared/errors';
import { MotoMissingError } from '../moto';
import { COMMANDS } from './commands';
import { defaultIo, EXIT, OperationFailed, UsageError, type CliContext, type Io } from './context';

export type { Io } from './context';

const ENVIRONMENT = `
Environment:
  AWS_ENDPOINT_URL  use this AWS endpoint (LocalStack, a moto you started) instead of starting moto
  BYOC_STATE_DIR    where executions and the views of the registry are kept (default ./.byoc)
  BYOC_API_URL      run against a deployed API (as --api), signing with your AWS credentials (SigV4)

Exit codes: 0 done, 1 the operation failed, 2 a usage or input error.
Run "byoc help COMMAND" for a command's options.`;

/** Commander's error text as the CLI prints it: `byoc: unknown command "x"` rather than `error: unknown command 'x'`. */
function formatError(text: string): string {
  return text
    .replace(/^error: /, 'byoc: ')
    .replace(/unknown command '([^']*)'/, 'unknown command "$1"')
    .replace(/\n$/, '');
}

/** The `byoc` program: every command of commands/index.ts, output through `io`, no process.exit. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('byoc')
    .description("Provision a customer's AWS account for BYOC (VPC + EKS IAM role) on the local stack, or through a deployed API (--api)")
    .usage('COMMAND [options]')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.out(text.replace(/\n$/, '')),
      writeErr: (text) => ctx.io.err(text.replace(/\n$/, '')),
      outputError: (text, write) => write(`${formatError(text)}\n`),
    })
    .addHelpText('after', ENVIRONMENT)
    .helpCommand('help [COMMAND]', 'show the help of byoc or of one command');
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/**
 * The `byoc` command. Returns the exit code: 0 success, 1 the operation (a provisioning, a teardown...) failed,
 * 2 bad usage or input. Errors are printed without a stack trace (`--verbose` or BYOC_DEBUG=1 adds it for an
 * unexpected one).
 * @example process.exit(await main(process.argv.slice(2)));
 */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const ctx: CliContext = { io, exitCode: EXIT.ok };
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end "with an error" in commander's terms; they are a success.
      if (error.exitCode === 0) return EXIT.ok;
      io.err('Run "byoc help" for usage.');
      return EXIT.usage;
    }
    if (error instanceof InvalidInputError) {
      io.err('The request is invalid; nothing was created:');
      for (const p of error.problems) io.err(`  - ${p.field}: ${p.rule}`);
      return EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.err(`byoc: ${error.message}`);
      io.err('Run "byoc help" for usage.');
      return EXIT.usage;
    }
    if (error instanceof MotoMissingError) {
      io.err(error.message);
      return EXIT.usage;
    }
    if (error instanceof OperationFailed) {
      io.err(error.message);
      return EXIT.failed;
    }
    const debug = argv.includes('--verbose') || Boolean(process.env.BYOC_DEBUG);
    io.err(`byoc: unexpected error: ${debug ? ((error as Error)?.stack ?? String(error)) : ((error as Error)?.message ?? String(error))}`);
    if (!debug) io.err('(run again with --verbose, or BYOC_DEBUG=1, for the stack trace)');
    return EXIT.failed;
  }
}
