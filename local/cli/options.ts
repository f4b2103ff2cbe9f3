import { Option, type Command } from 'commander';
import { parseFaultSpec } from '../realism/fault-spec';
import { resolveProfile } from '../realism/profiles';
import type { BackendFlags } from './backend';
import { UsageError } from './context';

/** `--api URL`: run the command against a deployed API instead of the local stack (also `BYOC_API_URL`). */
export function addApiOption(command: Command): Command {
  return command.addOption(
    new Option('--api <URL>', "a deployed API's URL (requests signed with your AWS credentials); default: the local stack").env('BYOC_API_URL'),
  );
}

/** `--profile`, `--faults`, `--seed`, `--iam`: how the local stack behaves. */
export function addLocalStackOptions(command: Command): Command {
  return command
    .option('--profile <NAME>', 'how much the local stack behaves like AWS: instant (moto as is), realistic (default: AWS timing /100, eventual consistency, throttling), chaos (realistic + random faults)')
    .option('--faults <SPEC>', 'inject faults, e.g. CreateNatGateway:fail  or  *:error5xx=0.2,CreateVpc:lose-response (Operation or *, then fail | throttle=RATE | error5xx=RATE | timeout=RATE | lose-response | delay=SECONDS)')
    .option('--seed <N>', 'replay the random choices of an earlier run (its seed is printed)')
    .option('--iam <on|off>', "judge every AWS call a step makes by the IAM policies it would meet on AWS (the step's own role, or the customer role with targetAccount); default: on with realistic and chaos, off with instant");
}

/**
 * The backend flags of parsed options: the realism flags checked (profile name, fault spec, seed), with the
 * CLI's default profile `realistic` for the local stack; `--api` passed through.
 */
export function backendFlagsOf(values: { api?: string; profile?: string; faults?: string; seed?: string; iam?: string }): BackendFlags {
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed <= 0) throw new UsageError(`--seed must be a positive whole number, got "${values.seed}"`);
  }
  try {
    if (values.profile !== undefined) resolveProfile(values.profile);
    parseFaultSpec(values.faults);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.iam !== undefined && values.iam !== 'on' && values.iam !== 'off') throw new UsageError(`--iam must be on or off, got "${values.iam}"`);
  return { api: values.api, profile: values.profile, faults: values.faults, seed, ...(values.iam ? { iam: values.iam as 'on' | 'off' } : {}) };
}

/** The local stack's profile when none is given. */
export const DEFAULT_PROFILE = 'realistic';
