import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetBucketTaggingCommand } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { literalSchemaKeys, SCHEMA_MODULE } from '../../deploy/esbuild-plugins';
import { ec2Client, iamClient, s3Client } from '../../shared/aws/clients';
import { TAG_PROVISIONING_ID } from '../../shared/constants';
import { testConfig } from '../helpers/config';
import { useMoto } from '../helpers/moto';
import { deployedEsbuildOptions, loadServerlessConfig } from '../helpers/serverless-config';

/**
 * What is deployed is what runs: every function bundled with serverless.yml's `custom.esbuild` options (ES module
 * builds first, the AWS SDK inside), loaded in a fresh Node process, and one bundled step run against moto. The rest
 * of the suite runs the TypeScript sources; this is the check that the bundler's choices (which build of each package
 * it takes) leave code that still starts and still talks to AWS.
 */
describe('the deployed bundles load and run', () => {
  const root = join(__dirname, '..', '..');
  const moto = useMoto();
  const functions = loadServerlessConfig().functions;
  let outdir = '';

  beforeAll(async () => {
    outdir = mkdtempSync(join(root, '.tmp', 'bundle-runs-'));
    const entryPoints = Object.fromEntries(Object.entries(functions).map(([name, fn]) => [name, join(root, `${fn.handler.replace(/\.[^.]+$/, '')}.ts`)]));
    await build({ ...deployedEsbuildOptions(), entryPoints, outdir, logLevel: 'silent' });
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const node = (script: string, env: Record<string, string> = {}) =>
    execFileSync(process.execPath, ['--no-warnings', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'us-west-2', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', POWERTOOLS_LOG_LEVEL: 'SILENT', ...env },
    });

  it('every bundle loads in a fresh Node process and exports its handler', () => {
    const names = Object.keys(functions);
    const script = `const out={};for(const n of ${JSON.stringify(names)}){try{out[n]=typeof require(${JSON.stringify(outdir)}+'/'+n+'.js').handler}catch(e){out[n]=String(e)}}process.stdout.write(JSON.stringify(out))`;
    const loaded = JSON.parse(node(script)) as Record<string, string>;
    expect(loaded).toEqual(Object.fromEntries(names.map((n) => [n, 'function'])));
  });

  /** Run a bundled handler in a fresh Node process, as Lambda runs it, against moto; its answer or its error. */
  const runBundle = (fn: string, event: unknown): { error?: string; message?: string } & Record<string, unknown> => {
    const input = join(outdir, `${fn}-event.json`);
    writeFileSync(input, JSON.stringify(event));
    const script = `const {handler}=require(${JSON.stringify(join(outdir, `${fn}.js`))});const ev=JSON.parse(require('fs').readFileSync(${JSON.stringify(input)},'utf8'));
handler(ev,{getRemainingTimeInMillis:()=>60000,functionName:${JSON.stringify(fn)},awsRequestId:'r-1'}).then(r=>process.stdout.write(JSON.stringify(r)),e=>process.stdout.write(JSON.stringify({error:e.name,message:e.message})));`;
    return JSON.parse(node(script, { AWS_ENDPOINT_URL: moto.endpoint })) as { error?: string; message?: string } & Record<string, unknown>;
  };

  it('the bundled EC2, IAM and S3 steps, run as Lambda runs them, make their resources in AWS (moto) with our tags', async () => {
    const config = testConfig({}, 'bundle-run');
    // EC2 (query protocol: the serializer reads the shapes' ec2QueryName and xmlName keys the plugin made literal).
    const vpc = runBundle('CreateVpc', { config });
    expect(vpc.error).toBeUndefined();
    expect(vpc.vpcId).toMatch(/^vpc-/);
    const vpcs = await ec2Client({ region: config.region }).send(new DescribeVpcsCommand({ VpcIds: [vpc.vpcId as string] }));
    expect(vpcs.Vpcs?.[0]?.Tags).toEqual(expect.arrayContaining([{ Key: TAG_PROVISIONING_ID, Value: 'bundle-run' }]));
    expect(vpcs.Vpcs?.[0]?.CidrBlock).toBe(config.network.vpcCidr);
    // IAM (query protocol, documents in the answers) and S3 (REST-XML).
    const role = runBundle('CreateEksRole', { config });
    expect(role.error).toBeUndefined();
    const got = await iamClient({ region: config.region }).send(new GetRoleCommand({ RoleName: config.iamRole.name }));
    expect(got.Role?.Tags).toEqual(expect.arrayContaining([{ Key: TAG_PROVISIONING_ID, Value: 'bundle-run' }]));
    const bucket = runBundle('CreateBucket', { config });
    expect(bucket.error).toBeUndefined();
    const tagging = await s3Client({ region: config.region }).send(new GetBucketTaggingCommand({ Bucket: config.bucket.name }));
    expect(tagging.TagSet).toEqual(expect.arrayContaining([{ Key: TAG_PROVISIONING_ID, Value: 'bundle-run' }]));
    // Run again, the bundled step finds the VPC it made (idempotent, as the sources are).
    const again = runBundle('CreateVpc', { config });
    expect(again.vpcId).toBe(vpc.vpcId);
  });

  it("the schema rewrite makes literal only the keys that name the module's own const strings", () => {
    const text = ['const _xN = "xmlName";', 'let _v = "x";', 'export var A$ = [3, n0, _A, 0, [_F], [[() => L, { [_xN]: _Fi }], { [_v]: 1 }, { [_other]: 2 }]];'].join('\n');
    const out = literalSchemaKeys(text);
    expect(out.rewritten).toBe(1);
    expect(out.text).toContain('{ "xmlName": _Fi }');
    expect(out.text).toContain('{ [_v]: 1 }');
    expect(out.text).toContain('{ [_other]: 2 }');
    expect(SCHEMA_MODULE.test('/x/node_modules/@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js')).toBe(true);
    expect(SCHEMA_MODULE.test('/x/node_modules/@aws-sdk/client-ec2/dist-cjs/index.js')).toBe(false);
  });
});
