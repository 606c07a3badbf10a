import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/**
 * Moves SQLite's write-ahead log into the database file from a worker thread. SQLite's automatic
 * checkpoint runs inside whichever COMMIT crosses the threshold and fsyncs the database there, on
 * the event loop: on these disks that made the average webhook commit ~0.6 ms. With automatic
 * checkpoints off, a worker with its own connection runs PASSIVE checkpoints (they never block
 * writers) every `intervalMs`. Durability is unchanged: commits are in the WAL either way.
 */
export function startCheckpointer(file: string, intervalMs = 1000): { stop(): Promise<void> } {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.module);
    const db = new Database(workerData.file);
    db.pragma('busy_timeout = 5000');
    const tick = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
    const timer = setInterval(tick, workerData.intervalMs);
    parentPort.on('message', () => { clearInterval(timer); tick(); db.close(); parentPort.close(); });
  `;
  const worker = new Worker(code, { eval: true, workerData: { file, intervalMs, module: require.resolve('better-sqlite3') } });
  worker.unref();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.ref(); // keep the process alive until the last checkpoint is done
        worker.postMessage('stop');
        setTimeout(() => void worker.terminate().then(() => resolve()), 5000).unref();
      }),
  };
}
