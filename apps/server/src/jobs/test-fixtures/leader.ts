/**
 * An instance for leader-lock.test.ts: competes for the leader lock on a PostgreSQL database and
 * says "leading" when it leads, until the test kills it. Argument: the database URL.
 */
import { advisoryLock } from '../advisory-lock.ts';
import { LeaderLock } from '../leader-lock.ts';

const lock = new LeaderLock({
  name: 'test singletons',
  backend: advisoryLock(process.argv[2]!, 'test-singletons'),
  duties: [{ start: () => void process.stdout.write('leading\n'), stop: async () => undefined }],
  retryMs: 100,
  log: { info: () => undefined, warn: () => undefined },
});
lock.start();
setInterval(() => undefined, 60_000);
