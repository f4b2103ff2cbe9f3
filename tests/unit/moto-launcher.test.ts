import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkMotoInstalled, MotoMissingError, startMoto } from '../../local/moto';

describe('the moto launcher without moto', () => {
  const saved = { python: process.env.BYOC_PYTHON, stateDir: process.env.BYOC_STATE_DIR };
  let stateDir: string;
  // An empty state folder: no venv of an earlier first run may stand in for the missing moto.
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'byoc-moto-'));
    process.env.BYOC_STATE_DIR = stateDir;
  });
  afterEach(() => {
    for (const [name, value] of [['BYOC_PYTHON', saved.python], ['BYOC_STATE_DIR', saved.stateDir]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('says how to install moto when Python is missing, before starting anything', async () => {
    process.env.BYOC_PYTHON = '/nonexistent/python3';
    expect(() => checkMotoInstalled()).toThrow(MotoMissingError);
    await expect(startMoto()).rejects.toThrow(/pip install "moto\[server\]"/);
    // ... and that the first run could not set it up, for want of a Python.
    await expect(startMoto()).rejects.toThrow(/cannot set it up: no Python/);
  });

  it('says how to install moto when the Python has no moto', async () => {
    // A "Python" whose import of moto.server fails.
    process.env.BYOC_PYTHON = '/bin/false';
    expect(() => checkMotoInstalled()).toThrow(/failed/);
    expect(() => checkMotoInstalled()).toThrow(/AWS_ENDPOINT_URL=/);
  });
});
