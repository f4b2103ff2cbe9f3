import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  configuredPython,
  decideMoto,
  displayPath,
  ensureMoto,
  MIN_PYTHON,
  MOTO_VERSION,
  MotoMissingError,
  nodeSystem,
  PROBE_SCRIPT,
  probePython,
  tryLockFile,
  venvPythonOf,
  type MotoFacts,
  type MotoSystem,
  type PythonFacts,
  type RunResult,
} from '../../../local/moto-setup';

const DIR = '/project/.byoc/moto-venv';
const VENV_PY = '/project/.byoc/moto-venv/bin/python';

/** A Python that runs, with venv and ensurepip, and no moto. */
const bare = (over: Partial<PythonFacts> = {}): PythonFacts => ({
  command: 'python3',
  runs: true,
  version: '3.11.7',
  motoError: "ModuleNotFoundError: No module named 'moto'",
  venvModule: true,
  ensurepip: true,
  ...over,
});
const facts = (configured: PythonFacts, venv: Partial<MotoFacts['venv']> = {}): MotoFacts => ({
  configured,
  venv: { dir: DIR, python: VENV_PY, exists: false, ...venv },
});

describe('decideMoto (pure)', () => {
  it('found: the configured Python imports moto, whatever state the venv is in', () => {
    expect(decideMoto(facts(bare({ moto: '5.1.0', motoError: undefined })))).toEqual({ kind: 'found', python: 'python3', motoVersion: '5.1.0' });
    expect(decideMoto(facts(bare({ moto: '5.2.1' }), { exists: true, facts: { command: VENV_PY, runs: false, error: 'gone' } })).kind).toBe('found');
  });

  it('use-venv: the configured Python has no moto, our venv has the pinned one', () => {
    const venv = { exists: true, facts: bare({ command: VENV_PY, moto: MOTO_VERSION }) };
    expect(decideMoto(facts(bare(), venv))).toEqual({ kind: 'use-venv', python: VENV_PY, dir: DIR, motoVersion: MOTO_VERSION });
    // Even with no usable configured Python (the venv has its own).
    expect(decideMoto(facts({ command: 'python3', runs: false, error: 'ENOENT' }, venv)).kind).toBe('use-venv');
  });

  it('set-up: no venv yet, the configured Python can make one', () => {
    expect(decideMoto(facts(bare()))).toEqual({ kind: 'set-up', basePython: 'python3', dir: DIR, python: VENV_PY, motoVersion: MOTO_VERSION });
  });

  it('set-up with rebuild: the venv is broken, lacks moto, or has another version than the pin', () => {
    const broken = decideMoto(facts(bare(), { exists: true, facts: { command: VENV_PY, runs: false, error: 'ENOENT' } }));
    expect(broken).toMatchObject({ kind: 'set-up', rebuild: expect.stringMatching(/does not run.*ENOENT/) });
    const empty = decideMoto(facts(bare(), { exists: true, facts: bare({ command: VENV_PY }) }));
    expect(empty).toMatchObject({ kind: 'set-up', rebuild: expect.stringMatching(/moto does not import.*No module named/) });
    const old = decideMoto(facts(bare(), { exists: true, facts: bare({ command: VENV_PY, moto: '5.0.0' }) }));
    expect(old).toMatchObject({ kind: 'set-up', rebuild: `it has moto 5.0.0, not ${MOTO_VERSION}` });
    // The pin is a parameter: a bumped pin rebuilds a venv of the old one.
    const bumped = decideMoto(facts(bare(), { exists: true, facts: bare({ command: VENV_PY, moto: MOTO_VERSION }) }), '9.9.9');
    expect(bumped).toMatchObject({ kind: 'set-up', motoVersion: '9.9.9' });
  });

  it('cannot-set-up: no Python at all', () => {
    const decision = decideMoto(facts({ command: '/nope/python3', runs: false, error: '"/nope/python3" could not be run: spawn /nope/python3 ENOENT' }));
    expect(decision).toMatchObject({ kind: 'cannot-set-up', missing: 'python', reason: expect.stringContaining('ENOENT') });
    expect(decision.kind === 'cannot-set-up' && decision.fix).toMatch(/Install Python 3\.10\+/);
  });

  it('cannot-set-up: a Python too old for the pinned moto', () => {
    const decision = decideMoto(facts(bare({ version: '3.8.10' })));
    expect(decision).toMatchObject({ kind: 'cannot-set-up', missing: 'python', reason: expect.stringMatching(/3\.8\.10.*needs Python 3\.10\+/) });
    expect(decideMoto(facts(bare({ version: `${MIN_PYTHON[0]}.${MIN_PYTHON[1]}.0` }))).kind).toBe('set-up');
    expect(decideMoto(facts(bare({ version: '4.0.0' }))).kind).toBe('set-up');
  });

  it('cannot-set-up: no venv module, or no ensurepip (Debian without python3-venv), naming the package', () => {
    const noVenv = decideMoto(facts(bare({ venvModule: false })));
    expect(noVenv).toMatchObject({ kind: 'cannot-set-up', missing: 'venv', fix: expect.stringContaining('sudo apt-get install python3-venv (or python3.11-venv') });
    const noPip = decideMoto(facts(bare({ ensurepip: false })));
    expect(noPip).toMatchObject({ kind: 'cannot-set-up', missing: 'pip', reason: expect.stringContaining('ensurepip'), fix: expect.stringContaining('python3-venv') });
  });
});

