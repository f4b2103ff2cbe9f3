#!/usr/bin/env node
'use strict';
// `npm run docs`: regenerate docs/openapi.yaml and docs/state-machines.md from the code and the ASL files, and the
// update-rules table of docs/requirements.md (only the text between its markers) from shared/update/plan.ts.
require('tsx/cjs');
const { readFileSync, writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const docs = require('../local/docs.ts');
const dir = join(__dirname, '..', 'docs');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'openapi.yaml'), docs.openApiYaml());
writeFileSync(join(dir, 'state-machines.md'), docs.stateMachinesMarkdown());
const requirements = join(dir, 'requirements.md');
writeFileSync(requirements, docs.withUpdateRulesTable(readFileSync(requirements, 'utf8')));
process.stdout.write('wrote docs/openapi.yaml and docs/state-machines.md, and the update-rules table of docs/requirements.md\n');
