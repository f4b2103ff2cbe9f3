// Types for deploy/esbuild-plugins.js (plain CommonJS: serverless-esbuild requires it as is).
import type { Plugin } from 'esbuild';

/** The schema modules the plugin rewrites: `@aws-sdk/client-*` ES builds' `dist-es/schemas/schemas_N.js`. */
export const SCHEMA_MODULE: RegExp;
/** A schema module's text with every computed key that names a top-level const string made literal. */
export function literalSchemaKeys(text: string): { text: string; rewritten: number };

declare const plugins: Plugin[] & { literalSchemaKeys: typeof literalSchemaKeys; SCHEMA_MODULE: RegExp };
export default plugins;
