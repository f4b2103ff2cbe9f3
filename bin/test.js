#!/usr/bin/env node
'use strict';
// `npm test`: type-check, lint, then every jest test (unit, integration on the embedded local stack, reliability),
// then one plain closing line "tests: N passed, N failed" that CI reads. Extra arguments go to jest.
const { spawnSync } = require('node:child_process');
const { mkdirSync, readFileSync, existsSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const tmp = join(root, '.tmp');
mkdirSync(tmp, { recursive: true });
const env = { ...process.env, TMPDIR: tmp };

const tsc = spawnSync(bin('tsc'), ['--noEmit', '-p', root], { cwd: root, stdio: 'inherit', env });
if (tsc.status !== 0) {
  process.stdout.write('typecheck failed\n');
  process.exit(tsc.status || 1);
}

const lint = spawnSync(bin('eslint'), ['.'], { cwd: root, stdio: 'inherit', env });
if (lint.status !== 0) {
  process.stdout.write('lint failed\n');
  process.exit(lint.status || 1);
}

const report = join(tmp, 'jest-report.json');
if (existsSync(report)) rmSync(report);
const jest = spawnSync(bin('jest'), ['--ci', '--json', '--outputFile', report, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit', env });
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const failed = r.numFailedTests + (r.numRuntimeErrorTestSuites || 0);
  process.stdout.write(`\ntests: ${r.numPassedTests} passed, ${failed} failed${r.numPendingTests ? `, ${r.numPendingTests} skipped` : ''}\n`);
}
process.exit(jest.status === null ? 1 : jest.status);
