import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INLINE_POLICIES, policyCharacters } from '../../../shared/iam/inline-policies';

const dir = join(__dirname, '../../../shared/iam/policies');
const sources = readFileSync(join(dir, 'SOURCES.md'), 'utf8');

/** The rows of the SOURCES.md table: file name, sha256 and byte count as recorded there. */
function recorded(): { file: string; sha256: string; bytes: number }[] {
  return sources
    .split('\n')
    .filter((line) => /^\| `[\w-]+\.json` \|/.test(line))
    .map((line) => {
      const cells = line.split('|').map((c) => c.trim());
      const file = cells[1].replaceAll('`', '');
      const sha256 = cells.find((c) => /^`[0-9a-f]{64}`$/.test(c))!.replaceAll('`', '');
      return { file, sha256, bytes: Number(cells[cells.length - 2]) };
    });
}

describe('the inline policy documents (R3) are the upstream files, unchanged', () => {
  it('SOURCES.md lists the three files, notes they are copies and names the Apache-2.0 licence', () => {
    expect(recorded().map((r) => r.file).sort()).toEqual(['aws-load-balancer-controller.json', 'cluster-autoscaler.json', 'ebs-csi-driver.json']);
    expect(sources).toContain('These are copies');
    expect(sources).toContain('Apache License 2.0');
  });

  it.each(recorded().map((r) => [r.file, r] as const))('R3: %s has the sha256 and size recorded in SOURCES.md', (file, row) => {
    const bytes = readFileSync(join(dir, file));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(row.sha256);
    expect(bytes.length).toBe(row.bytes);
  });

  it('R3: the code loads exactly these three documents, in the guide\'s order', () => {
    expect(INLINE_POLICIES.map((p) => p.name)).toEqual(['aws-load-balancer-controller', 'ebs-csi-driver', 'cluster-autoscaler']);
    for (const policy of INLINE_POLICIES) {
      expect(policy.document).toEqual(JSON.parse(readFileSync(join(dir, `${policy.name}.json`), 'utf8')));
    }
  });

  it('R3: the sizes IAM counts are the ones SOURCES.md gives (5,196 + 2,626 + 538 = 8,360 characters)', () => {
    expect(INLINE_POLICIES.map((p) => policyCharacters(p.document))).toEqual([5196, 2626, 538]);
  });
});
