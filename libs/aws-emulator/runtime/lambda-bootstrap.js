'use strict';
// One Lambda execution environment ("container"), run as a child process by the emulator (src/lambda-function.ts):
//   node lambda-bootstrap.js <bundle directory> <handler, e.g. src/lambda.chunks>
// Init loads the handler's module (a failure there fails the invocations, as on Lambda); each invocation arrives over
// the IPC channel as { id, event, context } and is answered { id, result } or { id, error }. The parent kills the
// process when an invocation outlives its function's timeout.

const { join } = require('node:path');

const [bundleDirectory, handlerName] = process.argv.slice(2);

function describe(error) {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

let handler;
let initError;
try {
  const dot = handlerName.lastIndexOf('.');
  const exported = require(join(bundleDirectory, handlerName.slice(0, dot)))[handlerName.slice(dot + 1)];
  if (typeof exported !== 'function') throw new Error(`${handlerName} is not a function of the bundle`);
  handler = exported;
} catch (error) {
  initError = { ...describe(error), name: 'Runtime.InitError' };
}

let current;

function answer(message, then) {
  if (process.connected) process.send(message, then);
  else then?.();
}

// What Lambda's Node.js runtime does with an error nothing awaited: the invocation fails and the environment is gone.
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (error) => {
    // The answer is sent before the process goes, so the invocation fails with the error rather than as a crash.
    if (current !== undefined)
      answer({ id: current, error: { ...describe(error), name: 'Runtime.UnhandledPromiseRejection' } }, () => process.exit(1));
    else process.exit(1);
  });
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  current = message.id;
  if (initError) {
    answer({ id: message.id, error: initError, phase: 'init' }, () => process.exit(1));
    return;
  }
  const deadline = message.context.deadline;
  const context = {
    ...message.context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await handler(message.event, context);
    answer({ id: message.id, result: result === undefined ? null : result });
  } catch (error) {
    answer({ id: message.id, error: describe(error) });
  } finally {
    current = undefined;
  }
});

answer({ type: 'ready' });
