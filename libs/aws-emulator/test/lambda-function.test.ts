import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaFunction } from '../src';

// A function run from a package as Lambda runs it, on packages written for the test: warm reuse, cold starts, the
// timeout enforced by killing the environment, init failures, crashes, the memory limit, the environment given.

jest.setTimeout(60_000);

let dir: string;
const functions: LambdaFunction[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'refinery-lambda-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'src', 'lambda.js'),
    `let invocations = 0;
const loadedAt = Date.now();
exports.count = async () => ({ invocations: ++invocations, loadedAt, pid: process.pid });
exports.sleep = async (event, context) => {
  await new Promise((resolve) => setTimeout(resolve, event.ms));
  return { remainingAtEnd: context.getRemainingTimeInMillis() };
};
exports.fail = async () => { throw new TypeError('no such thing'); };
exports.exit = async () => { process.exit(3); };
exports.hog = async () => { const hoard = []; for (;;) hoard.push(new Array(1e6).fill(Math.random())); };
exports.env = async () => ({ greeting: process.env.GREETING, name: process.env.AWS_LAMBDA_FUNCTION_NAME, context: typeof process.send });
exports.context = async (_event, context) => ({ name: context.functionName, arn: context.invokedFunctionArn, memory: context.memoryLimitInMB, id: context.awsRequestId });
`,
  );
  writeFileSync(join(dir, 'src', 'broken.js'), "throw new Error('cannot load the directory');\nexports.handler = async () => 1;\n");
});

afterAll(async () => {
  await Promise.all(functions.map((fn) => fn.stop()));
  rmSync(dir, { recursive: true, force: true });
});

function lambda(handler: string, options: { timeoutMs?: number; memoryMb?: number; environment?: Record<string, string> } = {}): LambdaFunction {
  const fn = new LambdaFunction({
    name: `test-${handler.replace(/\W/g, '-')}`,
    bundleDirectory: dir,
    handler,
    timeoutMs: options.timeoutMs ?? 5000,
    memoryMb: options.memoryMb ?? 256,
    environment: options.environment ?? {},
  });
  functions.push(fn);
  return fn;
}

test('loads the handler once per environment and reuses the environment while it is warm', async () => {
  const fn = lambda('src/lambda.count');
  const first = await fn.invoke<{ invocations: number; pid: number }>({});
  const second = await fn.invoke<{ invocations: number; pid: number }>({});
  expect(first).toMatchObject({ ok: true, result: { invocations: 1 } });
  expect(second).toMatchObject({ ok: true, result: { invocations: 2 } });
  expect(first.ok && second.ok && first.result.pid === second.result.pid).toBe(true);
});

test('runs invocations side by side in environments of their own', async () => {
  const fn = lambda('src/lambda.count');
  const results = await Promise.all([fn.invoke<{ pid: number }>({}), fn.invoke<{ pid: number }>({}), fn.invoke<{ pid: number }>({})]);
  expect(new Set(results.map((result) => (result.ok ? result.result.pid : 0))).size).toBe(3);
});

test('kills an invocation that outlives the timeout; the next one starts cold', async () => {
  const fn = lambda('src/lambda.sleep', { timeoutMs: 500 });
  const started = Date.now();
  expect(await fn.invoke({ ms: 10_000 })).toMatchObject({ ok: false, kind: 'timeout', error: { name: 'Sandbox.Timedout' } });
  expect(Date.now() - started).toBeLessThan(3000);
  const next = await fn.invoke<{ remainingAtEnd: number }>({ ms: 10 });
  expect(next.ok).toBe(true);
  // The context counts down from the function's timeout.
  expect(next.ok && next.result.remainingAtEnd).toBeGreaterThan(300);
  expect(next.ok && next.result.remainingAtEnd).toBeLessThanOrEqual(500);
});

test('reports what the handler throws, and keeps the environment', async () => {
  expect(await lambda('src/lambda.fail').invoke({})).toEqual({
    ok: false,
    kind: 'error',
    error: expect.objectContaining({ name: 'TypeError', message: 'no such thing' }),
  });
});

test('fails every invocation of a package that cannot load (each a new cold start), naming the error', async () => {
  const fn = lambda('src/broken.handler');
  for (let attempt = 0; attempt < 2; attempt++) {
    expect(await fn.invoke({})).toMatchObject({
      ok: false,
      kind: 'error',
      error: { name: 'Runtime.InitError', message: 'cannot load the directory' },
    });
  }
  expect(await lambda('src/lambda.missing').invoke({})).toMatchObject({
    ok: false,
    error: { message: 'src/lambda.missing is not a function of the bundle' },
  });
});

test("counts an environment that dies as a crash: process.exit, and memory past the function's", async () => {
  expect(await lambda('src/lambda.exit').invoke({})).toMatchObject({
    ok: false,
    kind: 'crash',
    error: { message: expect.stringContaining('code 3') },
  });
  expect(await lambda('src/lambda.hog', { memoryMb: 64, timeoutMs: 20_000 }).invoke({})).toMatchObject({ ok: false, kind: 'crash' });
});

test('gives the handler its environment and a Lambda context', async () => {
  expect(await lambda('src/lambda.env', { environment: { GREETING: 'hello' } }).invoke({})).toEqual({
    ok: true,
    result: { greeting: 'hello', name: 'test-src-lambda-env', context: 'function' },
  });
  const context = await lambda('src/lambda.context', { memoryMb: 512 }).invoke<{ arn: string; memory: string; id: string }>({});
  expect(context).toMatchObject({
    ok: true,
    result: { name: 'test-src-lambda-context', arn: 'arn:aws:lambda:us-east-1:123456789012:function:test-src-lambda-context', memory: '512' },
  });
});
