import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { deployedEsbuildOptions, loadServerlessConfig } from '../helpers/serverless-config';

/**
 * What the Lambdas ship (issue 13, Security; decision 25). Each function is bundled as packaging bundles it
 * (esbuild with serverless.yml's `custom.esbuild` options, one bundle per function, with a metafile), and every
 * third-party package inside each bundle is listed with its licence (its package.json `license`). It fails on:
 *
 * - **a licence outside the permissive allow-list** (MIT, ISC, Apache-2.0, BSD-2/3-Clause, 0BSD, ...), which
 *   catches every copyleft one (GPL, LGPL, AGPL, MPL, EPL, EUPL, CDDL, SSPL, ...) and a missing or unknown one;
 * - **a package the function does not need**: "need" comes from the function's IAM role in serverless.yml, not from
 *   its code. A role that may call EC2 needs @aws-sdk/client-ec2; one that may `sts:AssumeRole` (act in a customer
 *   account) needs @aws-sdk/client-sts and @aws-sdk/credential-providers; every function may use the small runtime
 *   every handler is built on (Powertools logger, middy, Ajv). A package is needed when it is one of those roots or
 *   a dependency (package.json `dependencies`, `optionalDependencies`, `peerDependencies`, resolved as Node does)
 *   of a needed package. So a network step shipping @aws-sdk/client-iam, an API route shipping the assume-role
 *   provider, or any devDependency (the AGPL IAM simulator, the local engine) in any bundle fails;
 * - **a devDependency** reaching a bundle (package-lock marks those `dev`).
 *
 * It prints the table: per function, its role, its size and each package with its licence.
 */

const root = join(__dirname, '..', '..');

/** SPDX identifiers a bundle may contain: permissive, no copyleft or network clause, compatible with Apache-2.0. */
const PERMISSIVE = new Set(['MIT', 'MIT-0', 'ISC', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'Unlicense', 'CC0-1.0', 'BlueOak-1.0.0', 'Python-2.0']);
/** Named in the failure message when found (any licence outside PERMISSIVE fails anyway). */
const COPYLEFT = /\b(A?GPL|LGPL|MPL|EPL|EUPL|CDDL|SSPL|OSL|CPAL|CC-BY-SA|RPL|QPL|Sleepycat|Artistic)/i;

/** Every handler may use these: the structured logger, the middleware engine and its JSON body parser, the schema validator. */
const RUNTIME = ['@aws-lambda-powertools/logger', '@middy/core', '@middy/util', '@middy/http-json-body-parser', 'ajv', 'ajv-formats'];

/** The SDK packages an IAM service prefix of a function's role calls for. `logs` and `xray` need none (the runtime writes logs). */
const SDK_FOR_SERVICE: Record<string, string[]> = {
  ec2: ['@aws-sdk/client-ec2'],
  iam: ['@aws-sdk/client-iam'],
  route53: ['@aws-sdk/client-route-53'],
  s3: ['@aws-sdk/client-s3'],
  sts: ['@aws-sdk/client-sts', '@aws-sdk/credential-providers'],
  dynamodb: ['@aws-sdk/client-dynamodb', '@aws-sdk/util-dynamodb'],
  states: ['@aws-sdk/client-sfn'],
  lambda: ['@aws-sdk/client-lambda'],
  eks: ['@aws-sdk/client-eks'],
  elasticloadbalancing: ['@aws-sdk/client-elastic-load-balancing-v2'],
  servicequotas: ['@aws-sdk/client-service-quotas'],
  events: ['@aws-sdk/client-eventbridge'],
  scheduler: ['@aws-sdk/client-scheduler'],
  sns: ['@aws-sdk/client-sns'],
  logs: [],
  xray: [],
};

type Statement = { Action: string | string[] };
type Role = { Type: string; Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } };

/** A package as installed: where, its name, version and licence. */
interface Installed {
  dir: string;
  name: string;
  version: string;
  license: string;
  dependencies: string[];
}

const packageCache = new Map<string, Installed>();
function installed(dir: string): Installed {
  const found = packageCache.get(dir);
  if (found) return found;
  const json = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    license?: string | { type: string };
    licenses?: { type: string }[];
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const license = typeof json.license === 'string' ? json.license : json.license?.type ?? json.licenses?.map((l) => l.type).join(' OR ') ?? '';
  const pkg = { dir, name: json.name, version: json.version, license, dependencies: Object.keys({ ...json.dependencies, ...json.optionalDependencies, ...json.peerDependencies }) };
  packageCache.set(dir, pkg);
  return pkg;
}

