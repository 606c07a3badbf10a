import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../auth/auth.service.ts';
import { runGit, gitEnv } from './git-runner.ts';
import { runHttpBackend } from './http-backend.ts';
import { APP_REPO_PATTERN } from './local-repos.ts';
import { readPushHead } from './push-head.ts';
import { mayAccess } from './push-policy.ts';
import { pushRefusalReport } from './push-refusal.ts';
import { ZERO_SHA, type PushEvent, type RefUpdate } from './push-events.ts';
import type { RepoPermissions } from './repo-permissions.ts';
import { makeScrubber } from './scrub.ts';

export interface GitHttpOptions {
  /** Folder of the hosted `<app>.git` repositories. */
  reposDir: string;
  /**
   * Who is asking. HTTP Basic credentials (what the git CLI sends) are presented to it as
   * `Authorization: Bearer <password>`, so a personal access token works as the password with any
   * username — and `requestAuthenticator(auth)` works unchanged.
   */
  authenticate: (req: FastifyRequest) => Promise<User | null>;
  /** Who may fetch and push, and which refs (push-policy.ts). Checked before git sees a request. */
  permissions: RepoPermissions;
  /** After a push was accepted: the refs that moved. */
  onPush: (event: PushEvent) => void;
  /** Longest a single git request may run (a big clone over a slow link). Default 10 minutes. */
  requestTimeoutMs?: number;
}

const SERVICES = new Set(['git-upload-pack', 'git-receive-pack']);
const GIT_CONTENT_TYPES = ['application/x-git-upload-pack-request', 'application/x-git-receive-pack-request'];
/** The commands of a push are at the start of its body; a few KiB in practice. */
const MAX_COMMANDS_BYTES = 1 << 20;

/**
 * Git smart HTTP at `/git/<app>.git/…`, served by `git http-backend`. Every request, fetch
 * included, needs a Slipway token; a 401 carries `WWW-Authenticate: Basic` so the git CLI asks
 * its credential helper (or the person) and retries. Then it needs a role on that repository
 * (admin, or one of the application's deployers: 403 otherwise, in text git shows), and a push
 * has its ref updates checked before http-backend runs. Only the smart protocol's three endpoints
 * exist; dumb-protocol file paths are 404.
 */
