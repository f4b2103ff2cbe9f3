import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../local/cli';
import { useMoto } from '../helpers/moto';

/** `byoc preflight` (issue 11), in-process against one moto: each finding with its fix; exit 0 only when nothing blocks. */
describe('byoc preflight', () => {
  useMoto();
  const stateDir = mkdtempSync(join(tmpdir(), 'byoc-cli-preflight-'));
  beforeAll(() => void (process.env.BYOC_STATE_DIR = stateDir));
  afterAll(() => void delete process.env.BYOC_STATE_DIR);

  const file = (content: unknown) => {
    const path = join(mkdtempSync(join(tmpdir(), 'byoc-preflight-req-')), 'request.json');
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const request = { provisioningId: 'cli-pf-1', projectName: 'clipf', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } };
  async function byoc(...args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('exits 1 and prints each blocking finding with its fix: a refused permission by action, an exhausted quota by name and code', async () => {
    const run = await byoc('preflight', '--request', file(request), '--faults', 'deny:ec2:CreateNatGateway,quota:vpc=1');
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/✖ \[permission\] ec2:CreateNatGateway is not allowed .*\n {4}fix: allow ec2:CreateNatGateway/);
    expect(run.out).toMatch(/✖ \[quota\] VPCs per Region \(vpc L-F678F1CE\): 1 of 1 in use in us-west-2.*\n {4}fix: raise the quota in the Service Quotas console/);
    expect(run.out).toContain('Preflight found 2 problems that would make the provisioning fail.');
  }, 60_000);

  it('exits 0 when nothing blocks, and --json gives the result as data', async () => {
    const run = await byoc('preflight', '--request', file(request), '--json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.out);
    expect(result).toMatchObject({ ok: true, findings: expect.any(Array) });
    expect(result.permissions).toContainEqual({ action: 'ec2:CreateVpc', via: 'dry-run', result: 'allowed' });
  }, 60_000);

  it('exits 2 for an invalid request, naming the field, before starting anything', async () => {
    const run = await byoc('preflight', '--request', file({ ...request, network: { avoidCidrs: ['10.0.0.0/33'] } }));
    expect(run.code).toBe(2);
    expect(run.err).toContain('network.avoidCidrs.0');
  });
});
