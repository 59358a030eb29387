import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
export const REFINERY_BIN = join(REPO_ROOT, 'apps', 'refinery', 'bin', 'refinery.js');

export interface CliRun {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Runs the `refinery` command as a user would (a separate Node process). */
export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const child = spawn(process.execPath, [REFINERY_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/**
 * What the command writes to stderr from now on, once it matches `pattern` (a server's "listening on", a message it
 * must print). Rejects when `timeoutMs` passes or the command ends first, with what it wrote.
 */
export function waitForStderr(run: CliRun, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void): void => {
      clearTimeout(timer);
      run.child.stderr?.off('data', onData);
      outcome();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`no ${pattern} in: ${seen}`))), timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (pattern.test(seen)) settle(() => resolve(seen));
    };
    run.child.stderr?.on('data', onData);
    void run.done.then((done) =>
      settle(() => reject(new Error(`the command ended (${done.code ?? done.signal}) before ${pattern}: ${done.stderr}`))),
    );
  });
}