export async function gitHttpRoutes(app: FastifyInstance, opts: GitHttpOptions): Promise<void> {
  // Leave pack bodies unread: they stream into http-backend, whatever their size.
  app.addContentTypeParser(GIT_CONTENT_TYPES, (_req, _payload, done) => done(null));

  app.route({
    method: ['GET', 'POST'],
    url: '/git/*',
    handler: async (req, reply) => {
      const rest = (req.params as { '*': string })['*'];
      const m = /^([^/]+)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/.exec(rest);
      const appName = m?.[1] ?? '';
      const endpoint = m?.[2] ?? '';
      const query = req.raw.url?.split('?')[1] ?? '';
      const service = endpoint === 'info/refs' ? new URLSearchParams(query).get('service') ?? '' : endpoint;
      if (!m || !APP_REPO_PATTERN.test(appName) || !SERVICES.has(service) || (endpoint === 'info/refs') !== (req.method === 'GET')) {
        return reply.code(404).send({ error: 'not_found', message: 'not a git smart HTTP endpoint' });
      }

      const user = await opts.authenticate(withBearerFromBasic(req));
      if (!user) {
        return reply
          .code(401)
          .header('www-authenticate', 'Basic realm="Slipway"')
          .send({ error: 'unauthenticated', message: 'git over HTTP needs a Slipway personal access token as the password' });
      }
      if (!mayAccess(opts.permissions.roleOf(user, appName))) {
        return forbidden(reply, `${user.email} may not fetch or push ${appName}.git: only admins and the application's deployers may`);
      }
      // Existence is told only to callers with a role.
      const repoDir = join(opts.reposDir, `${appName}.git`);
      if (!existsSync(join(repoDir, 'HEAD'))) return reply.code(404).send({ error: 'not_found', message: `no repository ${appName}.git` });

      const abort = AbortSignal.any([AbortSignal.timeout(opts.requestTimeoutMs ?? 600_000), closedSignal(reply.raw)]);
      let body: Readable | undefined = req.method === 'POST' ? req.raw : undefined;
      let commands: RefUpdate[] | undefined;
      if (endpoint === 'git-receive-pack') {
        const pushed = await readPushHead(req.raw, { gzip: /gzip/i.test(header(req.headers['content-encoding']) ?? ''), maxBytes: MAX_COMMANDS_BYTES, signal: abort });
        if (!pushed.ok) {
          req.raw.resume(); // unread: dropped with the connection
          return reply.code(400).header('connection', 'close').type('text/plain; charset=utf-8').send(`${pushed.reason}\n`);
        }
        const refused = await opts.permissions.refusals(user, appName, pushed.head.updates);
        if (refused.length) {
          pushed.body.resume(); // read to the end and dropped: the git client reads the answer once it has sent its pack
          req.log.info({ app: appName, user: user.email, refused }, 'git push refused');
          const report = pushRefusalReport(pushed.head.updates, refused, pushed.head.capabilities);
          if (!report) return forbidden(reply, refused.map((r) => `${r.ref}: ${r.reason}`).join('\n'));
          return reply.code(200).header('cache-control', 'no-cache').type('application/x-git-receive-pack-result').send(report);
        }
        body = pushed.body;
        commands = pushed.head.updates;
      }
      let stderr = '';
      const h = req.headers;
      const res = await runHttpBackend(
        {
          projectRoot: opts.reposDir,
          pathInfo: `/${appName}.git/${endpoint}`,
          query,
          method: req.method,
          contentType: h['content-type'],
          contentLength: h['content-length'],
          contentEncoding: h['content-encoding'],
          gitProtocol: header(h['git-protocol']),
          remoteUser: user.email,
          remoteAddr: req.ip,
          body,
        },
        { signal: abort, onStderr: (t) => (stderr += t.slice(0, 4096)) },
      );
      res.exited.then(async (code) => {
        if (code !== 0 && stderr.trim()) req.log.warn({ app: appName, code }, `git http-backend: ${makeScrubber()(stderr.trim()).slice(0, 500)}`);
        if (!commands || code !== 0 || res.status !== 200) return;
        const updates = await appliedUpdates(repoDir, commands);
        if (updates.length) opts.onPush({ app: appName, updates });
      }).catch((err) => req.log.error({ err, app: appName }, 'reading the refs of a push failed'));

      reply.code(res.status);
      for (const [k, v] of res.headers) reply.header(k, v);
      return reply.send(res.body);
    },
  });
}

/** Basic `user:token` → `Bearer token` (username ignored; a token given as the username also works). */
function withBearerFromBasic(req: FastifyRequest): FastifyRequest {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const token = colon < 0 ? decoded : decoded.slice(colon + 1) || decoded.slice(0, colon);
    req.headers.authorization = token ? `Bearer ${token}` : '';
  }
  return req;
}

/** 403 in plain text: the git CLI prints a text body of a refused request as `remote: …`. */
function forbidden(reply: FastifyReply, message: string) {
  return reply.code(403).type('text/plain; charset=utf-8').send(`${message}\n`);
}

/** The commands whose ref now holds its new value: the ones receive-pack accepted. */
async function appliedUpdates(repoDir: string, commands: RefUpdate[]): Promise<RefUpdate[]> {
  if (!commands.length) return [];
  const r = await runGit(['for-each-ref', '--format=%(objectname) %(refname)', ...commands.map((c) => c.ref)], {
    cwd: repoDir,
    env: gitEnv(),
    timeoutMs: 15_000,
    scrub: makeScrubber(),
  });
  const now = new Map(
    r.stdout
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(l.indexOf(' ') + 1), l.slice(0, l.indexOf(' '))] as const),
  );
  return commands.filter((c) => (c.after === ZERO_SHA || /^0+$/.test(c.after) ? !now.has(c.ref) : now.get(c.ref) === c.after));
}

/** Aborts when the client goes away before the whole answer was sent. */
function closedSignal(res: ServerResponse): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  return ac.signal;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
