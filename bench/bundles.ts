import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { deployedEsbuildOptions, loadServerlessConfig } from '../tests/helpers/serverless-config';

export interface BundleFigure {
  name: string;
  /** Zipped size (deflate at level 9, as the framework's zip, plus the zip headers). */
  bytes: number;
  /** Median time to `require` the bundle in a fresh Node process (the part of a cold start that is ours). */
  loadMs: number;
}

/**
 * Every function of serverless.yml bundled as the deploy bundles it (serverless-esbuild with the options of
 * `custom.esbuild`: bundle, minify, keepNames, ES module builds first, the SDK's unused shapes dropped, node20, cjs,
 * the AWS SDK inside), then zipped and loaded.
 */
export async function bundleFigures(root: string, loads = 3): Promise<BundleFigure[]> {
  const config = loadServerlessConfig() as unknown as { functions: Record<string, { handler: string }> };
  const entries = Object.fromEntries(Object.entries(config.functions).map(([name, fn]) => [name, join(root, `${fn.handler.replace(/\.[^.]+$/, '')}.ts`)]));
  const outdir = mkdtempSync(join(tmpdir(), 'byoc-bundles-'));
  try {
    await build({ ...deployedEsbuildOptions(), entryPoints: entries, outdir, logLevel: 'silent' });
    const figures: BundleFigure[] = [];
    for (const name of Object.keys(entries)) {
      const file = join(outdir, `${name}.js`);
      const code = readFileSync(file);
      const bytes = deflateRawSync(code, { level: 9 }).length + 22 + 2 * (46 + `${name}.js`.length);
      const times: number[] = [];
      for (let i = 0; i < loads; i++) {
        const out = execFileSync(process.execPath, ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`], {
          env: { PATH: process.env.PATH, AWS_REGION: 'us-west-2', POWERTOOLS_LOG_LEVEL: 'SILENT' },
          encoding: 'utf8',
        });
        times.push(Number(out));
      }
      times.sort((a, b) => a - b);
      figures.push({ name, bytes, loadMs: Math.round(times[Math.floor(times.length / 2)] * 10) / 10 });
    }
    return figures.sort((a, b) => b.bytes - a.bytes);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
