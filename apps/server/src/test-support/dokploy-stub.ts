/**
 * CONTRACT STUB of Dokploy — not Dokploy. A real HTTP server (node:http) that answers the way
 * docs/contracts.md (section 9, read from Dokploy v0.30's source) records, so Slipway's Dokploy
 * client and the confirmation flow are tested against that contract over real sockets:
 *
 * - deploy webhook `/api/deploy/<refreshToken>`, any method, as Dokploy v0.30's route decides
 *   (`pages/api/deploy/[refreshToken].ts`): `X-GitHub-Event: ping` → 200; 404 unknown token; 400
 *   auto-deploy off; then by source: `github` checks watch paths, then the branch; `git` checks the
 *   branch, then watch paths (against `commits[]` of a GitHub-style event only); `docker` redeploys
 *   on any call. A mismatch is a 301 with no Location and Dokploy's reason in the body ("Branch Not
 *   Match", "Watch Paths Not Match"); else 200 `{"message":"Application deployed successfully"}`
 *   with a new deployment only *queued* (status `running`), titled `head_commit.message` (else "NEW
 *   COMMIT") and described `Hash: <head_commit.id>` for a GitHub event, as Dokploy records them.
 *   Watch paths match like Dokploy's `micromatch.some(paths, watchPaths)` (node's glob matcher
 *   here: plain globs; an empty list matches everything).
 * - API, header `x-api-key` (else 401): `POST /api/application.deploy {applicationId}` (empty answer,
 *   no deployment id), `GET /api/deployment.all?applicationId=` (newest first),
 *   `GET /api/deployment.readLogs?deploymentId=&tail=`, `POST /api/application.cancelDeployment
 *   {applicationId}` (its running deployments end `cancelled`; `{success, message}` as Dokploy's
 *   router answers); deployment statuses running/done/error/cancelled.
 * - Previews (docs/previews.md), as Dokploy's `application` and `domain` routers take them (inputs
 *   `apiCreateApplication`, `apiSaveDockerProvider`, `apiCreateDomain`, `apiFindOneApplication`;
 *   a missing required key is tRPC's 400 BAD_REQUEST): `POST /api/application.create {name,
 *   appName, description, environmentId}` → the new application (`applicationId`, `appName`,
 *   `sourceType: "github"`, `applicationStatus: "idle"`); `POST /api/application.saveDockerProvider
 *   {applicationId, dockerImage, username, password, registryUrl}` (every key present, nulls
 *   allowed) → `true`, the source becomes `docker`; `POST /api/domain.create {host, path, port,
 *   https, applicationId, certificateType, domainType}` → the domain (`domainId`, …);
 *   `POST /api/application.delete {applicationId}` → the deleted application (its domains go too);
 *   an unknown application: 404.
 *
 * - Rollback (issue #16): `GET /api/application.one?applicationId=` → the application's columns that
 *   matter here (`sourceType`, `dockerImage`, `username`, `password`, `registryUrl`).
 *
 * Tests script it: add applications, move a deployment running → done/error with log lines, make the
 * next calls of a procedure fail. Every request is recorded in `calls`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchesGlob } from 'node:path';
import type { DokployDeploymentStatus } from '../dokploy/dokploy-answers.ts';

export interface StubApplication {
  applicationId: string;
  /** The deploy webhook's refresh token. */
  token: string;
  /** Dokploy's `sourceType`: `github` (a GitHub provider), `git` (a custom git URL), `docker` (an image). */
  source: 'github' | 'git' | 'docker';
  branch: string;
  autoDeploy: boolean;
  /** Dokploy's watch paths (globs); none: every push deploys. */
  watchPaths: string[];
  /** The registry login of a `docker` source, as `application.one` answers it (rollback, issue #16). */
  registry?: { username: string | null; password: string | null; registryUrl: string | null };
  /** Set by application.create. */
  name?: string;
  appName?: string;
  environmentId?: string;
  /** Set by application.saveDockerProvider. */
  dockerImage?: string | null;
}

export interface StubDomain {
  domainId: string;
  applicationId: string;
  host: string;
  port: number;
  https: boolean;
  path: string;
  certificateType: string;
}

