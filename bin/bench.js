#!/usr/bin/env node
'use strict';
// `npm run bench`: print benchmark figures (bench/provision.ts). Quiet step logs; Node 20 SDK warning muted.
process.env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL || 'SILENT';
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w && !/NodeVersionSupportWarning|require node >=22/.test(`${w.name} ${w.message}`)) process.stderr.write(`${w.name}: ${w.message}\n`);
});
require('tsx/cjs');
require('../local/polyfills.ts');
require('../bench/provision.ts');
