import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { User } from '../auth/auth.service.ts';
import { runGit, gitEnv } from './git-runner.ts';
import { runHttpBackend } from './http-backend.ts';
import { APP_REPO_PATTERN } from './local-repos.ts';
import { parseReceivePackCommands } from './pkt-line.ts';
import { ZERO_SHA, type PushEvent, type RefUpdate } from './push-events.ts';
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
 * its credential helper (or the person) and retries. Only the smart protocol's three endpoints
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
      // Existence is told only to authenticated callers.
      const repoDir = join(opts.reposDir, `${appName}.git`);
      if (!existsSync(join(repoDir, 'HEAD'))) return reply.code(404).send({ error: 'not_found', message: `no repository ${appName}.git` });

      const isPush = endpoint === 'git-receive-pack';
      const commands = isPush ? collectCommands(req) : undefined;
      const abort = AbortSignal.any([AbortSignal.timeout(opts.requestTimeoutMs ?? 600_000), closedSignal(reply.raw)]);
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
          body: req.method === 'POST' ? req.raw : undefined,
        },
        { signal: abort, onStderr: (t) => (stderr += t.slice(0, 4096)) },
      );
      res.exited.then(async (code) => {
        if (code !== 0 && stderr.trim()) req.log.warn({ app: appName, code }, `git http-backend: ${makeScrubber()(stderr.trim()).slice(0, 500)}`);
        if (!commands || code !== 0 || res.status !== 200) return;
        const updates = await appliedUpdates(repoDir, await commands);
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

/** The ref commands at the start of a push body (inflated if gzip), read beside http-backend. */
function collectCommands(req: FastifyRequest): Promise<RefUpdate[]> {
  return new Promise((resolve) => {
    // A second pipe from the request: it never holds http-backend's copy back (drained after the commands).
    const tee = new PassThrough();
    req.raw.pipe(tee);
    req.raw.on('error', () => tee.end());
    const source = /gzip/i.test(header(req.headers['content-encoding']) ?? '') ? tee.pipe(createGunzip()) : tee;
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      source.removeAllListeners('data');
      source.resume(); // keep draining the tee so it never holds the request back
      resolve(parseReceivePackCommands(buf).updates);
    };
    source.on('data', (c: Buffer) => {
      if (done) return;
      buf = Buffer.concat([buf, c]);
      if (parseReceivePackCommands(buf).complete || buf.length > MAX_COMMANDS_BYTES) finish();
    });
    source.on('end', finish);
    source.on('error', finish);
  });
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