/** Node's resolution of `name` from a package directory: its own node_modules, then each parent's. */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(root, candidate, 'package.json'))) return candidate;
    if (dir === '.' || dir === '') return undefined;
  }
}

/** The package directory (`node_modules/@scope/name`, possibly nested) a bundled file belongs to. */
function packageDirOf(input: string): string | undefined {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const rest = input.slice(at + 'node_modules/'.length).split('/');
  return input.slice(0, at) + 'node_modules/' + (rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]);
}

/** Every package reachable from the roots through dependencies (resolved from the root of the project). */
function closure(roots: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = roots.map((name) => resolvePackage(name, '.')).filter((d): d is string => !!d);
  while (queue.length > 0) {
    const dir = queue.pop()!;
    if (seen.has(dir)) continue;
    seen.add(dir);
    for (const dep of installed(dir).dependencies) {
      const resolved = resolvePackage(dep, dir);
      if (resolved && !seen.has(resolved)) queue.push(resolved);
    }
  }
  return seen;
}

/** True when an SPDX expression is satisfied by permissive licences only (`A OR B`: one; `A AND B`: both). */
export function isPermissive(expression: string): boolean {
  const text = expression.replace(/[()]/g, ' ').trim();
  if (!text) return false;
  return text.split(/\s+OR\s+/).some((alternative) => alternative.split(/\s+AND\s+/).every((id) => PERMISSIVE.has(id.trim())));
}

/** The SDK packages a role's IAM actions call for; an unknown service prefix is an error (decide what it needs). */
function neededSdk(role: Role, roleName: string): string[] {
  const services = new Set((role.Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).map((a) => a.split(':')[0]))));
  return [...services].flatMap((service) => {
    const packages = SDK_FOR_SERVICE[service];
    if (!packages) throw new Error(`role ${roleName} allows ${service}:*, which SDK_FOR_SERVICE does not map to SDK packages: add it`);
    return packages;
  });
}

interface BundleReport {
  fn: string;
  role: string;
  bytes: number;
  packages: Installed[];
  problems: string[];
}

