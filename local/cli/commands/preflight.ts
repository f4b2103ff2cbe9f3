import { resolve } from 'node:path';
import type { Command } from 'commander';
import { preflightClients } from '../../../shared/preflight/clients';
import { preflightRequest, type PreflightResult } from '../../../shared/preflight';
import { parseRequest } from '../../../shared/request';
import { startLocalStack } from '../../stack';
import { action, readJson, type CliContext, type Io } from '../context';
import { apiUrlOf } from '../backend';
import { addApiOption, addLocalStackOptions, backendFlagsOf } from '../options';
import { RemoteBackend } from '../remote-backend';

/** Each finding with its fix, then the quotas, then the verdict. */
export function printPreflight(result: PreflightResult, io: Io): void {
  for (const f of result.findings) {
    io.out(`${f.severity === 'error' ? '✖' : '⚠'} [${f.check}]${f.field ? ` ${f.field}:` : ''} ${f.message}`);
    io.out(`    fix: ${f.fix}`);
  }
  if (result.quotas.length > 0) {
    io.out('Quotas (in use / limit, + this provisioning):');
    for (const q of result.quotas) io.out(`  ${q.name} (${q.serviceCode} ${q.quotaCode}) in ${q.scope}: ${q.used} / ${q.limit} + ${q.needed}  [limit from ${q.source}]`);
  }
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.length - errors;
  const warned = warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : '';
  io.out(result.ok ? `Preflight passed${warned}: nothing blocks the provisioning.` : `Preflight found ${errors} problem${errors === 1 ? '' : 's'} that would make the provisioning fail${warned}.`);
}

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('preflight')
    .summary('what would make a provisioning fail (permissions, quotas, names, zones, CIDR), without making anything')
    .description(
      'The checks of the Preflight state, without provisioning: EC2 DryRun probes and the IAM policy simulation for the permissions, ' +
        'quotas (in use against the limit), role and bucket names, three usable zones, the VPC CIDR against network.avoidCidrs. ' +
        'Each finding is printed with its fix. Exit 0 only when nothing blocks, 1 when something does, 2 for an invalid request. ' +
        'Locally it reads the endpoint of AWS_ENDPOINT_URL, or an empty embedded moto; --faults deny:ec2:CreateNatGateway,quota:vpc=1 ' +
        'refuses a permission or exhausts a quota there (default profile: instant).',
    )
    .option('--request <FILE>', 'the provisioning request (JSON)', 'examples/request.json')
    .option('--json', 'print the result as JSON');
  addApiOption(addLocalStackOptions(command));
  command.action(
    action(ctx, async (opts: { request: string; json?: boolean; api?: string; profile?: string; faults?: string; seed?: string }) => {
      const request = readJson(resolve(opts.request));
      parseRequest(request); // an invalid request is exit 2 before any stack starts
      const flags = backendFlagsOf(opts);
      const api = apiUrlOf(opts);
      if (api) {
        // A deployed API: POST /preflight runs the same checks there, as the deployed Preflight step would.
        const result = await new RemoteBackend(api).call<PreflightResult>('POST', '/preflight', { body: request });
        if (opts.json) ctx.io.out(JSON.stringify(result, null, 2));
        else printPreflight(result, ctx.io);
        return result.ok ? 0 : 1;
      }
      const stack = await startLocalStack({ profile: flags.profile ?? 'instant', faults: flags.faults, seed: flags.seed, iam: flags.iam });
      try {
        const result = await preflightRequest(request, preflightClients);
        if (opts.json) ctx.io.out(JSON.stringify(result, null, 2));
        else printPreflight(result, ctx.io);
        return result.ok ? 0 : 1;
      } finally {
        await stack.stop();
      }
    }),
  );
}
