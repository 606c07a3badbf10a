import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config/config.ts';
import { ensureWebhookSecret } from './config/secrets.ts';
import { ensurePrivateDir } from './config/private-files.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { AuthService, createAuthService } from './auth/auth.service.ts';
import { BroadcasterSet } from './deployments/broadcaster.ts';
import { DeploymentsStore } from './deployments/deployments.store.ts';
import { DeploymentsService } from './deployments/deployments.service.ts';
import { DeliveriesStore } from './webhooks/deliveries.store.ts';
import { WebhookIntake } from './webhooks/webhook-intake.service.ts';
import { TransactionBatcher } from './db/transaction-batcher.ts';
import { ClaimLostError, JobQueue } from './jobs/job-queue.ts';
import { LeaderLock, leaderBackend, type Duty } from './jobs/leader-lock.ts';
import { TargetReporter } from './deployments/target-reporter.ts';
import { Watchdog } from './deployments/watchdog.ts';
import { RetentionSweep } from './retention/retention-sweep.ts';
import { GitHubRunsClient } from './deployments/github-runs.client.ts';
import { DokployConfirmation } from './dokploy/confirmation.ts';
import { ApplicationRegistry } from './applications/application-registry.ts';
import { PushEvents } from './git/index.ts';
import { GitBranchPublisher } from './modules/git-branch-publisher.ts';
import { ModulesService } from './modules/modules.service.ts';
import { ModulesStore } from './modules/modules.store.ts';
import { GitRepositoryPacks } from './modules/repository-packs.ts';
import { DeploymentControls } from './deployments/deployment-controls.ts';
import { LiveServices } from './deployments/live-services.ts';
import { createLocalRunner, Sandbox, sandboxHidden, type LocalRunner } from './runner/index.ts';
import { setupDemoApps } from './demo/demo-apps.ts';
import { jobBacklog } from './jobs/job-backlog.ts';
import { MetricsServer, SlipwayMetrics, timedPublisher } from './metrics/index.ts';
import { NotificationsService } from './notifications/notifications.service.ts';
import { PreviewsService } from './previews/previews.service.ts';
import { GitHubClient } from './githost/github.client.ts';
import { GitHostFeedback } from './githost/git-host-feedback.ts';
import { Promoter } from './githost/promote.ts';

/** Every service, wired once. The HTTP app and the CLI both build on this. */
export interface AppContext {
  config: Config;
  database: DatabaseHandle;
  auth: AuthService;
  deployments: DeploymentsService;
  broadcaster: BroadcasterSet;
  intake: WebhookIntake;
  /** Durable background work; started by startServer, not by the CLI's one-shot commands. */
  jobs: JobQueue;
  /** Follows Dokploy after CI's `done` (a job per step). */
  confirmation: DokployConfirmation;
  /** Reconciles or fails stale deployments; started by startServer. */
  watchdog: Watchdog;
  /** Deletes old deliveries, finished jobs and old events of finished deployments; started by startServer. */
  retention: RetentionSweep;
  /** Runs the watchdog and the retention sweep on one instance at a time; started by startServer. */
  leader: LeaderLock;
  applications: ApplicationRegistry;
  modules: ModulesService;
  /** Pushes to the repositories Slipway hosts (over HTTP or by the publisher). */
  pushEvents: PushEvents;
  webhookSecrets: string[];
  /** Runs `.slipway/pipeline.yaml` of pushes to hosted repositories; started by startServer (SLIPWAY_RUNNER). */
  runner?: LocalRunner;
  /** Cancel (and later Retry, Redeploy) on a deployment, for its owner and admins. */
  controls: DeploymentControls;
  /** `live` of a deployment: whether the services Slipway runs for it answer now. */
  live: LiveServices;
  /** Prometheus metrics (SLIPWAY_METRICS); undefined when turned off. */
  metrics?: SlipwayMetrics;
  /** `/metrics` on its own port (SLIPWAY_METRICS_PORT); startServer makes it listen. */
  metricsServer?: MetricsServer;
  /** Deployment notifications: channels, and their deliveries as durable jobs (docs/notifications.md). */
  notifications: NotificationsService;
  /** Preview environments (docs/previews.md): created by deploys, expired by the leader. */
  previews: PreviewsService;
  /** Promote: a pull request on GitHub, a merge on a hosted repository. */
  promoter: Promoter;
  close(): Promise<void>;
}

