'use strict';
/**
 * esbuild plugins for the Lambda bundles (serverless.yml `custom.esbuild.plugins: deploy/esbuild-plugins.js`; the
 * bench and the bundle tests build with the same list). Plain CommonJS: serverless-esbuild `require`s this file.
 *
 * **sdk-schema-literal-keys** (docs/decisions.md 29). Each AWS SDK v3 client's ES build keeps every shape of its
 * service in one module (`dist-es/schemas/schemas_0.js`), written as
 *
 *     const _xN = "xmlName";
 *     export var DescribeVpcsRequest$ = [3, n0, _DVR, 0, [...], [[() => FilterList, { [_xN]: _Fil }], ...]];
 *
 * An object literal with a computed key may run code (the key's `toString`), so esbuild must keep every such
 * declaration, and with it every shape of the service (EC2: about 540 KB in each function that calls EC2). Here a
 * computed key that names one of the module's own top-level `const` string literals is replaced by that literal
 * (`{ [_xN]: _Fil }` becomes `{ "xmlName": _Fil }`): the same object, now free of side effects, so esbuild keeps only
 * the shapes the function's commands reach. Any other computed key is left as it is. The rewrite reads only the SDK's
 * own file; tests/integration/bundle-runs.test.ts runs bundled steps against moto (EC2, IAM, S3) to prove the
 * serializers still speak each protocol.
 */
const { readFile } = require('node:fs/promises');

/** `schemas_0.js` of an `@aws-sdk/client-*` package's ES build (Windows paths too). */
const SCHEMA_MODULE = /@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/** Rewrite one schema module's text; returns the text and how many keys were made literal. */
function literalSchemaKeys(text) {
  const strings = new Map();
  for (const m of text.matchAll(/^const (_[A-Za-z0-9]+) = ("(?:[^"\\\n]|\\.)*");$/gm)) strings.set(m[1], m[2]);
  let rewritten = 0;
  const out = text.replace(/\[(_[A-Za-z0-9]+)\]:/g, (whole, name) => {
    const literal = strings.get(name);
    if (literal === undefined) return whole;
    rewritten++;
    return `${literal}:`;
  });
  return { text: out, rewritten };
}

const sdkSchemaLiteralKeys = {
  name: 'sdk-schema-literal-keys',
  setup(build) {
    build.onLoad({ filter: SCHEMA_MODULE }, async (args) => ({ contents: literalSchemaKeys(await readFile(args.path, 'utf8')).text, loader: 'js' }));
  },
};

module.exports = [sdkSchemaLiteralKeys];
module.exports.literalSchemaKeys = literalSchemaKeys;
module.exports.SCHEMA_MODULE = SCHEMA_MODULE;
