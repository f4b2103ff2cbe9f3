import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ApiError } from '../../../shared/api/provisionings';
import { parseRequest } from '../../../shared/request';
import type { ProvisioningOutputs } from '../../../shared/state';
import type { FieldChange } from '../../../shared/update/plan';
import { backendFor } from '../backend';
import { writeLocalTimeline } from '../../timeline';
import { action, readJson, stateDirOf, type CliContext } from '../context';
import { addApiOption, addLocalStackOptions, backendFlagsOf, DEFAULT_PROFILE } from '../options';
import { CHECK_MARK, printProvisioned } from '../output';

const RUNNING = new Set(['PROVISIONING', 'UPDATING']);

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('provision')
    .summary('run a provisioning (or an in-place update) with live progress and print what it built')
    .description(
      'Run a provisioning with live progress, by the same lifecycle rules as the API: a retry after a failure is attempt <id>--2; ' +
        'the same request after success starts nothing; an in-place change of an existing ID is an update that lists its changes. ' +
        'Exit 0 on success, 1 if it failed (the error names the step), 2 for bad input or a request the rules refuse.',
    )
    .option('--request <FILE>', 'the provisioning request (JSON)', 'examples/request.json')
    .option('--id <ID>', "the provisioning ID (default: the request's provisioningId, else a new one). An ID that exists with another request is updated in place when every change is in place (tags, security group CIDRs, ...); a change that needs new resources is refused (exit 2)")
    .option('--keep', 'keep the local stack running afterwards, to inspect it with the AWS CLI (Ctrl-C stops it)')
    .option('--verbose', "show the steps' JSON logs");
  addLocalStackOptions(command);
  addApiOption(command);
  command.action(
    action(ctx, async (opts: { request: string; id?: string; keep?: boolean; api?: string; profile?: string; faults?: string; seed?: string }) => {
      const { io } = ctx;
      const requestFile = resolve(opts.request);
      const raw = readJson(requestFile) as Record<string, unknown>;
      const provisioningId = opts.id ?? (raw.provisioningId as string | undefined) ?? `p-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
      const request = { ...raw, provisioningId };
      // Validate before starting anything: a bad request changes nothing and costs no moto start-up (nor a request).
      const parsed = parseRequest(request);

      // The provisioning service runs here as it does behind the API (locally: the registry on the endpoint, the
      // local Step Functions API in front of the engine); the lifecycle rules are the same.
      const backend = await backendFor({ ...backendFlagsOf(opts), keep: opts.keep }, { sfnServer: true, defaultProfile: DEFAULT_PROFILE });
      try {
        await backend.open();
        io.out(`Provisioning ${provisioningId} in ${parsed.region} (request: ${requestFile})`);
        io.out(backend.where('long'));
        for (const line of backend.describe()) io.out(line);
        let started;
        try {
          started = await backend.startProvisioning(request);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          await backend.current(provisioningId);
          io.err(`Provisioning ${provisioningId} refused (${error.code}): ${error.message}`);
          for (const f of (error.details?.fields ?? []) as FieldChange[]) io.err(`  - ${f.field}: ${JSON.stringify(f.before)} -> ${JSON.stringify(f.after)} (${f.why})`);
          return 2;
        }
        if (!backend.canFollow(started)) {
          // The same request as a provisioning this registry has (lifecycle rule "start"): nothing new runs.
          const now = await backend.current(provisioningId);
          io.out(`Provisioning ${provisioningId} is already ${started.status} (execution ${started.executionArn}); nothing new was started.`);
          if (now.status === 'SUCCEEDED' && now.outputs) printProvisioned(now.outputs, io);
          return now.status === 'SUCCEEDED' || RUNNING.has(now.status ?? '') ? 0 : 1;
        }
        if (started.kind === 'update') {
          io.out(`Updating ${provisioningId} in place (execution ${started.executionArn.split(':').pop()}); nothing is rolled back if it fails:`);
          for (const c of started.changes ?? []) io.out(`  - ${c.field}: ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)} (${c.why})`);
        }
        const ended = await backend.waitForEnd(started, io.out);
        const now = await backend.current(provisioningId);
        for (const line of backend.notes()) io.out(line);
        // The run drawn next to its record (issue 14); `byoc timeline ID` draws it again later.
        const timelineFile = backend.mode === 'local' ? writeLocalTimeline(stateDirOf(), provisioningId) : undefined;
        if (timelineFile) io.out(`Timeline (AWS seconds, critical path highlighted): ${timelineFile}`);
        let code = 0;
        if (ended.ok) {
          io.out('');
          if (ended.checks.length > 0) io.out(`Verified against what AWS reports: ${ended.checks.map((c) => `${CHECK_MARK[c.status]} ${c.id}`).join('  ')}`);
          io.out(`${started.kind === 'update' ? 'Updated' : 'Provisioned'} ${provisioningId} in ${ended.seconds} s. Outputs:`);
          printProvisioned((now.outputs ?? ended.outputs) as ProvisioningOutputs, io);
        } else {
          const err = ended.error!;
          io.err('');
          io.err(`Provisioning ${provisioningId} ${now.status ?? ended.status} after ${ended.seconds} s: ${err.name}${err.step ? ` in ${err.step}` : ''}: ${err.message}`);
          code = 1;
        }
        if (opts.keep && backend.holdOpen) await backend.holdOpen(provisioningId, parsed.region, io);
        return code;
      } finally {
        await backend.close();
      }
    }),
  );
}
