import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';

/** Where a command writes: stdout lines and stderr lines (tests pass their own). */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const defaultIo: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

/** The exit codes of every command: 0 done, 1 the operation failed, 2 a usage or input error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A usage or input error: printed as `byoc: <message>` without a stack trace, exit code 2. */
export class UsageError extends Error {}

/** The operation could not be done (a stopped endpoint, an unreachable API...): the message as is, exit code 1. */
export class OperationFailed extends Error {}

/** What every command's action gets besides its own arguments and options. */
export interface CliContext {
  io: Io;
  /** Set by the action: the exit code `main` returns (the action's return value). */
  exitCode: number;
}

/**
 * What a command module exports: `register(program, ctx)` adds the command (name, arguments, options, help text)
 * and its action. The action sets `ctx.exitCode` through {@link action}.
 */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

/**
 * Wrap a command's body as a commander action: its return value is the exit code. Thrown errors are mapped to
 * exit codes by `main` (UsageError and invalid input 2, OperationFailed 1).
 * @example program.command('x').action(action(ctx, async (opts) => { ctx.io.out('done'); return 0; }))
 */
export function action<A extends unknown[]>(ctx: CliContext, body: (...args: A) => Promise<number> | number) {
  return async (...args: A): Promise<void> => {
    ctx.exitCode = await body(...args);
  };
}

export const stateDirOf = (): string => resolve(process.env.BYOC_STATE_DIR ?? '.byoc');

/** Read a JSON file the user named; a missing or broken file is a usage error naming it. */
export function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}
