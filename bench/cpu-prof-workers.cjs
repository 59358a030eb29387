// node --require ./bench/cpu-prof-workers.cjs apps/refinery/bin/refinery.js enrich ...   (CPU_PROF_DIR=/tmp/prof)
//
// `node --cpu-prof` profiles a worker thread only when the thread inherits the option, and `refinery enrich` starts
// its matcher threads with execArgv of their own; this preload adds --cpu-prof (into CPU_PROF_DIR, default
// /tmp/worker-prof) to every Worker the process starts, so the matcher thread writes a profile when it ends (issue 16).
// Read it with bench/cpu-profile-top.ts or bench/cpu-profile-split.ts.
const workerThreads = require('node:worker_threads');

const directory = process.env.CPU_PROF_DIR || '/tmp/worker-prof';
const Worker = workerThreads.Worker;
workerThreads.Worker = class ProfiledWorker extends Worker {
  constructor(script, options = {}) {
    super(script, { ...options, execArgv: [...(options.execArgv ?? []), '--cpu-prof', `--cpu-prof-dir=${directory}`] });
  }
};