export async function createContext(config: Config, log: FastifyBaseLogger): Promise<AppContext> {
  ensurePrivateDir(config.dataDir);
  // Before the database: a refused secret (empty or short file) ends start-up with nothing opened.
  let webhookSecrets = config.webhook.secrets;
  if (webhookSecrets.length === 0) {
    const s = ensureWebhookSecret(config.dataDir);
    if (s.created) log.warn(`DOKPLOY_WEBHOOK_SECRET is not set: generated one in ${s.path}`);
    webhookSecrets = [s.secret];
  }
  const database = openDatabase(config, (err) => log.warn({ err }, 'database connection lost; the pool opens a new one'));
  try {
    await database.migrate();
  } catch (err) {
    await database.close();
    throw err;
  }
  const { db, traits } = database;
  const auth = createAuthService(database, config);
  const modulesStore = new ModulesStore();
  const deployments = new DeploymentsService(new DeploymentsStore(traits), (db, slug) => modulesStore.ownerOf(db, slug));
  const broadcaster = new BroadcasterSet((err) => log.error({ err }, 'broadcast failed'));
  const metrics = config.metrics.enabled
    ? new SlipwayMetrics({
        deployments: () => deployments.census(db),
        jobs: (now) => jobBacklog(db, now, jobs.kindNames),
        onError: (err, source) => log.warn({ err }, `metrics: reading ${source} failed`),
      })
    : undefined;
  if (metrics) broadcaster.add(metrics.changes);
  const confirming = new Set(config.applications.filter((a) => a.dokploy?.apiUrl).map((a) => a.id));
  const jobs = new JobQueue(db, traits, {
    onError: (err, job) => log.warn({ err, job: job?.id, type: job?.type }, err instanceof ClaimLostError ? 'job claim lost: this attempt is discarded' : 'job attempt failed'),
  });
  const reporter = new TargetReporter({ db, traits, deployments, broadcaster });
  // Notifications (docs/notifications.md): a finished deployment queues a delivery job per channel.
  const notifications = new NotificationsService({
    db,
    jobs,
    moduleOwner: async (db, slug) => {
      const m = await db.selectFrom('modules').select('owner_id').where('slug', '=', slug).executeTakeFirst();
      return m ? m.owner_id : undefined;
    },
    log,
    timeoutMs: config.dokploy.requestTimeoutMs,
    deliveryMaxAgeMs: config.retention.jobMaxAgeMs,
  });
  notifications.register();
  broadcaster.add(notifications);
  const confirmation = new DokployConfirmation({ db, jobs, reporter, applications: config.applications, env: config.env, settings: config, log });
  confirmation.register();
  // GitHub's API, when GITHUB_TOKEN is set: the runs client and the git host client below share it.
  const githubAccess = config.github.token ? { token: config.github.token, apiUrl: config.github.apiUrl, timeoutMs: config.dokploy.requestTimeoutMs } : undefined;
  // The watchdog reads GitHub Actions runs with it, and Cancel cancels them.
  const github = githubAccess && new GitHubRunsClient(githubAccess);
  const watchdog = new Watchdog({
    db,
    traits,
    reporter,
    confirmation,
    applications: config.applications,
    env: config.env,
    settings: { ...config.watchdog, confirmTimeoutMs: config.dokploy.confirmTimeoutMs },
    github,
    log,
  });
  const retention = new RetentionSweep({ db, deliveries: new DeliveriesStore(), deployments: new DeploymentsStore(traits), jobs, settings: config.retention, log });
  // Previews and the git host feedback join the leader's duties below (their pass: expiry, catch-up).
  const duties: Duty[] = [watchdog, retention];
  const leader = new LeaderLock({ name: 'singletons (watchdog, retention sweep)', backend: leaderBackend(config.database, 'singletons'), duties, log });
  // The notifications' catch-up (deliveries of deployments whose end was committed but never broadcast).
  duties.push(notifications);
  const intake = new WebhookIntake({
    writes: new TransactionBatcher(db),
    traits,
    deployments,
    deliveries: new DeliveriesStore(),
    broadcaster,
    secrets: () => webhookSecrets,
    toleranceSeconds: config.webhook.toleranceSeconds,
    awaitConfirmation: (app) => confirming.has(app),
    followUps: [confirmation.onAccepted],
    onRejected: () => retention.noteRejected(),
    log,
    metrics,
  });
  const applications = new ApplicationRegistry(config.applications);
  const pushEvents = new PushEvents();
  // Repository code (pipelines, services, repository template packs) runs only in here.
  const sandbox = new Sandbox({ ...config.sandbox, hidden: sandboxHidden(config) });
  // The local runner (docs/runner.md): built before the modules, which queue its builds.
  const runner = config.runner
    ? createLocalRunner({ db, traits, dataDir: config.dataDir, pushEvents, applications, secret: () => webhookSecrets[0] ?? '', env: config.env, log, sandbox })
    : undefined;
  const publisher = new GitBranchPublisher({ dataDir: config.dataDir, env: config.env });
  // Previews (docs/previews.md): a successful module deployment creates or renews them; the leader expires them.
  const githubApi = githubAccess && new GitHubClient(githubAccess);
  const previews = new PreviewsService({
    db,
    jobs,
    applications,
    runner,
    env: config.env,
    reposDir: join(config.dataDir, 'repos'),
    mergedOnGitHub: githubApi ? (app, branch) => githubApi.mergedPullRequest(app.github!.repository, branch, app.baseBranch) : undefined,
    ttlMs: config.previewTtlMs,
    dokployTimeoutMs: config.dokploy.requestTimeoutMs,
    log,
  });
  previews.register();
  broadcaster.add(previews.broadcaster);
  duties.push(previews);
  // Feedback to GitHub: deployments, statuses and commit statuses of module deployments (GITHUB_TOKEN).
  if (githubApi) {
    const feedback = new GitHostFeedback({ db, jobs, applications, github: githubApi, publicUrl: config.publicUrl, previewUrl: (slug, app) => previews.urlOf(slug, app), log });
    feedback.register();
    previews.onRenewed((deploymentId, app) => feedback.previewReady(deploymentId, app));
    broadcaster.add(feedback.broadcaster);
    duties.push(feedback);
  }
  // Deleting a module stops its services and tears its previews down.
  const stopper = {
    stopServices: async (app: Parameters<NonNullable<typeof runner>['stopServices']>[0], branch: string) => {
      await runner?.stopServices(app, branch);
      await previews.tearDownBranch(app.id, branch, 'module deleted');
    },
  };
  const modules = new ModulesService({
    db,
    store: modulesStore,
    registry: applications,
    deployments,
    jobs,
    broadcaster,
    publisher: metrics ? timedPublisher(publisher, metrics) : publisher,
    builds: runner,
    services: stopper,
    repositoryPacks: new GitRepositoryPacks({ dataDir: config.dataDir, env: config.env, sandbox }),
    branchPrefix: config.moduleBranchPrefix,
    publishWaitMs: config.publishWaitMs,
  });
  const metricsServer =
    metrics && config.metrics.port !== undefined
      ? new MetricsServer({ metrics, port: config.metrics.port, token: config.metrics.token, onError: (err) => log.error({ err }, 'metrics scrape failed') })
      : undefined;
  const live = new LiveServices({ applications, probe: runner, previewUrl: (slug, app, url) => previews.previewOf(slug, app, url) });
  if (config.demo) {
    try {
      await setupDemoApps({ reposDir: join(config.dataDir, 'repos'), configured: config.applications, register: (a) => applications.add(a) });
    } catch (err) {
      await database.close();
      throw err;
    }
  }
  const promoter = new Promoter({
    module: async (viewer, slug) => {
      const m = await modules.get(viewer, slug).catch(() => undefined);
      return m && { slug: m.slug, owner_id: m.owner_id, applications: m.applications, git: { branchName: m.git.branchName, baseBranch: m.git.baseBranch } };
    },
    applications,
    reposDir: join(config.dataDir, 'repos'),
    github: githubApi,
    publicUrl: config.publicUrl,
    previewUrl: (slug, app) => previews.urlOf(slug, app),
    tearDown: (slug, reason) => previews.tearDown(slug, reason),
    onPush: pushEvents.emit,
  });
  return {
    config,
    database,
    previews,
    promoter,
    jobs,
    applications,
    modules,
    pushEvents,
    confirmation,
    watchdog,
    retention,
    leader,
    auth,
    deployments,
    broadcaster,
    intake,
    webhookSecrets,
    runner,
    controls: new DeploymentControls({ db, deployments, broadcaster, applications, runner, github, env: config.env, live, reporter, confirmation }),
    live,
    metrics,
    metricsServer,
    notifications,
    async close() {
      await metricsServer?.close();
      await runner?.stop();
      await leader.stop(); // and with it every duty: watchdog, retention, notifications, previews
      await jobs.stop();
      await broadcaster.close();
      await database.close();
    },
  };
}