/** A fake machine: Pythons answer the probe from a table; every command and file operation is recorded. */
function fakeSystem(pythons: Record<string, PythonFacts | 'missing'>, options: { venvExists?: boolean; onRun?: (cmd: string, args: readonly string[]) => RunResult | undefined; lockHeldFor?: number } = {}) {
  const calls: string[] = [];
  const logs: string[] = [];
  let clock = 0;
  let venvExists = options.venvExists ?? false;
  let lockHeldFor = options.lockHeldFor ?? 0;
  let locked = false;
  const probeAnswer = (cmd: string): RunResult => {
    const py = pythons[cmd];
    if (!py || py === 'missing') return { status: null, stdout: '', stderr: '', error: `spawn ${cmd} ENOENT` };
    if (!py.runs) return { status: 1, stdout: '', stderr: py.error ?? '' };
    const answer = { version: py.version, moto: py.moto, motoError: py.motoError, venv: py.venvModule, ensurepip: py.ensurepip };
    return { status: 0, stdout: `${JSON.stringify(answer)}\n`, stderr: '' };
  };
  const system: MotoSystem = {
    async run(cmd, args) {
      const isProbe = args[0] === '-c' && args[1] === PROBE_SCRIPT;
      calls.push(isProbe ? `probe ${cmd}` : `${cmd} ${args.join(' ')}`);
      const scripted = isProbe ? undefined : options.onRun?.(cmd, args);
      if (scripted) return scripted;
      if (isProbe) return probeAnswer(cmd);
      if (args[1] === 'venv') venvExists = true;
      return { status: 0, stdout: '', stderr: '' };
    },
    exists: () => venvExists,
    remove: (path) => {
      calls.push(`remove ${path}`);
      venvExists = false;
    },
    mkdir: () => undefined,
    tryLock: () => {
      if (lockHeldFor > 0 || locked) return false;
      locked = true;
      calls.push('lock');
      return true;
    },
    unlock: () => {
      locked = false;
      calls.push('unlock');
    },
    async sleep(ms) {
      clock += ms;
      lockHeldFor -= 1;
    },
    now: () => clock,
    log: (line) => logs.push(line),
  };
  return { system, calls, logs, setPython: (cmd: string, py: PythonFacts) => (pythons[cmd] = py) };
}

