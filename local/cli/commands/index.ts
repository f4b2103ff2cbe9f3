/**
 * Every `byoc` command, in the order `byoc help` lists them.
 *
 * To add a command:
 *   1. Create `local/cli/commands/<name>.ts` exporting `register(program: Command, ctx: CliContext): void`, which
 *      adds the command with commander (`program.command('<name>')`, `.summary()` for the list, `.description()`
 *      for its own help, `.argument()`, `.option()`), and its action wrapped in `action(ctx, async (...) => code)`
 *      (local/cli/context.ts): the returned number is the exit code (0 ok, 1 the operation failed, 2 usage or
 *      input). Throw `UsageError` for a bad argument (exit 2, no stack trace), `OperationFailed` when the operation
 *      could not be done (exit 1); `InvalidInputError` (exit 2) lists each bad field.
 *   2. If it acts on provisionings, go through a `Backend` (`backendFor(flags)` in local/cli/backend.ts) so it
 *      works on the local stack and, with `addApiOption(command)` (local/cli/options.ts), against a deployed API
 *      with the same output; `await backend.close()` in a `finally`.
 *   3. Add one line below. Print through `ctx.io` (never console.*), so tests can run `main(argv, io)` in-process.
 *   4. Add a row to README.md's CLI table and a test that runs it.
 */
import type { RegisterCommand } from '../context';
import { register as provision } from './provision';
import { register as teardown } from './teardown';
import { register as status } from './status';
import { register as list } from './list';
import { register as updateOidc } from './update-oidc';
import { register as checkVpc } from './check-vpc';
import { register as health } from './health';
import { register as acceptance } from './acceptance';
import { register as validate } from './validate';
import { register as preflight } from './preflight';
import { register as serve } from './serve';
import { register as timeline } from './timeline';
import { register as events } from './events';

export const COMMANDS: RegisterCommand[] = [provision, teardown, status, list, updateOidc, checkVpc, health, acceptance, validate, preflight, serve, events, timeline];
