import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the CLI remembers of a provisioning between runs: where it was built and by which executions. */
export interface ProvisioningEntry {
  provisioningId: string;
  region: string;
  targetAccount?: { roleArn: string; externalId: string };
  /** The EKS role's name (teardown finds it without scanning every role). */
  iamRoleName?: string;
  /**
   * The teardown workflow's input for the latest request of this provisioning (role and bucket names, target):
   * rewritten on every provision, so a later request with other names is torn down with its own names.
   */
  teardownInput?: Record<string, unknown>;
  /** The AWS endpoint it was built against. */
  awsEndpoint: string;
  /** True when that endpoint was an embedded moto that lives only as long as the run that started it. */
  embedded: boolean;
  /** Names of its provision executions, oldest first. */
  executions: string[];
  /** Names of its teardown executions, oldest first. */
  teardowns: string[];
}

/** The CLI's index of provisionings, one JSON file each under `<stateDir>/provisionings/`. */
export class ProvisioningIndex {
  constructor(private readonly stateDir: string) {}

  private file(id: string): string {
    return join(this.stateDir, 'provisionings', `${id}.json`);
  }

  get(id: string): ProvisioningEntry | undefined {
    const file = this.file(id);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ProvisioningEntry) : undefined;
  }

  put(entry: ProvisioningEntry): void {
    mkdirSync(join(this.stateDir, 'provisionings'), { recursive: true });
    const file = this.file(entry.provisioningId);
    writeFileSync(`${file}.tmp`, JSON.stringify(entry, null, 2));
    renameSync(`${file}.tmp`, file);
  }
}
