#!/usr/bin/env node
'use strict';
// `npm run soak`: the reliability suites at soak size (BYOC_SOAK=1, tests/reliability/reliability-stack.ts SCALE):
// 100 provisionings at once, five storm seeds at 20%, every create and delete operation losing its answers alone.
// Outside CI (it takes a while); one file at a time, so the timings printed are the suites' own. Prints the counts.
const { spawnSync } = require('node:child_process');
const { mkdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const tmp = join(root, '.tmp');
mkdirSync(tmp, { recursive: true });
const suites = ['fault-matrix', 'crash-after-acting', 'storm', 'concurrency', 'cannot-finish'].map((s) => `tests/reliability/${s}.test.ts`);
const started = Date.now();
const jest = spawnSync(join(root, 'node_modules', '.bin', 'jest'), ['--runInBand', ...suites, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, BYOC_SOAK: '1', TMPDIR: tmp },
});
process.stdout.write(`soak: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
process.exit(jest.status === null ? 1 : jest.status);
