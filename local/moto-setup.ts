import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync, closeSync, existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

/**
 * Finding moto's server, or setting it up on the first run.
 *
 * The local stack runs moto with a Python. Where the configured Python (`BYOC_PYTHON`, else `python3`) already imports
 * moto's server (as on CI), that Python is used and nothing else happens. Otherwise the first run makes a private
 * virtual environment under the state folder (`<BYOC_STATE_DIR or .byoc>/moto-venv`) with the machine's own Python
 * (`-m venv`) and installs the pinned {@link MOTO_VERSION} into it with that environment's pip; later runs check that it
 * still works and use it (rebuilding it when it does not).
 *
 * The choice is {@link decideMoto}, a pure function of what {@link gatherMotoFacts} observed; every side effect
 * (running a command, files, the lock, waiting, the progress lines) goes through a {@link MotoSystem}, which tests fake.
 */

/** The moto the first run installs (`moto[server]==MOTO_VERSION`): the one the project is tested with. */
export const MOTO_VERSION = '5.2.1';
/** moto 5.2 needs Python 3.10+. */
export const MIN_PYTHON: readonly [number, number] = [3, 10];
/** The virtual environment's folder, inside the state folder. */
export const VENV_FOLDER = 'moto-venv';

/** Thrown when moto's server is neither installed nor could be set up, with what is missing and how to fix it. */
export class MotoMissingError extends Error {
  /**
   * @param detail why moto cannot run (the probe's error, or what the setup lacked)
   * @param fix the specific fix for that (e.g. the Debian package), printed before the general ones
   */
  constructor(detail: string, fix?: string) {
    super(
      `The local stack needs moto's server (${detail}).\n` +
        (fix ? `${fix}\n` : '') +
        `Install it with:  pip install "moto[server]"   (Python ${MIN_PYTHON.join('.')}+), or set BYOC_PYTHON to a Python that has it.\n` +
        `Or point at an AWS-compatible endpoint you run yourself: AWS_ENDPOINT_URL=http://127.0.0.1:4566`,
    );
    this.name = 'MotoMissingError';
  }
}

/** The configured Python: `BYOC_PYTHON` (when not empty), else `python3`. */
export const configuredPython = (env: NodeJS.ProcessEnv = process.env): string => env.BYOC_PYTHON || 'python3';

/** The venv folder for a state folder (default `BYOC_STATE_DIR`, else `./.byoc`). */
export const venvDirFor = (stateDir?: string, env: NodeJS.ProcessEnv = process.env): string =>
  resolve(stateDir ?? env.BYOC_STATE_DIR ?? '.byoc', VENV_FOLDER);

/** The Python inside a virtual environment. */
export const venvPythonOf = (venvDir: string, platform: NodeJS.Platform = process.platform): string =>
  platform === 'win32' ? join(venvDir, 'Scripts', 'python.exe') : join(venvDir, 'bin', 'python');

/** What one Python said about itself (one process: {@link PROBE_SCRIPT}). */
export interface PythonFacts {
  command: string;
  /** It ran and printed the probe's answer. */
  runs: boolean;
  /** Why it did not (could not be started, exited without an answer, ...). */
  error?: string;
  /** `3.11.7` */
  version?: string;
  /** moto's version, when `moto.server`, `flask` and `werkzeug` all import. */
  moto?: string;
  /** Why moto's server did not import. */
  motoError?: string;
  /** The `venv` module imports. */
  venvModule?: boolean;
  /** `ensurepip` imports (what gives a new venv its pip; Debian ships it in python3-venv). */
  ensurepip?: boolean;
}

/** Everything {@link decideMoto} looks at. */
export interface MotoFacts {
  configured: PythonFacts;
  venv: {
    dir: string;
    python: string;
    exists: boolean;
    /** Its Python's answer, when the folder exists (absent: not probed). */
    facts?: PythonFacts;
  };
}

export type MissingPiece = 'python' | 'venv' | 'pip';

export type MotoDecision =
  /** The configured Python has moto's server: use it, nothing else. */
  | { kind: 'found'; python: string; motoVersion: string }
  /** Our virtual environment has the pinned moto: use its Python. */
  | { kind: 'use-venv'; python: string; dir: string; motoVersion: string }
  /** Make the virtual environment with `basePython` and install the pinned moto; `rebuild` says why an existing one is replaced. */
  | { kind: 'set-up'; basePython: string; dir: string; python: string; motoVersion: string; rebuild?: string }
  /** Neither found nor possible to set up: `missing` names what lacks, `reason` says what was seen, `fix` how to get it. */
  | { kind: 'cannot-set-up'; missing: MissingPiece; reason: string; fix: string };

