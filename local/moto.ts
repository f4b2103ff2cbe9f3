import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { configuredPython, ensureMoto, MotoMissingError } from './moto-setup';

/** A running moto server. */
export interface MotoServer {
  /** `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`. */
  endpoint: string;
  port: number;
  /** Clear every resource in moto (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Stop the server; resolves once the process has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** The command that starts moto; `BYOC_PYTHON` picks another interpreter. */
const python = (): string => configuredPython();

export { MotoMissingError, MOTO_VERSION } from './moto-setup';

/** Check that the configured Python imports moto's server, without starting it (and without setting anything up). */
export function checkMotoInstalled(): void {
  const probe = spawnSync(python(), ['-c', 'import moto.server, flask, werkzeug'], { encoding: 'utf8' });
  if (probe.error) throw new MotoMissingError(`"${python()}" could not be run: ${probe.error.message}`);
  if (probe.status !== 0) throw new MotoMissingError(`"${python()} -c 'import moto.server'" failed: ${probe.stderr.trim().split('\n').pop()}`);
}

/** A free TCP port on loopback, chosen by the OS. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const running = new Set<ChildProcess>();
let exitHooksInstalled = false;

/** Kill every moto we started when this process ends, however it ends: no orphan servers. */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = () => {
    for (const child of running) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      // Another listener stops cleanly itself (byoc serve, provision --keep: server, executions, then moto, exit 0);
      // the 'exit' hook still kills whatever it leaves.
      if (process.listenerCount(signal) > 0) return;
      killAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/**
 * Start moto in server mode on a free loopback port, with the AWS managed IAM policies loaded, and wait until it
 * answers. The server dies with this process (exit, Ctrl-C, SIGTERM) and on `stop()`.
 *
 * moto runs with the configured Python when it has moto's server; otherwise with the private venv in the state folder
 * (`<stateDir>/moto-venv`), which the first run sets up with the pinned moto (see `./moto-setup`).
 *
 * @example const moto = await startMoto(); process.env.AWS_ENDPOINT_URL = moto.endpoint; ...; await moto.stop();
 */
/**
 * moto's own server with its per-request lookups cached and its access log off (local/moto_server.py says what and
 * why): the same answers, many times the throughput when many provisionings run at once.
 */
export const MOTO_SERVER_SCRIPT = join(__dirname, 'moto_server.py');

export async function startMoto(options: { port?: number; timeoutMs?: number; stateDir?: string } = {}): Promise<MotoServer> {
  const motoPython = await ensureMoto({ stateDir: options.stateDir });
  installExitHooks();
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(motoPython, [MOTO_SERVER_SCRIPT, '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));

  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto exited with code ${child.exitCode} before answering:\n${stderr}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto did not answer on ${endpoint} within ${options.timeoutMs ?? 30_000} ms:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    endpoint,
    port,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
