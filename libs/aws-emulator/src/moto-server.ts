import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** moto's server: account and region its resources get unless a request says otherwise. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_REGION = 'us-east-1';

/** Where the launcher is (moto's own server with our two fixes, moto/launcher.py). */
const LAUNCHER = join(__dirname, '..', 'moto', 'launcher.py');

export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  /** SDK client settings for this server: its endpoint, its region, static credentials. */
  readonly clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  stop(): Promise<void>;
}

export interface MotoServerOptions {
  /** 0 (the default): any free port. */
  readonly port?: number;
  /** The Python that has moto 5 installed (`moto_server`); default `python3`. */
  readonly python?: string;
  /** moto's request log, line by line (quiet by default). */
  readonly onOutput?: (line: string) => void;
}

/** A free TCP port on loopback, for a server that cannot be given port 0. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts moto's server on loopback (`python3 launcher.py`) and waits until it answers. Fails with what to do when moto
 * is not installed. `stop()` ends it (and its threads) and waits for it.
 */
export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const port = options.port || (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(options.python ?? 'python3', [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    if (output.length < 20_000) output += text;
    for (const line of text.split('\n')) if (line.trim()) options.onOutput?.(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = () => stopChild(child, exited);
  try {
    await waitUntilReady(endpoint, exited, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    endpoint,
    port,
    clientConfig: { endpoint, region: MOTO_REGION, credentials: { accessKeyId: 'emulator', secretAccessKey: 'emulator' } },
    stop,
  };
}

async function waitUntilReady(endpoint: string, exited: Promise<number | null>, output: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (gone) {
      const said = output();
      const hint = /No module named|not found|ENOENT/.test(said) ? ' (is moto installed? `pip install "moto[server]==5.2.1"`)' : '';
      throw new Error(`moto's server stopped before answering${hint}: ${said.trim().slice(-2000)}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto's server did not answer at ${endpoint} within 30 s: ${output().trim().slice(-2000)}`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000).unref())]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}
