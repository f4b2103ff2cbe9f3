import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ec2Client } from '../../shared/aws/clients';
import { defaultBucketName } from '../../shared/config';
import { useMoto } from '../helpers/moto';
import { leftoversOf } from '../helpers/workflow';

const root = join(__dirname, '..', '..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `byoc ...` as a user would: a new Node process, no stdin. */
function byoc(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'byoc.js'), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function requestFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'byoc-cli-req-')), 'request.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

describe('the byoc CLI with its embedded local stack', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'byoc-cli-state-'));
  const env = { BYOC_STATE_DIR: stateDir, AWS_ENDPOINT_URL: undefined };

  it('provisions with live progress, prints the outputs, stops moto, and `status` reads it back from a new process', async () => {
    const run = await byoc(['provision', '--request', requestFile({ projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } }), '--id', 'cli-ok'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\[\s+[\d.]+ s\] ▶ ValidateInput/);
    expect(run.stdout).toMatch(/\[\s+[\d.]+ s\] ✔ CreateVpc \([\d.]+ s\)/);
    expect(run.stdout).toMatch(/Outputs:\n[\s\S]*vpcId: vpc-[0-9a-f]+/);
    // C1: the block to paste into the vendor console, grouped as the console asks, and the vendor API body.
    expect(run.stdout).toMatch(/Paste into the vendor console \(BYOC project\):\n {2}Storage settings\n {4}Bucket name +zilliz-byoc-demo-milvus-[0-9a-f]{8}\n {4}Storage role ARN +arn:aws:iam::123456789012:role\/zilliz-byoc-demo-storage-role\n {2}EKS settings\n {4}IAM role ARN +arn:aws:iam::123456789012:role\/zilliz-byoc-demo-eks-role\n {2}Cross-account settings\n {4}Role ARN +arn:aws:iam::123456789012:role\/zilliz-byoc-demo-cross-account-role\n {4}External ID +cid-0123456789abcdef\n {2}Network settings\n {4}VPC ID +vpc-/);
    expect(JSON.parse(/Vendor API awsParam: (.*)/.exec(run.stdout)![1])).toMatchObject({ bucketId: expect.stringMatching(/^zilliz-byoc-demo-milvus-/), subnetIds: [expect.any(String), expect.any(String), expect.any(String)], securityGroupIds: [expect.stringMatching(/^sg-/)] });
    expect(run.stdout).toContain('Verified against what AWS reports: ✔ V2  ✔ V3  ✔ V4  ✔ V5  ✔ V6  ✔ V7  ✔ V8  ✔ V9  ✔ V10  ✔ S1  ✔ S1  ✔ R1  ✔ R2  ✔ R3  ✔ R4  ✔ R5  ✔ S2  ✔ X1');

    // moto was stopped with the run: its port no longer answers.
    const endpoint = /AWS endpoint: (http:\/\/127\.0\.0\.1:\d+) \(embedded moto\)/.exec(run.stdout)![1];
    await expect(fetch(`${endpoint}/moto-api/data.json`)).rejects.toThrow();

    const status = await byoc(['status', 'cli-ok'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Provisioning cli-ok: SUCCEEDED');
    expect(status.stdout).toMatch(/✔ CreateVpc\s+[\d.]+ s/);
    expect(status.stdout).toMatch(/vpcId: vpc-/);

    const json = JSON.parse((await byoc(['status', 'cli-ok', '--json'], env)).stdout);
    expect(json).toMatchObject({ provisioningId: 'cli-ok', status: 'SUCCEEDED', outputs: { vpcId: expect.stringMatching(/^vpc-/) } });
  }, 60_000);

  it('rejects a bad request before starting anything: exit 2, each bad field named, nothing recorded', async () => {
    const run = await byoc(['provision', '--request', requestFile({ projectName: 'demo', region: 'mars-1', network: { vpcCidr: '10.0.0.0/8' } }), '--id', 'cli-bad'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('The request is invalid; nothing was created:');
    expect(run.stderr).toContain('- region: "mars-1" is not supported (V1)');
    expect(run.stderr).toContain('- network.vpcCidr: must use a /16 netmask (V2)');
    const status = await byoc(['status', 'cli-bad'], env);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('No provisioning cli-bad is recorded');
  }, 30_000);

  it('says what is wrong with its own arguments', async () => {
    const run = await byoc(['provison'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('byoc: unknown command "provison"');
    const missing = await byoc(['provision', '--request', '/nonexistent.json'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read /nonexistent.json');
  }, 30_000);
});

describe('the byoc CLI against an endpoint given by AWS_ENDPOINT_URL', () => {
  const moto = useMoto();
  const stateDir = mkdtempSync(join(tmpdir(), 'byoc-cli-state-'));

  it('provisions there instead of starting moto, and teardown removes what the provisioning made', async () => {
    const env = { BYOC_STATE_DIR: stateDir, AWS_ENDPOINT_URL: moto.endpoint };
    const run = await byoc(['provision', '--request', requestFile({ projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } }), '--id', 'cli-ext'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`AWS endpoint: ${moto.endpoint}\n`);
    const filter = { Filters: [{ Name: 'tag:byoc:provisioning-id', Values: ['cli-ext'] }] };
    expect((await ec2Client({ region: 'us-west-2' }).send(new DescribeVpcsCommand(filter))).Vpcs).toHaveLength(1);

    const down = await byoc(['teardown', 'cli-ext'], env);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('▶ DeleteVpc');
    expect((await ec2Client({ region: 'us-west-2' }).send(new DescribeVpcsCommand(filter))).Vpcs).toHaveLength(0);

    // Safe to run twice.
    expect((await byoc(['teardown', 'cli-ext'], env)).code).toBe(0);
  }, 60_000);
});

describe('the byoc CLI on a finished provisioning (endpoint kept up)', () => {
  const moto = useMoto();
  const stateDir = mkdtempSync(join(tmpdir(), 'byoc-cli-state-'));

  it('sets the OIDC issuer later (R1) and checks the built VPC against V2-V10 (V12)', async () => {
    const env = { BYOC_STATE_DIR: stateDir, AWS_ENDPOINT_URL: moto.endpoint };
    const run = await byoc(['provision', '--request', requestFile({ projectName: 'demo', region: 'us-west-2', iamRole: { name: 'zilliz-byoc-cli-oidc-role' }, crossAccountRole: { externalId: 'cid-0123456789abcdef' } }), '--id', 'cli-oidc'], env);
    expect(run.code).toBe(0);

    const oidc = await byoc(['update-oidc', 'cli-oidc', '--issuer', 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC123'], env);
    expect(oidc.stderr).toBe('');
    expect(oidc.code).toBe(0);
    expect(oidc.stdout).toContain('arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC123');

    const badIssuer = await byoc(['update-oidc', 'cli-oidc', '--issuer', 'http://nope'], env);
    expect(badIssuer.code).toBe(2);
    expect(badIssuer.stderr).toContain('- oidcIssuerUrl: must use https');

    const vpcId = /vpcId: (vpc-[0-9a-f]+)/.exec(run.stdout)![1];
    const check = await byoc(['check-vpc', vpcId, '--region', 'us-west-2'], env);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`${vpcId} meets V2-V10.`);
    expect(check.stdout).toMatch(/✔ V4: /);
  }, 90_000);
});

describe('the byoc CLI and its local stack processes', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'byoc-cli-state-'));

  it('prints the seed of a chaos run, and --keep stops moto on Ctrl-C (no orphan server)', async () => {
    const child = spawn(process.execPath, [join(root, 'bin', 'byoc.js'), 'provision', '--request', requestFile({ projectName: 'demo', region: 'us-west-2', crossAccountRole: { externalId: 'cid-0123456789abcdef' } }), '--id', 'cli-keep', '--profile', 'chaos', '--seed', '4242', '--keep'], {
      cwd: root,
      env: { ...process.env, BYOC_STATE_DIR: stateDir, AWS_ENDPOINT_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      for (let i = 0; i < 300 && !out.includes('Press Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 100));
      // An empty AWS_ENDPOINT_URL counts as unset: the embedded moto starts.
      expect(out).toContain('Local stack profile: chaos (AWS time / 100); seed 4242 (replay with --seed 4242)');
      expect(out).toContain('Provisioned cli-keep');
      const endpoint = /AWS endpoint: (http:\/\/127\.0\.0\.1:\d+) \(embedded moto\)/.exec(out)![1];
      expect((await fetch(`${endpoint}/moto-api/data.json`)).ok).toBe(true);

      child.kill('SIGINT');
      await exited;
      await expect(fetch(`${endpoint}/moto-api/data.json`)).rejects.toThrow();
    } finally {
      child.kill('SIGTERM'); // our handlers stop moto on SIGTERM too
    }
  }, 90_000);
});

describe('the CLI\'s records are a view of the registry (issue 10: the CLI kept the first request it saw)', () => {
  const moto = useMoto();
  const stateDir = mkdtempSync(join(tmpdir(), 'byoc-cli-state-'));
  /** Request A and request B for the same ID: other project, other role names. */
  const requestFor = (variant: 'a' | 'b') => ({
    projectName: `demo${variant}`,
    region: 'us-west-2',
    iamRole: { name: `zilliz-byoc-cli-view-${variant}-eks` },
    storageRole: { name: `zilliz-byoc-cli-view-${variant}-storage` },
    crossAccountRole: { externalId: 'cid-0123456789abcdef', name: `zilliz-byoc-cli-view-${variant}-xacct` },
  });
  const namesFor = (variant: 'a' | 'b') => ({
    eksRoleName: `zilliz-byoc-cli-view-${variant}-eks`,
    storageRoleName: `zilliz-byoc-cli-view-${variant}-storage`,
    crossAccountRoleName: `zilliz-byoc-cli-view-${variant}-xacct`,
    bucketName: defaultBucketName({ projectName: `demo${variant}`, accountId: '123456789012', region: 'us-west-2', provisioningId: 'cli-view' }),
  });

  it('provision --id X twice with different requests (another endpoint), then teardown X: tears down the latest request\'s resources and reports only what it deleted', async () => {
    // A, on an embedded moto that ends with the command.
    const first = await byoc(['provision', '--request', requestFile(requestFor('a')), '--id', 'cli-view', '--profile', 'instant'], { BYOC_STATE_DIR: stateDir, AWS_ENDPOINT_URL: undefined });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('(embedded moto)');
    // B, same ID, on an endpoint that stays up: its registry has never seen X, so B is provisioned there.
    const env = { BYOC_STATE_DIR: stateDir, AWS_ENDPOINT_URL: moto.endpoint };
    const second = await byoc(['provision', '--request', requestFile(requestFor('b')), '--id', 'cli-view', '--profile', 'instant'], env);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(':role/zilliz-byoc-cli-view-b-eks');

    // The same registry refuses a request under that ID that needs new resources (lifecycle rule "update":
    // replacement), naming each field, and changes nothing.
    const refused = await byoc(['provision', '--request', requestFile(requestFor('a')), '--id', 'cli-view', '--profile', 'instant'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('refused (ReplacementRequired)');
    expect(refused.stderr).toContain('  - projectName: "demob" -> "demoa" (names and Name tags derive from it)');

    // An in-place change (tags) of B on the kept endpoint is an update, through the same service (lifecycle rule "update").
    const updated = await byoc(['provision', '--request', requestFile({ ...requestFor('b'), tags: { team: 'ml' } }), '--id', 'cli-view', '--profile', 'instant'], env);
    expect(updated.stderr).toBe('');
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('Updating cli-view in place (execution cli-view--update-1)');
    expect(updated.stdout).toContain('  - tags: {} -> {"team":"ml"}');
    expect(updated.stdout).toContain('Updated cli-view in');

    // Teardown from a shell without AWS_ENDPOINT_URL: the view says which registry holds X, and its latest request.
    const down = await byoc(['teardown', 'cli-view', '--profile', 'instant'], { BYOC_STATE_DIR: stateDir, AWS_ENDPOINT_URL: undefined });
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`(AWS endpoint: ${moto.endpoint})`);
    const deleted = /Deleted now \(\d+\):\n((?: {2}- .*\n)*)/.exec(down.stdout)![1];
    for (const name of Object.values(namesFor('b'))) expect(deleted).toContain(`- ${name}`);
    // Nothing of A is claimed: A's roles never existed on this endpoint.
    expect(down.stdout).not.toContain('cli-view-a-');
    expect((await leftoversOf('cli-view', namesFor('b'))).resources).toEqual([]);

    const status = JSON.parse((await byoc(['status', 'cli-view', '--json'], { BYOC_STATE_DIR: stateDir, AWS_ENDPOINT_URL: undefined })).stdout);
    expect(status).toMatchObject({ provisioningId: 'cli-view', status: 'TORN_DOWN', registry: { awsEndpoint: moto.endpoint } });
    expect(status.executions.map((e: { name: string; outcome: string }) => [e.name, e.outcome])).toEqual([
      ['cli-view', 'SUCCEEDED'],
      ['cli-view--update-1', 'SUCCEEDED'],
      ['cli-view--teardown-1', 'TORN_DOWN'],
    ]);
  }, 120_000);
});
