import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildOptions, Plugin } from 'esbuild';
import * as yaml from 'js-yaml';

/** CloudFormation's short-form tags (!GetAtt, !Sub, !Ref...), read as plain data so tests can look inside. */
const cfnTags = ['GetAtt', 'Sub', 'Ref', 'Join', 'If', 'Equals', 'Select', 'Split', 'ImportValue'].flatMap((name) =>
  (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(`!${name}`, { kind, construct: (data: unknown) => ({ [`Fn::${name}`]: data }) })),
);
const schema = yaml.DEFAULT_SCHEMA.extend(cfnTags);

export interface ServerlessConfig {
  functions: Record<string, { handler: string; role?: string; events?: unknown[] }>;
  stepFunctions: { stateMachines: Record<string, { id: string; definition: string }> };
  resources: { extensions: Record<string, { Properties: { DefinitionSubstitutions: Record<string, { 'Fn::GetAtt': string }> } }>; Resources: Record<string, unknown> };
}

/** serverless.yml, parsed (variables like ${file(...)} are left as text). */
export function loadServerlessConfig(): ServerlessConfig {
  return yaml.load(readFileSync(join(__dirname, '..', '..', 'serverless.yml'), 'utf8'), { schema }) as ServerlessConfig;
}

/**
 * serverless.yml's `custom.esbuild` as esbuild options: what the deploy bundles with (serverless-esbuild's own
 * `exclude` aside, and `plugins` loaded from the file it names), for the bench and the bundle tests.
 */
export function deployedEsbuildOptions(): BuildOptions {
  const config = loadServerlessConfig() as unknown as { custom: { esbuild: Omit<BuildOptions, 'plugins'> & { exclude?: string[]; plugins?: string } } };
  const { exclude: _exclude, plugins, ...options } = config.custom.esbuild;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return { ...options, ...(plugins ? { plugins: [...(require(join(__dirname, '..', '..', plugins)) as Plugin[])] } : {}) };
}