describe('what the Lambdas ship: third-party packages and their licences, per bundle (esbuild metafile)', () => {
  const config = loadServerlessConfig() as ReturnType<typeof loadServerlessConfig> & { custom: { esbuild: Record<string, unknown> } };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  const reports: BundleReport[] = [];

  beforeAll(async () => {
    const started = Date.now();
    const esbuildOptions = deployedEsbuildOptions();
    const functions = Object.entries(config.functions);
    const entries = functions.map(([, f]) => join(root, f.handler.replace(/\.[^.]+$/, '.ts')));
    // One build, one bundle per function (no code splitting: each output is what that function's zip holds).
    const result = await build({ ...esbuildOptions, entryPoints: entries, outdir: join(root, '.tmp', 'bundles'), write: false, metafile: true, logLevel: 'silent', absWorkingDir: root });
    const outputs = Object.values((result.metafile as Metafile).outputs).filter((o) => o.entryPoint);
    for (const [fn, f] of functions) {
      const entry = relative(root, join(root, f.handler.replace(/\.[^.]+$/, '.ts')));
      const output = outputs.find((o) => o.entryPoint === entry);
      if (!output) throw new Error(`no bundle for ${fn} (${entry})`);
      const roleName = String(f.role);
      const role = config.resources.Resources[roleName] as Role | undefined;
      const problems: string[] = [];
      if (!role || role.Type !== 'AWS::IAM::Role') problems.push(`its role ${roleName} is not an AWS::IAM::Role of serverless.yml`);
      const needed = closure([...RUNTIME, ...(role ? neededSdk(role, roleName) : [])]);
      const dirs = [...new Set(Object.keys(output.inputs).map(packageDirOf).filter((d): d is string => !!d))];
      const packages = dirs.map(installed).sort((a, b) => a.name.localeCompare(b.name));
      for (const pkg of packages) {
        if (!isPermissive(pkg.license)) problems.push(`${pkg.name}@${pkg.version} is licensed ${pkg.license || '(no licence)'}${COPYLEFT.test(pkg.license) ? ' (copyleft)' : ''}: not on the permissive allow-list`);
        if (!needed.has(pkg.dir)) problems.push(`${pkg.name} is not needed: role ${roleName} allows no service it serves, and no needed package depends on it`);
        if (lock.packages[pkg.dir]?.dev) problems.push(`${pkg.name} is a devDependency`);
      }
      reports.push({ fn, role: roleName, bytes: output.bytes, packages, problems });
    }
    const licences = new Map<string, Set<string>>();
    for (const r of reports) for (const p of r.packages) (licences.get(p.license) ?? licences.set(p.license, new Set()).get(p.license)!).add(p.name);
    const sdkClients = (r: BundleReport) => r.packages.filter((p) => /^@aws-sdk\/client-/.test(p.name)).map((p) => p.name.replace('@aws-sdk/client-', ''));
    const rows = reports.map((r) => `  ${r.fn.padEnd(26)} ${r.role.padEnd(20)} ${(r.bytes / 1024).toFixed(0).padStart(5)} KiB ${String(r.packages.length).padStart(4)} pkgs  clients: ${sdkClients(r).join(', ') || '-'}`);
    const table = [...licences].map(([licence, names]) => `  ${licence.padEnd(14)} ${String(names.size).padStart(4)} packages${names.size <= 6 ? `: ${[...names].join(', ')}` : ''}`);
    const all = new Set(reports.flatMap((r) => r.packages.map((p) => `${p.name}@${p.version}`)));
    process.stdout.write(
      `\nbundles: ${reports.length} functions bundled in ${((Date.now() - started) / 1000).toFixed(1)} s; ${all.size} distinct third-party packages\n` +
        `${rows.join('\n')}\nlicences of the packages shipped:\n${table.join('\n')}\n` +
        `per package (name@version licence):\n${[...new Map(reports.flatMap((r) => r.packages.map((p) => [`${p.name}@${p.version}`, p.license] as const)))].sort().map(([n, l]) => `  ${n} ${l}`).join('\n')}\n`,
    );
  }, 180_000);

  it('bundles every function of serverless.yml', () => {
    expect(reports.map((r) => r.fn).sort()).toEqual(Object.keys(config.functions).sort());
    for (const r of reports) expect({ fn: r.fn, bytes: r.bytes > 1_000 }).toEqual({ fn: r.fn, bytes: true });
  });

  it('ships no copyleft, unknown or missing licence, no package the function does not need, and no devDependency', () => {
    expect(reports.filter((r) => r.problems.length > 0).map((r) => ({ fn: r.fn, problems: r.problems }))).toEqual([]);
  });

  it('each function ships only the AWS SDK clients its role may call (e.g. network steps EC2 and Route 53, never IAM)', () => {
    for (const r of reports) {
      const role = config.resources.Resources[r.role] as Role;
      const allowed = new Set(neededSdk(role, r.role));
      const clients = r.packages.map((p) => p.name).filter((n) => /^@aws-sdk\/(client-|credential-providers$)/.test(n));
      expect({ fn: r.fn, extra: clients.filter((c) => !allowed.has(c)) }).toEqual({ fn: r.fn, extra: [] });
    }
    const network = reports.find((r) => r.fn === 'CreateVpc')!;
    expect(network.packages.map((p) => p.name)).toContain('@aws-sdk/client-ec2');
    expect(network.packages.map((p) => p.name)).not.toContain('@aws-sdk/client-iam');
    // The API routes act in our own account only: no assume-role provider in their bundles.
    expect(reports.find((r) => r.fn === 'StartProvisioning')!.packages.map((p) => p.name)).not.toContain('@aws-sdk/credential-providers');
  });

  it('the rules can fail: copyleft and unknown licences, and a client another role needs, are refused', () => {
    for (const licence of ['GPL-3.0-only', 'AGPL-3.0-or-later', 'LGPL-2.1', 'MPL-2.0', 'EPL-2.0', 'SSPL-1.0', 'MIT AND GPL-2.0', '', 'UNLICENSED', 'SEE LICENSE IN LICENSE']) expect({ licence, ok: isPermissive(licence) }).toEqual({ licence, ok: false });
    for (const licence of ['MIT', 'Apache-2.0', '(MIT OR GPL-3.0)', 'BSD-3-Clause AND MIT', '0BSD']) expect({ licence, ok: isPermissive(licence) }).toEqual({ licence, ok: true });
    // The AGPL IAM simulator (a devDependency) is not reachable from any runtime root, and client-iam is not from EC2's.
    const forNetwork = closure([...RUNTIME, ...SDK_FOR_SERVICE.ec2, ...SDK_FOR_SERVICE.route53]);
    expect(forNetwork.has('node_modules/@aws-sdk/client-ec2')).toBe(true);
    expect(forNetwork.has('node_modules/@aws-sdk/client-iam')).toBe(false);
    expect(forNetwork.has('node_modules/@cloud-copilot/iam-simulate')).toBe(false);
    expect(installed('node_modules/@cloud-copilot/iam-simulate').license).toMatch(COPYLEFT);
  });
});