const versionTuple = (version: string): number[] => version.split('.').map((n) => Number.parseInt(n, 10) || 0);

function atLeast(version: string, min: readonly number[]): boolean {
  const v = versionTuple(version);
  for (let i = 0; i < min.length; i++) {
    if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i];
  }
  return true;
}

/** Debian/Ubuntu split venv and ensurepip out of Python: name both the generic and the version's package. */
function venvPackageFix(version: string | undefined): string {
  const [major, minor] = versionTuple(version ?? '');
  const specific = major && minor !== undefined ? ` (or python${major}.${minor}-venv for this Python)` : '';
  return `On Debian/Ubuntu: sudo apt-get install python3-venv${specific}.`;
}

/**
 * Pure: what to do, given what was observed. In order: the configured Python's moto; our venv, when its moto is the
 * pinned one; else set one up, when the configured Python can (recent enough, with `venv` and `ensurepip`); else say
 * what is missing.
 */
export function decideMoto(facts: MotoFacts, pinned: string = MOTO_VERSION, minPython: readonly [number, number] = MIN_PYTHON): MotoDecision {
  const { configured, venv } = facts;
  if (configured.runs && configured.moto) return { kind: 'found', python: configured.command, motoVersion: configured.moto };
  if (venv.exists && venv.facts?.runs && venv.facts.moto === pinned) {
    return { kind: 'use-venv', python: venv.python, dir: venv.dir, motoVersion: pinned };
  }

  const min = minPython.join('.');
  if (!configured.runs) {
    return {
      kind: 'cannot-set-up',
      missing: 'python',
      reason: `no Python to set it up with: ${configured.error ?? `"${configured.command}" did not answer`}`,
      fix: `Install Python ${min}+ (on Debian/Ubuntu: sudo apt-get install python3 python3-venv), or set BYOC_PYTHON to one.`,
    };
  }
  if (!configured.version || !atLeast(configured.version, minPython)) {
    return {
      kind: 'cannot-set-up',
      missing: 'python',
      reason: `"${configured.command}" is Python ${configured.version ?? '(unknown version)'}, and moto ${pinned} needs Python ${min}+`,
      fix: `Install Python ${min}+, or set BYOC_PYTHON to one.`,
    };
  }
  if (!configured.venvModule) {
    return {
      kind: 'cannot-set-up',
      missing: 'venv',
      reason: `"${configured.command}" (Python ${configured.version}) has no venv module to make moto's environment with`,
      fix: venvPackageFix(configured.version),
    };
  }
  if (!configured.ensurepip) {
    return {
      kind: 'cannot-set-up',
      missing: 'pip',
      reason: `"${configured.command}" (Python ${configured.version}) cannot give a new virtual environment pip (no ensurepip)`,
      fix: venvPackageFix(configured.version),
    };
  }

  let rebuild: string | undefined;
  if (venv.exists) {
    const seen = venv.facts;
    rebuild = !seen || !seen.runs
      ? `its Python does not run (${seen?.error ?? 'not probed'})`
      : seen.moto
        ? `it has moto ${seen.moto}, not ${pinned}`
        : `moto does not import in it (${seen.motoError ?? 'unknown error'})`;
  }
  return { kind: 'set-up', basePython: configured.command, dir: venv.dir, python: venv.python, motoVersion: pinned, ...(rebuild ? { rebuild } : {}) };
}

/** One Python process answers everything {@link PythonFacts} holds, as one JSON line. */
export const PROBE_SCRIPT = [
  'import json, sys',
  'r = {"version": "%d.%d.%d" % tuple(sys.version_info[:3])}',
  'try:',
  '    import moto.server, flask, werkzeug',
  '    import moto',
  '    r["moto"] = str(getattr(moto, "__version__", "unknown"))',
  'except Exception as e:',
  '    r["motoError"] = "%s: %s" % (type(e).__name__, e)',
  'for name in ("venv", "ensurepip"):',
  '    try:',
  '        __import__(name)',
  '        r[name] = True',
  '    except Exception:',
  '        r[name] = False',
  'print(json.dumps(r))',
].join('\n');

export interface RunResult {
  /** Exit code; null when it did not start, was killed or timed out. */
  status: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not run to the end (could not start, timed out). */
  error?: string;
}

