/**
 * Last-resort cleanups that run when the test process exits or is stopped by a signal while a cluster is
 * still up (a failed test, a forgotten stop()): synchronous, since an exit handler cannot wait.
 */

const cleanups = new Set<() => void>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let installed = false;

function runAll(): void {
  for (const f of [...cleanups]) {
    cleanups.delete(f);
    f();
  }
  sync();
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  // With our listener gone, the signal's default action (or another listener, such as the test runner's)
  // applies as if we had never been there.
  process.kill(process.pid, signal);
}

// The handlers are installed exactly while some cleanup is registered, so that a test process without a
// live cluster keeps Node's default signal behaviour.
function sync(): void {
  if (cleanups.size > 0 && !installed) {
    process.on("exit", runAll);
    for (const s of SIGNALS) process.on(s, onSignal);
    installed = true;
  } else if (cleanups.size === 0 && installed) {
    process.off("exit", runAll);
    for (const s of SIGNALS) process.off(s, onSignal);
    installed = false;
  }
}

/** Run `cleanup` (once) if the process exits or gets SIGINT/SIGTERM/SIGHUP; the result unregisters it. */
export function onExitCleanup(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  sync();
  return () => {
    cleanups.delete(cleanup);
    sync();
  };
}