describe('ensureMoto (side effects faked: nothing is installed, no network)', () => {
  const stateDir = '/project/.byoc';
  const run = (fake: ReturnType<typeof fakeSystem>, python = 'python3') => ensureMoto({ python, stateDir, system: fake.system, platform: 'linux' });

  it('found: one probe of the configured Python, nothing else, no output', async () => {
    const fake = fakeSystem({ python3: bare({ moto: '5.2.1' }) });
    await expect(run(fake)).resolves.toBe('python3');
    expect(fake.calls).toEqual(['probe python3']);
    expect(fake.logs).toEqual([]);
  });

  it('use-venv: probes the venv and uses it, installs nothing', async () => {
    const fake = fakeSystem({ python3: bare(), [VENV_PY]: bare({ command: VENV_PY, moto: MOTO_VERSION }) }, { venvExists: true });
    await expect(run(fake)).resolves.toBe(VENV_PY);
    expect(fake.calls).toEqual(['probe python3', `probe ${VENV_PY}`]);
    expect(fake.logs).toEqual([]);
  });

  it('set-up: makes the venv with the machine Python, installs the pinned moto with its pip, checks it, says so', async () => {
    const fake = fakeSystem({ python3: bare() }, {
      onRun: (cmd, args) => {
        // pip "installs" moto: from now on the venv's Python imports it.
        if (args.includes('install')) fake.setPython(VENV_PY, bare({ command: VENV_PY, moto: MOTO_VERSION }));
        return undefined;
      },
    });
    await expect(run(fake)).resolves.toBe(VENV_PY);
    expect(fake.calls).toEqual([
      'probe python3',
      'lock',
      `python3 -m venv ${DIR}`,
      `${VENV_PY} -m pip install --disable-pip-version-check --no-input --quiet moto[server]==${MOTO_VERSION}`,
      `probe ${VENV_PY}`,
      'unlock',
    ]);
    expect(fake.logs[0]).toBe(`Setting up moto ${MOTO_VERSION} in ${displayPath(DIR)} (first run only)...`);
    expect(fake.logs[1]).toMatch(/is ready.*later runs reuse it/);
  });

  it('set-up over a broken venv: removes it first, then rebuilds', async () => {
    const fake = fakeSystem({ python3: bare(), [VENV_PY]: { command: VENV_PY, runs: false, error: 'bad interpreter' } }, {
      venvExists: true,
      onRun: (_cmd, args) => {
        if (args.includes('install')) fake.setPython(VENV_PY, bare({ command: VENV_PY, moto: MOTO_VERSION }));
        return undefined;
      },
    });
    await expect(run(fake)).resolves.toBe(VENV_PY);
    expect(fake.calls.slice(0, 5)).toEqual(['probe python3', `probe ${VENV_PY}`, 'lock', `remove ${DIR}`, `python3 -m venv ${DIR}`]);
    expect(fake.logs[0]).toMatch(/does not work \(its Python does not run.*\): rebuilding it/);
  });

  it('cannot-set-up: the error names what is missing and how to get it, and nothing is run', async () => {
    const fake = fakeSystem({ python3: bare({ ensurepip: false }) });
    const error = await run(fake).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MotoMissingError);
    expect((error as Error).message).toMatch(/cannot set it up: .*no ensurepip/);
    expect((error as Error).message).toMatch(/sudo apt-get install python3-venv/);
    expect((error as Error).message).toMatch(/pip install "moto\[server\]"/);
    expect(fake.calls).toEqual(['probe python3']);
  });

  it('cannot-set-up without any Python names the Python', async () => {
    const fake = fakeSystem({ python3: 'missing' });
    await expect(run(fake)).rejects.toThrow(/no Python to set it up with: "python3" could not be run: spawn python3 ENOENT/);
  });

  it('pip fails (offline): says pip could not install the pin and why, removes the half-made venv, releases the lock', async () => {
    const fake = fakeSystem({ python3: bare() }, {
      onRun: (_cmd, args) =>
        args.includes('install')
          ? { status: 1, stdout: '', stderr: 'WARNING: Retrying...\nERROR: Could not find a version that satisfies the requirement moto[server]==5.2.1' }
          : undefined,
    });
    const error = await run(fake).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MotoMissingError);
    expect((error as Error).message).toMatch(/pip could not install moto\[server\]==5\.2\.1 .*Could not find a version/);
    expect((error as Error).message).toMatch(/network access/);
    expect(fake.calls.slice(-2)).toEqual([`remove ${DIR}`, 'unlock']);
  });

  it('venv creation fails for want of ensurepip: names python3-venv', async () => {
    const fake = fakeSystem({ python3: bare() }, {
      onRun: (_cmd, args) =>
        args[1] === 'venv'
          ? { status: 1, stdout: 'The virtual environment was not created successfully because ensurepip is not available.', stderr: '' }
          : undefined,
    });
    await expect(run(fake)).rejects.toThrow(/-m venv .*failed: .*ensurepip[\s\S]*sudo apt-get install python3-venv/);
    expect(fake.calls.filter((c) => c.includes('pip install'))).toEqual([]);
  });

  it('another process is setting up: waits for its lock, then uses its venv without installing', async () => {
    const fake = fakeSystem({ python3: bare() }, { lockHeldFor: 3 });
    // The other process finishes while we wait.
    const originalSleep = fake.system.sleep;
    fake.system.sleep = async (ms) => {
      await originalSleep(ms);
      fake.setPython(VENV_PY, bare({ command: VENV_PY, moto: MOTO_VERSION }));
      fake.system.exists = () => true;
    };
    await expect(run(fake)).resolves.toBe(VENV_PY);
    expect(fake.logs).toEqual([`Waiting for another process setting up moto in ${displayPath(DIR)}...`]);
    expect(fake.calls.filter((c) => c.includes('install') || c.includes('-m venv'))).toEqual([]);
    expect(fake.calls.slice(-1)).toEqual(['unlock']);
  });

  it('gives up waiting on a lock held too long, saying which file to delete', async () => {
    const fake = fakeSystem({ python3: bare() }, { lockHeldFor: 1_000_000 });
    await expect(ensureMoto({ python: 'python3', stateDir, system: fake.system, platform: 'linux', lockWaitMs: 5000 })).rejects.toThrow(/moto-venv\.lock/);
  });
});