/** The side effects, injectable: tests give a fake that records commands and answers them. */
export interface MotoSystem {
  run(command: string, args: readonly string[], options?: { timeoutMs?: number; env?: Record<string, string> }): Promise<RunResult>;
  exists(path: string): boolean;
  /** Delete a folder and everything in it (no error when absent). */
  remove(path: string): void;
  mkdir(path: string): void;
  /** Take the setup lock (a file holding our pid); false while a live process holds it. A dead holder's lock is taken over. */
  tryLock(path: string): boolean;
  unlock(path: string): void;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** A progress line for the person waiting. */
  log(line: string): void;
}

const lastLines = (text: string, n = 3): string =>
  text.trim().split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join(' | ');

/** Ask one Python about itself; never throws. */
export async function probePython(system: MotoSystem, command: string): Promise<PythonFacts> {
  const result = await system.run(command, ['-c', PROBE_SCRIPT], { timeoutMs: 60_000 });
  if (result.error) return { command, runs: false, error: `"${command}" could not be run: ${result.error}` };
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    const answer = JSON.parse(line) as { version?: string; moto?: string; motoError?: string; venv?: boolean; ensurepip?: boolean };
    if (result.status === 0 && typeof answer.version === 'string') {
      return { command, runs: true, version: answer.version, moto: answer.moto, motoError: answer.motoError, venvModule: answer.venv === true, ensurepip: answer.ensurepip === true };
    }
  } catch {
    // not our answer: below
  }
  const said = lastLines(result.stderr || result.stdout, 1);
  return { command, runs: false, error: `"${command}" is not a working Python (exit ${result.status}${said ? `: ${said}` : ''})` };
}

/** Observe the configured Python, and our venv only when that Python has no moto (so CI pays one probe, as before). */
export async function gatherMotoFacts(system: MotoSystem, python: string, venvDir: string, platform: NodeJS.Platform = process.platform): Promise<MotoFacts> {
  const configured = await probePython(system, python);
  const venvPython = venvPythonOf(venvDir, platform);
  const venv: MotoFacts['venv'] = { dir: venvDir, python: venvPython, exists: false };
  if (configured.runs && configured.moto) return { configured, venv };
  venv.exists = system.exists(venvDir);
  if (venv.exists) venv.facts = await probePython(system, venvPython);
  return { configured, venv };
}

/** `.byoc/moto-venv` when under the working folder, else the absolute path. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Make the venv and install the pinned moto in it; on any failure remove the half-made venv and say what failed. */
async function setUp(system: MotoSystem, decision: Extract<MotoDecision, { kind: 'set-up' }>): Promise<string> {
  const where = displayPath(decision.dir);
  if (decision.rebuild) {
    system.log(`moto's environment in ${where} does not work (${decision.rebuild}): rebuilding it.`);
    system.remove(decision.dir);
  }
  system.log(`Setting up moto ${decision.motoVersion} in ${where} (first run only)...`);
  const started = system.now();
  system.mkdir(dirname(decision.dir));
  const fail = (detail: string, fix?: string): never => {
    system.remove(decision.dir);
    throw new MotoMissingError(detail, fix);
  };

  const made = await system.run(decision.basePython, ['-m', 'venv', decision.dir], { timeoutMs: 180_000 });
  if (made.error || made.status !== 0) {
    const said = made.error ?? lastLines(made.stderr || made.stdout);
    const ensurepip = /ensurepip|python3(\.\d+)?-venv/.test(said);
    fail(
      `"${decision.basePython} -m venv ${where}" failed: ${said}`,
      ensurepip ? 'The venv module cannot give the new environment pip. On Debian/Ubuntu: sudo apt-get install python3-venv.' : undefined,
    );
  }

  const spec = `moto[server]==${decision.motoVersion}`;
  const installed = await system.run(
    decision.python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', spec],
    // A user-wide PIP_USER=1 would refuse to install into a virtual environment.
    { timeoutMs: 900_000, env: { PIP_USER: '0' } },
  );
  if (installed.error || installed.status !== 0) {
    const said = installed.error ?? lastLines(installed.stderr || installed.stdout);
    if (/No module named pip/.test(said)) {
      fail(`the new environment in ${where} has no pip: ${said}`, 'On Debian/Ubuntu: sudo apt-get install python3-venv.');
    }
    fail(
      `pip could not install ${spec} into ${where}: ${said}`,
      'The first run downloads moto with pip: it needs network access to the package index (or a mirror set with PIP_INDEX_URL). Run the command again once it is reachable.',
    );
  }

  const check = await probePython(system, decision.python);
  if (!check.runs || check.moto !== decision.motoVersion) {
    fail(`moto ${decision.motoVersion} was installed into ${where} but does not import there: ${check.error ?? check.motoError ?? `found moto ${check.moto}`}`);
  }
  system.log(`moto ${decision.motoVersion} is ready in ${where} (${Math.round((system.now() - started) / 1000)} s); later runs reuse it.`);
  return decision.python;
}

