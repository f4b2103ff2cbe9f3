import type { RequirementCheck } from '../../shared/requirements';
import type { ProvisioningOutputs } from '../../shared/state';
import type { StatusSummary, TeardownReport } from './backend';
import type { Io } from './context';

export const CHECK_MARK: Record<RequirementCheck['status'], string> = { pass: '✔', warning: '⚠', fail: '✖' };

/** Print a value as indented `key: value` lines (arrays of objects one per line). */
export function printOutputs(value: unknown, io: Io, indent = '  '): void {
  if (value === null || typeof value !== 'object') {
    io.out(`${indent}${String(value)}`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) {
      io.out(`${indent}${key}:`);
      for (const item of v) io.out(`${indent}  - ${typeof item === 'object' && item ? Object.entries(item).map(([k, x]) => `${k}=${String(x)}`).join('  ') : String(item)}`);
    } else if (v && typeof v === 'object') {
      io.out(`${indent}${key}:`);
      printOutputs(v, io, `${indent}  `);
    } else {
      io.out(`${indent}${key}: ${v === null ? '-' : String(v)}`);
    }
  }
}

/**
 * C1: what the customer pastes into the vendor console's BYOC project form, grouped as the console groups it, and
 * the same values as the vendor API's `awsParam` body (for a control plane).
 */
export function printConsoleBlock(outputs: ProvisioningOutputs, io: Io): void {
  const c = outputs.console;
  io.out('');
  io.out('Paste into the vendor console (BYOC project):');
  io.out('  Storage settings');
  io.out(`    Bucket name             ${c.storage.bucketName}`);
  io.out(`    Storage role ARN        ${c.storage.storageRoleArn}`);
  io.out('  EKS settings');
  io.out(`    IAM role ARN            ${c.eks.eksRoleArn}`);
  io.out('  Cross-account settings');
  io.out(`    Role ARN                ${c.crossAccount.crossAccountRoleArn}`);
  io.out(`    External ID             ${c.crossAccount.externalId}`);
  io.out('  Network settings');
  io.out(`    VPC ID                  ${c.network.vpcId}`);
  io.out(`    Subnet IDs              ${c.network.subnetIds.join(', ')}`);
  io.out(`    Security group ID       ${c.network.securityGroupId}`);
  io.out(`    VPC endpoint ID         ${c.network.vpcEndpointId ?? '(none: network.vpcEndpoint is off)'}`);
  io.out('');
  io.out(`Vendor API awsParam: ${JSON.stringify(outputs.vendorApi)}`);
}

/** Print the flat outputs and the console block of a provisioning that succeeded (C1). */
export function printProvisioned(outputs: ProvisioningOutputs, io: Io): void {
  // The grouped forms follow as the console block: print the flat fields here, each once.
  const { console: _console, vendorApi: _vendorApi, ...flat } = outputs;
  printOutputs(flat, io);
  if (outputs.console) printConsoleBlock(outputs, io);
}

/** What a teardown that succeeded removed, what was not there and what it kept. */
export function printTeardownReport(provisioningId: string, report: TeardownReport | undefined, io: Io): void {
  io.out('');
  io.out(`Removed everything tagged byoc:provisioning-id=${provisioningId}${report?.kept.length ? ', except what holds data' : ''}.`);
  if (!report) return;
  io.out(`Deleted now (${report.deleted.length}):${report.deleted.length ? '' : ' nothing'}`);
  for (const d of report.deleted) io.out(`  - ${d}`);
  if (report.notFound.length) io.out(`Not there (already gone, or never made): ${report.notFound.join(', ')}`);
  for (const k of report.kept) io.out(`Kept ${k.type} ${k.id}: ${k.detail ?? 'kept on purpose'}. Empty it and run the teardown again to delete it, or keep it.`);
}

/** `byoc status` without `--json`. */
export function printStatus(summary: StatusSummary, io: Io): void {
  const { provisioningId, steps, error } = summary;
  io.out(`Provisioning ${provisioningId}: ${summary.status}${summary.execution ? ` (execution ${summary.execution}, started ${summary.startedAt}${summary.stoppedAt ? `, ended ${summary.stoppedAt}` : ''})` : ''}`);
  for (const s of steps) {
    const took = s.durationMs !== undefined ? `${(s.durationMs / 1000).toFixed(2)} s` : 'running';
    const extra = [s.attempts > 1 ? `${s.attempts} attempts` : '', s.lastError ? `last error ${s.lastError.name}: ${s.lastError.message}` : ''].filter(Boolean).join('; ');
    io.out(`  ${s.status === 'succeeded' ? '✔' : s.status === 'failed' ? '✖' : '…'} ${s.name.padEnd(28)} ${took.padStart(9)}${extra ? `  (${extra})` : ''}`);
  }
  if (summary.outputs) {
    io.out('Outputs:');
    printOutputs(summary.outputs, io);
  }
  if (error) io.out(`Error: ${error.name}${error.step ? ` in ${error.step}` : ''}: ${error.message}`);
  if (summary.teardown) io.out(`Teardown: ${summary.teardown.status} (execution ${summary.teardown.execution})`);
  const r = summary.registry;
  io.out(r.api ? `(from the API at ${r.api}, read ${r.readAt})` : `(from the registry at ${r.awsEndpoint}, read ${r.readAt})`);
}