describe('helpers', () => {
  it("the probe script runs on this machine's Python and answers every field", async () => {
    const answer = await probePython(nodeSystem(), configuredPython());
    expect(answer).toMatchObject({ runs: true, version: expect.stringMatching(/^3\.\d+\.\d+$/), venvModule: expect.any(Boolean), ensurepip: expect.any(Boolean) });
    expect(answer.moto ?? answer.motoError).toEqual(expect.any(String));
  });

  it('a command that is not Python is reported as such', async () => {
    expect(await probePython(nodeSystem(), '/bin/false')).toMatchObject({ runs: false, error: expect.stringMatching(/not a working Python \(exit 1\)/) });
    expect(await probePython(nodeSystem(), '/nonexistent/python3')).toMatchObject({ runs: false, error: expect.stringMatching(/could not be run/) });
  });

  it('the venv Python per platform', () => {
    expect(venvPythonOf('/s/moto-venv', 'linux')).toBe('/s/moto-venv/bin/python');
    expect(venvPythonOf('/s/moto-venv', 'win32')).toMatch(/Scripts.python\.exe$/);
  });

  it('paths are shown relative to the working folder when inside it', () => {
    expect(displayPath('/w/p/.byoc/moto-venv', '/w/p')).toBe('.byoc/moto-venv');
    expect(displayPath('/elsewhere/moto-venv', '/w/p')).toBe('/elsewhere/moto-venv');
  });

  it('the setup lock: one holder at a time, a dead holder is taken over', () => {
    const dir = mkdtempSync(join(tmpdir(), 'byoc-lock-'));
    try {
      const lock = join(dir, 'moto-venv.lock');
      expect(tryLockFile(lock)).toBe(true);
      expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
      expect(tryLockFile(lock)).toBe(false); // held by a live process (this one)
      writeFileSync(lock, '2147483646'); // a pid that is not running
      expect(tryLockFile(lock)).toBe(true);
      expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