export interface EnsureMotoOptions {
  /** The Python to try first and to set up with (default: `BYOC_PYTHON`, else `python3`). */
  python?: string;
  /** The state folder (default: `BYOC_STATE_DIR`, else `./.byoc`); the venv is its `moto-venv/`. */
  stateDir?: string;
  system?: MotoSystem;
  platform?: NodeJS.Platform;
  /** How long to wait for another process setting up the same venv (default 15 min). */
  lockWaitMs?: number;
}

/**
 * The Python to run moto's server with: the configured one when it has moto, else our venv, set up first when needed
 * (one process at a time: others wait for it, then use its venv). Throws {@link MotoMissingError} when impossible.
 */
export async function ensureMoto(options: EnsureMotoOptions = {}): Promise<string> {
  const system = options.system ?? nodeSystem();
  const python = options.python ?? configuredPython();
  const dir = options.stateDir ? resolve(options.stateDir, VENV_FOLDER) : venvDirFor();
  const lock = `${dir}.lock`;
  const decide = async () => decideMoto(await gatherMotoFacts(system, python, dir, options.platform));
  const act = (decision: MotoDecision): string => {
    if (decision.kind === 'found' || decision.kind === 'use-venv') return decision.python;
    if (decision.kind === 'cannot-set-up') throw new MotoMissingError(`it is not installed, and the first run cannot set it up: ${decision.reason}`, decision.fix);
    throw new Error(`unexpected decision ${decision.kind}`);
  };

  const first = await decide();
  if (first.kind !== 'set-up') return act(first);
  system.mkdir(dirname(dir));
  const waitUntil = system.now() + (options.lockWaitMs ?? 900_000);
  let waited = false;
  while (!system.tryLock(lock)) {
    if (!waited) system.log(`Waiting for another process setting up moto in ${displayPath(dir)}...`);
    waited = true;
    if (system.now() > waitUntil) {
      throw new MotoMissingError(`another process has been setting it up in ${displayPath(dir)} for too long; if none is, delete ${displayPath(lock)}`);
    }
    await system.sleep(1000);
  }
  try {
    // The other process has finished (or given up): decide again, under the lock.
    const decision = waited ? await decide() : first;
    return decision.kind === 'set-up' ? await setUp(system, decision) : act(decision);
  } finally {
    system.unlock(lock);
  }
}

/** The real side effects. */
export function nodeSystem(): MotoSystem {
  return {
    run: (command, args, options = {}) =>
      new Promise((done) => {
        let stdout = '';
        let stderr = '';
        let settled = false;
        const finish = (result: RunResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          done(result);
        };
        const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          finish({ status: null, stdout, stderr, error: `timed out after ${Math.round((options.timeoutMs ?? 0) / 1000)} s` });
        }, options.timeoutMs ?? 600_000);
        child.stdout.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-20_000)));
        child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
        child.once('error', (error) => finish({ status: null, stdout, stderr, error: error.message }));
        child.once('close', (status) => finish({ status, stdout, stderr }));
      }),
    exists: (path) => existsSync(path),
    remove: (path) => rmSync(path, { recursive: true, force: true }),
    mkdir: (path) => mkdirSync(path, { recursive: true }),
    tryLock: (path) => tryLockFile(path),
    unlock: (path) => {
      try {
        if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
      } catch {
        // already gone
      }
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    log: (line) => void process.stderr.write(`${line}\n`),
  };
}

/** Create `path` holding our pid, atomically; a lock whose process is gone is taken over. */
export function tryLockFile(path: string, pid: number = process.pid): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(pid));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = Number.NaN;
    try {
      holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      continue; // released meanwhile: try again
    }
    if (Number.isInteger(holder) && holder > 0 ? isAlive(holder) : justMade(path)) return false;
    // A holder that died (Ctrl-C, kill), or a lock left empty: remove it and try once more.
    try {
      unlinkSync(path);
    } catch {
      // someone else removed it first
    }
  }
  return false;
}

/** An empty lock a moment old is being written by its maker. */
function justMade(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < 10_000;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
