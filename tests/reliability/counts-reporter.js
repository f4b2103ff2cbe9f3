'use strict';
// A jest reporter: adds up what the reliability suites counted (tests/reliability/counts.ts: each test file writes its
// counts into this run's folder) and prints the totals at the end of the run; keeps them in .tmp/reliability-counts.json.
// Prints nothing when no reliability suite ran.
const { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const FIELDS = ['provisionings', 'teardowns', 'resourcesLeft', 'duplicates', 'serverErrors', 'ms'];

function total(files) {
  const sum = { provisionings: 0, teardowns: 0, faults: {}, resourcesLeft: 0, duplicates: 0, serverErrors: 0, seeds: [], ms: 0, suites: files.length };
  for (const c of files) {
    for (const f of FIELDS) sum[f] += c[f] || 0;
    for (const [k, v] of Object.entries(c.faults || {})) sum.faults[k] = (sum.faults[k] || 0) + v;
    sum.seeds.push(...(c.seeds || []));
  }
  sum.seeds = [...new Set(sum.seeds)];
  return sum;
}

function format(c) {
  const faults = Object.entries(c.faults).sort(([a], [b]) => a.localeCompare(b));
  const injected = faults.reduce((s, [, v]) => s + v, 0);
  return [
    `Reliability counts (${c.suites} suite file(s)${process.env.BYOC_SOAK ? ', soak' : ''}):`,
    `  provisionings run   ${c.provisionings}`,
    `  teardowns run       ${c.teardowns}`,
    `  faults injected     ${injected}${faults.length ? ` (${faults.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
    `  resources left      ${c.resourcesLeft}`,
    `  duplicates found    ${c.duplicates}`,
    `  5xx seen            ${c.serverErrors}`,
    ...(c.seeds.length ? [`  storm seeds         ${c.seeds.join(', ')}`] : []),
  ].join('\n');
}

class ReliabilityCountsReporter {
  constructor() {
    // Made before any test file runs; the workers inherit the variable.
    this.dir = mkdtempSync(join(tmpdir(), 'byoc-reliability-counts-'));
    process.env.BYOC_RELIABILITY_COUNTS_DIR = this.dir;
  }

  onRunComplete() {
    let files = [];
    try {
      files = readdirSync(this.dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(this.dir, f), 'utf8')));
    } catch {
      files = [];
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (files.length === 0) return;
    const sum = total(files);
    process.stdout.write(`\n${format(sum)}\n`);
    const out = join(__dirname, '..', '..', '.tmp');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, process.env.BYOC_SOAK ? 'soak-counts.json' : 'reliability-counts.json'), `${JSON.stringify(sum, null, 2)}\n`);
  }
}

module.exports = ReliabilityCountsReporter;
