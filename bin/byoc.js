#!/usr/bin/env node
'use strict';
// The `byoc` CLI (see local/cli/index.ts; one module per command in local/cli/commands/). Runs the TypeScript sources directly through tsx, so there is no build step.
const verbose = process.argv.includes('--verbose');
// The steps' logger reads its level once, at import: set it before anything loads them.
process.env.POWERTOOLS_LOG_LEVEL = verbose ? 'INFO' : process.env.POWERTOOLS_LOG_LEVEL || 'SILENT';
// The AWS SDK warns that Node 20 support ends; the local stack runs on the machine's Node on purpose.
process.on('warning', () => {});
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w && w.name !== 'NodeVersionSupportWarning' && !/require node >=22/.test(String(w.message))) process.stderr.write(`${w.name}: ${w.message}\n`);
});
require('tsx/cjs');
require('../local/cli/index.ts')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error) => {
    process.stderr.write(`byoc: unexpected error: ${(error && error.stack) || error}\n`);
    process.exit(1);
  });
