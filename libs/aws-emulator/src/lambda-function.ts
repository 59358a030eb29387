import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const BOOTSTRAP = join(__dirname, '..', 'runtime', 'lambda-bootstrap.js');
/** Lambda gives a function's init (loading its module) 10 s of its own. */
const INIT_TIMEOUT_MS = 10_000;

export interface LambdaFunctionOptions {
  readonly name: string;
  /** The function's unzipped package. */
  readonly bundleDirectory: string;
  /** `src/lambda.chunks`. */
  readonly handler: string;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly environment: Readonly<Record<string, string>>;
  /** Execution environments running at once, at most (reserved concurrency; default 10). */
  readonly maxConcurrency?: number;
  /** Told of every invocation once it ends: how it ended and how long the handler ran (for GB-seconds). */
  readonly onInvoked?: (invocation: { readonly kind: 'ok' | 'error' | 'timeout' | 'crash'; readonly durationMs: number }) => void;
  /** Each line a container writes (its logs). */
  readonly log?: (line: string) => void;
  readonly region?: string;
  readonly account?: string;
}

export type InvocationError = { readonly name: string; readonly message: string; readonly stack?: string };

/**
 * How an invocation ended. `error`: the handler threw (or its module failed to load: `Runtime.InitError`); `timeout`:
 * it outlived the function's timeout and its environment was killed; `crash`: the environment died (out of memory,
 * process.exit).
 */
export type Invocation<T = unknown> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly kind: 'error' | 'timeout' | 'crash'; readonly error: InvocationError };

interface Container {
  readonly child: ChildProcess;
  readonly ready: Promise<boolean>;
  busy: boolean;
  /** Going away (its init failed, or it is being killed): never given another invocation. */
  retired: boolean;
}

/**
 * A Lambda function run from its package: each execution environment is a Node.js child process that loads the handler
 * once (cold start) and serves one invocation at a time (warm afterwards). An invocation past the function's timeout
 * kills its environment, as Lambda does; `--max-old-space-size` stands for the memory setting.
 */
export class LambdaFunction {
  private readonly containers = new Set<Container>();
  private readonly waiting: (() => void)[] = [];
  private stopped = false;

  constructor(readonly options: LambdaFunctionOptions) {}

  get name(): string {
    return this.options.name;
  }

  async invoke<T = unknown>(event: unknown): Promise<Invocation<T>> {
    if (this.stopped) return { ok: false, kind: 'error', error: { name: 'EmulatorStopped', message: `${this.name} is stopped` } };
    const container = await this.container();
    try {
      if (!(await container.ready)) {
        this.retire(container);
        return {
          ok: false,
          kind: 'error',
          error: { name: 'Runtime.InitTimeout', message: `${this.name} did not load within ${INIT_TIMEOUT_MS} ms` },
        };
      }
      const started = performance.now();
      const outcome = await this.run<T>(container, event);
      this.options.onInvoked?.({ kind: outcome.ok ? 'ok' : outcome.kind, durationMs: performance.now() - started });
      return outcome;
    } finally {
      container.busy = false;
      this.waiting.shift()?.();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.containers].map((container) => this.kill(container)));
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async container(): Promise<Container> {
    for (;;) {
      const idle = [...this.containers].find(
        (container) => !container.busy && !container.retired && container.child.exitCode === null && container.child.signalCode === null,
      );
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.containers.size < (this.options.maxConcurrency ?? 10)) {
        const started = this.start();
        started.busy = true;
        return started;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private start(): Container {
    const { bundleDirectory, handler, memoryMb, environment, name } = this.options;
    const child = fork(BOOTSTRAP, [bundleDirectory, handler], {
      cwd: bundleDirectory,
      env: {
        PATH: process.env.PATH ?? '',
        ...environment,
        AWS_LAMBDA_FUNCTION_NAME: name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        // As Lambda sets it for an environment started on demand: Powertools counts and logs the cold start only then.
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        LAMBDA_TASK_ROOT: bundleDirectory,
      },
      execArgv: [`--max-old-space-size=${memoryMb}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      const lines = createInterface({ input: stream });
      lines.on('line', (line) => this.options.log?.(line));
    }
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), INIT_TIMEOUT_MS);
      child.once('message', () => {
        clearTimeout(timer);
        resolve(true);
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    const container: Container = { child, ready, busy: false, retired: false };
    this.containers.add(container);
    child.once('exit', () => this.containers.delete(container));
    return container;
  }

  private run<T>(container: Container, event: unknown): Promise<Invocation<T>> {
    const { child } = container;
    const id = randomUUID();
    const { timeoutMs, name, memoryMb } = this.options;
    const region = this.options.region ?? 'us-east-1';
    const account = this.options.account ?? '123456789012';
    return new Promise<Invocation<T>>((resolve) => {
      const finish = (outcome: Invocation<T>) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('close', onExit);
        resolve(outcome);
      };
      const onMessage = (message: { id?: string; result?: T; error?: InvocationError; phase?: string }) => {
        if (message.id !== id) return;
        // An environment whose init failed exits after answering (Lambda discards it): the next invocation starts cold.
        if (message.phase === 'init') container.retired = true;
        finish(message.error ? { ok: false, kind: 'error', error: message.error } : { ok: true, result: message.result as T });
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        finish({
          ok: false,
          kind: 'crash',
          error: { name: 'Runtime.ExitError', message: `${name}'s environment exited (${signal ?? `code ${code}`})` },
        });
      const timer = setTimeout(() => {
        void this.kill(container);
        finish({ ok: false, kind: 'timeout', error: { name: 'Sandbox.Timedout', message: `${name} timed out after ${timeoutMs / 1000} s` } });
      }, timeoutMs);
      child.on('message', onMessage);
      // 'close', not 'exit': the IPC channel is drained by then, so an answer sent just before exiting is not lost.
      child.once('close', onExit);
      const requestId = randomUUID();
      child.send({
        type: 'invoke',
        id,
        event,
        context: {
          functionName: name,
          functionVersion: '$LATEST',
          invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${name}`,
          memoryLimitInMB: String(memoryMb),
          awsRequestId: requestId,
          logGroupName: `/aws/lambda/${name}`,
          logStreamName: `emulator/${requestId}`,
          deadline: Date.now() + timeoutMs,
        },
      });
    });
  }

  private retire(container: Container): void {
    void this.kill(container);
  }

  private async kill(container: Container): Promise<void> {
    container.retired = true;
    this.containers.delete(container);
    const { child } = container;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
}
