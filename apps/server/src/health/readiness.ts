import { execFile } from 'node:child_process';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/database.ts';

/** One check's answer in `/readyz`. */
export interface CheckResult {
  ok: boolean;
  /** Why it failed, or what it found (git's version, the migrations applied). */
  message?: string;
  /** Not applicable here (Redis without REDIS_URL). */
  skipped?: boolean;
  ms: number;
}

export type CheckName = 'database' | 'migrations' | 'redis' | 'git';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<CheckName, CheckResult>;
}

export interface ReadinessOptions {
  database: Pick<DatabaseHandle, 'db' | 'pendingMigrations'>;
  /** REDIS_URL is set: the realtime bus must answer. */
  redisConfigured: boolean;
  /** The git executable (default `git` on PATH). */
  git?: string;
  /** Each check's bound (default 3 s): a check that takes longer fails, so a probe answers in time. */
  timeoutMs?: number;
}

/** The reason of a failed check: a message, never a stack. */
function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `git --version`, or a rejection saying why git cannot run. */
export function gitVersion(git = 'git', timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(git, ['--version'], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        reject(new Error(code === 'ENOENT' ? `${git} not found on PATH` : `${git} --version failed: ${err.message.split('\n')[0]}`));
      } else resolve(stdout.trim());
    });
  });
}

/**
 * Whether this instance can do its work (`/readyz`): the database answers, every migration this
 * code ships has run, the Redis bus answers when REDIS_URL is set, and git runs. The checks run
 * side by side, each bounded. Liveness (`/healthz`) checks none of this.
 */
export class Readiness {
  private redis: (() => Promise<void>) | null = null;

  constructor(private readonly o: ReadinessOptions) {}

  /** The realtime bus's check, once it exists (the app registers realtime after the routes). */
  useRedis(check: (() => Promise<void>) | null): void {
    this.redis = check;
  }

  async check(): Promise<ReadinessReport> {
    const { db } = this.o.database;
    const [database, migrations, redis, git] = await Promise.all([
      this.run(async () => {
        await sql`select 1`.execute(db);
      }),
      this.run(async () => {
        const pending = await this.o.database.pendingMigrations();
        if (pending.length > 0) throw new Error(`pending: ${pending.join(', ')} (run \`slipway migrate\`, or start one instance, which migrates)`);
        return 'all applied';
      }),
      this.o.redisConfigured
        ? this.run(async () => {
            if (!this.redis) throw new Error('the Redis bus is not set up');
            await this.redis();
          })
        : Promise.resolve<CheckResult>({ ok: true, skipped: true, message: 'REDIS_URL is not set', ms: 0 }),
      this.run(() => gitVersion(this.o.git, this.timeoutMs)),
    ]);
    const checks = { database, migrations, redis, git };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  private get timeoutMs(): number {
    return this.o.timeoutMs ?? 3_000;
  }

  private async run(check: () => Promise<string | void>): Promise<CheckResult> {
    const started = performance.now();
    const ms = () => Math.round((performance.now() - started) * 10) / 10;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const found = await Promise.race([check(), late]);
      return { ok: true, ...(found ? { message: found } : {}), ms: ms() };
    } catch (err) {
      return { ok: false, message: reason(err), ms: ms() };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The 503 message: each failed check and its reason. */
export function failureMessage(report: ReadinessReport): string {
  return Object.entries(report.checks)
    .filter(([, c]) => !c.ok)
    .map(([name, c]) => `${name}: ${c.message ?? 'failed'}`)
    .join('; ');
}