export interface StubDeployment {
  deploymentId: string;
  applicationId: string;
  title: string;
  /** `Hash: <commit>` when the call named one, as Dokploy records it. */
  description: string | null;
  status: DokployDeploymentStatus;
  createdAt: string;
  finishedAt: string | null;
  errorMessage: string | null;
  logs: string[];
}

export interface StubCall {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

export class DokployStub {
  readonly apiKey: string;
  readonly calls: StubCall[] = [];
  private readonly apps = new Map<string, StubApplication>();
  readonly domains: StubDomain[] = [];
  private readonly deployments: StubDeployment[] = [];
  private readonly failures = new Map<string, { status: number; times: number }>();
  private seq = 0;
  private server!: Server;
  url = '';

  private constructor(apiKey: string) {
    this.apiKey = apiKey;
  }

  static async start(o: { apiKey?: string } = {}): Promise<DokployStub> {
    const stub = new DokployStub(o.apiKey ?? 'stub-api-key');
    stub.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://stub');
        const answer = stub.handle(req.method ?? 'GET', u, req.headers, body);
        stub.calls.push({ method: req.method ?? 'GET', path: u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers, body, status: answer.status });
        res.writeHead(answer.status, answer.body === undefined ? {} : { 'content-type': 'application/json' });
        res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => stub.server.listen(0, '127.0.0.1', r));
    stub.url = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`;
    return stub;
  }

  /** An application as it is now (undefined once deleted). */
  application(applicationId: string): StubApplication | undefined {
    return this.apps.get(applicationId);
  }

  addApplication(a: Partial<StubApplication> & { applicationId: string }): StubApplication {
    const app: StubApplication = { token: `token-${a.applicationId}`, source: 'git', branch: 'main', autoDeploy: true, watchPaths: [], ...a };
    this.apps.set(app.applicationId, app);
    return app;
  }

  webhookUrl(token: string): string {
    return `${this.url}/api/deploy/${token}`;
  }

  /** A deployment as Dokploy's queue would create it (running unless told otherwise). */
  addDeployment(applicationId: string, o: { status?: DokployDeploymentStatus; logs?: string[]; createdAt?: string; title?: string; description?: string; errorMessage?: string } = {}): StubDeployment {
    const d: StubDeployment = {
      deploymentId: `dep-${++this.seq}`,
      applicationId,
      title: o.title ?? 'Manual deployment',
      description: o.description ?? null,
      status: o.status ?? 'running',
      createdAt: o.createdAt ?? new Date().toISOString(),
      finishedAt: null,
      errorMessage: o.errorMessage ?? null,
      logs: [...(o.logs ?? [])],
    };
    this.deployments.push(d);
    return d;
  }

  deployment(id: string): StubDeployment {
    const d = this.deployments.find((x) => x.deploymentId === id);
    if (!d) throw new Error(`stub has no deployment ${id}`);
    return d;
  }

  deploymentsOf(applicationId: string): StubDeployment[] {
    return this.deployments.filter((d) => d.applicationId === applicationId).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.deploymentId.localeCompare(a.deploymentId));
  }

  log(id: string, ...lines: string[]): void {
    this.deployment(id).logs.push(...lines);
  }

  /** Moves a deployment to its end, as Dokploy's worker does. */
  finish(id: string, status: Exclude<DokployDeploymentStatus, 'running'>, o: { logs?: string[]; errorMessage?: string } = {}): void {
    const d = this.deployment(id);
    d.status = status;
    d.finishedAt = new Date().toISOString();
    d.logs.push(...(o.logs ?? []));
    if (o.errorMessage) d.errorMessage = o.errorMessage;
  }

  /** The next `times` calls of a procedure (`deployment.all`, `deploy`, …) answer `status`. */
  failNext(procedure: string, status: number, times = 1): void {
    this.failures.set(procedure, { status, times });
  }

  /** How many times a procedure was called (`deployment.all`, `deployment.readLogs`, `deploy`, …). */
  count(procedure: string): number {
    return this.calls.filter((c) => procedureOf(c.path) === procedure).length;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(method: string, u: URL, headers: IncomingMessage['headers'], body: string): { status: number; body?: unknown } {
    const procedure = procedureOf(u.pathname);
    const failure = this.failures.get(procedure);
    if (failure && failure.times > 0) {
      failure.times--;
      return { status: failure.status, body: { message: 'Injected failure' } };
    }
    const webhook = /^\/api\/deploy\/([^/]+)$/.exec(u.pathname);
    if (webhook) return this.webhook(decodeURIComponent(webhook[1]!), headers, body);

    if (headers['x-api-key'] !== this.apiKey) return { status: 401, body: { message: 'Unauthorized' } };
    if (method === 'POST' && u.pathname === '/api/application.deploy') {
      const applicationId = parseJson(body)?.applicationId;
      if (typeof applicationId !== 'string' || !this.apps.has(applicationId)) return { status: 404, body: { message: 'Application not found' } };
      this.addDeployment(applicationId, { title: 'Rebuild deployment' });
      return { status: 200 };
    }
    if (method === 'GET' && u.pathname === '/api/application.one') {
      // Dokploy's `one` (input apiFindOneApplication): the application row, its source and image among its columns.
      const app = this.apps.get(u.searchParams.get('applicationId') ?? '');
      if (!app) return { status: 404, body: { message: 'Application not found' } };
      const image = (app as { dockerImage?: string | null }).dockerImage ?? null;
      return { status: 200, body: { applicationId: app.applicationId, sourceType: app.source, branch: app.branch, autoDeploy: app.autoDeploy, dockerImage: image, username: app.registry?.username ?? null, password: app.registry?.password ?? null, registryUrl: app.registry?.registryUrl ?? null, applicationStatus: 'done' } };
    }
    if (method === 'POST' && u.pathname === '/api/application.create') {
      const input = parseJson(body) ?? {};
      if (typeof input.name !== 'string' || !input.name || typeof input.environmentId !== 'string' || !input.environmentId) return badRequest('name and environmentId are required');
      const applicationId = `app-${++this.seq}`;
      // Dokploy makes the appName unique with a random suffix.
      const app = this.addApplication({ applicationId, source: 'github', name: input.name, appName: `${input.appName ?? 'app'}-${applicationId}`, environmentId: input.environmentId });
      return { status: 200, body: { applicationId, name: app.name, appName: app.appName, description: input.description ?? null, environmentId: app.environmentId, sourceType: 'github', applicationStatus: 'idle' } };
    }
    if (method === 'POST' && u.pathname === '/api/application.saveDockerProvider') {
      const input = parseJson(body) ?? {};
      if (!['applicationId', 'dockerImage', 'username', 'password', 'registryUrl'].every((k) => k in input)) return badRequest('applicationId, dockerImage, username, password and registryUrl are required');
      const app = this.apps.get(input.applicationId);
      if (!app) return { status: 404, body: { message: 'Application not found' } };
      Object.assign(app, { source: 'docker', dockerImage: input.dockerImage });
      return { status: 200, body: true };
    }
    if (method === 'POST' && u.pathname === '/api/domain.create') {
      const input = parseJson(body) ?? {};
      if (typeof input.host !== 'string' || !input.host) return badRequest('host is required');
      if (!this.apps.has(input.applicationId)) return { status: 404, body: { message: 'Application not found' } };
      const d: StubDomain = { domainId: `dom-${++this.seq}`, applicationId: input.applicationId, host: input.host, port: Number(input.port ?? 3000), https: Boolean(input.https), path: input.path ?? '/', certificateType: input.certificateType ?? 'none' };
      this.domains.push(d);
      return { status: 200, body: { ...d, domainType: input.domainType ?? 'application' } };
    }
    if (method === 'POST' && u.pathname === '/api/application.delete') {
      const applicationId = parseJson(body)?.applicationId;
      const app = typeof applicationId === 'string' ? this.apps.get(applicationId) : undefined;
      if (!app) return { status: 404, body: { message: 'Application not found' } };
      this.apps.delete(applicationId);
      for (let i = this.domains.length - 1; i >= 0; i--) if (this.domains[i]!.applicationId === applicationId) this.domains.splice(i, 1);
      return { status: 200, body: { applicationId, name: app.name ?? applicationId, appName: app.appName ?? applicationId } };
    }
    if (method === 'POST' && u.pathname === '/api/application.cancelDeployment') {
      // Dokploy drops the queued deployments and ends the running one; the application goes idle.
      const applicationId = parseJson(body)?.applicationId;
      if (typeof applicationId !== 'string' || !this.apps.has(applicationId)) return { status: 404, body: { message: 'Application not found' } };
      for (const d of this.deployments) {
        if (d.applicationId === applicationId && d.status === 'running') Object.assign(d, { status: 'cancelled', finishedAt: new Date().toISOString() });
      }
      return { status: 200, body: { success: true, message: 'Deployment cancellation requested' } };
    }
    if (method === 'GET' && u.pathname === '/api/deployment.all') {
      const applicationId = u.searchParams.get('applicationId') ?? '';
      if (!this.apps.has(applicationId)) return { status: 404, body: { message: 'Application not found' } };
      return {
        status: 200,
        body: this.deploymentsOf(applicationId).map(({ logs: _logs, ...d }) => ({ ...d, logPath: `/etc/dokploy/logs/${d.deploymentId}.log` })),
      };
    }
    if (method === 'GET' && u.pathname === '/api/deployment.readLogs') {
      const d = this.deployments.find((x) => x.deploymentId === u.searchParams.get('deploymentId'));
      if (!d) return { status: 404, body: { message: 'Deployment not found' } };
      const tail = Number(u.searchParams.get('tail') ?? '100');
      return { status: 200, body: d.logs.slice(-Math.max(1, tail)).join('\n') };
    }
    return { status: 404, body: { message: `No procedure ${method} ${u.pathname}` } };
  }

  private webhook(token: string, headers: IncomingMessage['headers'], raw: string): { status: number; body?: unknown } {
    if (headers['x-github-event'] === 'ping') return { status: 200, body: { message: 'Ping received, webhook is active' } };
    const app = [...this.apps.values()].find((a) => a.token === token);
    if (!app) return { status: 404, body: { message: 'Application Not Found' } };
    if (!app.autoDeploy) return { status: 400, body: { message: 'Automatic deployments are disabled for this application' } };
    const body = parseJson(raw) ?? {};
    const github = typeof headers['x-github-event'] === 'string';
    // Dokploy ignores a call with a bare 301 (no Location header) and says why in the body.
    const ignored = (message: string) => ({ status: 301, body: { message } });
    const branch = github && typeof body.ref === 'string' ? body.ref.replace('refs/heads/', '') : undefined;
    const paths = (body.commits ?? []).flatMap((c: any) => [...(c?.added ?? []), ...(c?.modified ?? []), ...(c?.removed ?? [])]);
    const pathsMatch = app.watchPaths.length === 0 || paths.some((p: unknown) => typeof p === 'string' && app.watchPaths.some((w) => matchesGlob(p, w)));
    if (app.source === 'github') {
      if (!pathsMatch) return ignored('Watch Paths Not Match');
      if (branch !== app.branch) return ignored('Branch Not Match');
    } else if (app.source === 'git') {
      if (branch !== app.branch) return ignored('Branch Not Match');
      // A custom git source reads `commits` of the providers it recognises (GitHub's event here).
      if (app.watchPaths.length > 0 && !(github && pathsMatch)) return ignored('Watch Paths Not Match');
    }
    const title = github ? (body.head_commit ? body.head_commit.message : 'NEW COMMIT') : 'NEW CHANGES';
    const hash = github && body.head_commit ? body.head_commit.id : '';
    this.addDeployment(app.applicationId, { title: String(title), description: hash ? `Hash: ${hash}` : undefined });
    return { status: 200, body: { message: 'Application deployed successfully' } };
  }
}

function procedureOf(path: string): string {
  if (path.startsWith('/api/deploy/')) return 'webhook';
  if (path === '/api/application.deploy') return 'deploy';
  return path.replace(/^\/api\//, '');
}

/** tRPC's answer to an input its zod schema refuses. */
function badRequest(message: string): { status: number; body: unknown } {
  return { status: 400, body: { message, code: 'BAD_REQUEST' } };
}

function parseJson(body: string): any {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Polls until `check` returns a value (no timing is asserted: the bound only stops a hung test). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
