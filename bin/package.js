#!/usr/bin/env node
'use strict';
// `npm run package [-- --stage prod --region eu-central-1]`: build the CloudFormation template and one zip per
// function into .serverless/, offline. Needs no AWS account: dummy credentials are used when none are set.
const { spawnSync } = require('node:child_process');
const { mkdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const tmp = join(root, '.tmp');
mkdirSync(tmp, { recursive: true });
const env = {
  ...process.env,
  // serverless-esbuild leaves a folder per function in TMPDIR on every run: keep them in the project's .tmp.
  TMPDIR: tmp,
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
};
if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
  env.AWS_ACCESS_KEY_ID = 'packaging-only';
  env.AWS_SECRET_ACCESS_KEY = 'packaging-only';
}
const args = process.argv.slice(2);
const sls = join(root, 'node_modules', 'osls', 'bin', 'serverless.js');
const result = spawnSync(process.execPath, [sls, 'package', ...args], { cwd: root, env, stdio: 'inherit' });
process.exit(result.status === null ? 1 : result.status);
