import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { regionOf, type RegistryRecord } from '../shared/registry/record';

/**
 * What the CLI keeps of a provisioning between runs: a copy of its registry record as last read (a view, never a
 * second source of truth: every command that reaches the registry reads it there and rewrites this copy), plus
 * where that registry lives. The registry is on the AWS endpoint the provisioning was built on; an embedded moto
 * lives only as long as the command that started it, and then this copy is all that is left of it.
 */
export interface ProvisioningView {
  provisioningId: string;
  /** The registry record as last read (status, latest request, outputs, every execution). */
  record?: RegistryRecord;
  /** Its region (from the record's request, or `--region` for a teardown of a provisioning the registry never saw). */
  region?: string;
  /** The AWS endpoint whose registry holds the record. */
  awsEndpoint: string;
  /** True when that endpoint was an embedded moto that lives only as long as the run that started it. */
  embedded: boolean;
  /** The registry table on that endpoint. */
  registryTable: string;
  /** When this copy was written. */
  viewedAt: string;
}

/** The CLI's views of provisionings, one JSON file each under `<stateDir>/provisionings/`. */
export class ProvisioningIndex {
  constructor(private readonly stateDir: string) {}

  private file(id: string): string {
    return join(this.stateDir, 'provisionings', `${id}.json`);
  }

  get(id: string): ProvisioningView | undefined {
    const file = this.file(id);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ProvisioningView) : undefined;
  }

  /**
   * Write the view of a provisioning from its registry record (or, without one, only where it lives).
   * @example index.put({ provisioningId, record, awsEndpoint, embedded: true, registryTable })
   */
  put(view: Omit<ProvisioningView, 'viewedAt' | 'region'> & { region?: string }): ProvisioningView {
    const written: ProvisioningView = { ...view, region: (view.record && regionOf(view.record)) ?? view.region, viewedAt: new Date().toISOString() };
    mkdirSync(join(this.stateDir, 'provisionings'), { recursive: true });
    const file = this.file(view.provisioningId);
    writeFileSync(`${file}.tmp`, JSON.stringify(written, null, 2));
    renameSync(`${file}.tmp`, file);
    return written;
  }
}
