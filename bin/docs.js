#!/usr/bin/env node
'use strict';
// `npm run docs`: regenerate docs/openapi.yaml and docs/state-machines.md from the code and the ASL files.
require('tsx/cjs');
const { writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const docs = require('../local/docs.ts');
const dir = join(__dirname, '..', 'docs');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'openapi.yaml'), docs.openApiYaml());
writeFileSync(join(dir, 'state-machines.md'), docs.stateMachinesMarkdown());
process.stdout.write('wrote docs/openapi.yaml and docs/state-machines.md\n');
