import type { FastifyBaseLogger } from 'fastify';

/**
 * A pass that runs once at start and then every `intervalMs`, never two at a time (a pass under
 * way is joined), and that `stop` waits for. The watchdog and the retention sweep are such passes.
 */
export class PeriodicPass<T> {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<T> | undefined;

  constructor(
    private readonly o: {
      /** For the log line when a pass fails, e.g. "watchdog pass". */
      name: string;
      intervalMs: number;
      pass: () => Promise<T>;
      log: Pick<FastifyBaseLogger, 'error'>;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = () => void this.runOnce().catch((err: unknown) => this.o.log.error({ err }, `${this.o.name} failed`));
    this.timer = setInterval(tick, this.o.intervalMs);
    this.timer.unref();
    tick();
  }

  runOnce(): Promise<T> {
    this.current ??= this.o.pass().finally(() => (this.current = undefined));
    return this.current;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.current?.catch(() => undefined);
  }
}
