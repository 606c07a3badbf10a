import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { parseCgiHead, type CgiHead } from './cgi.ts';
import { gitEnv } from './git-runner.ts';

export interface BackendRequest {
  /** Folder holding `<app>.git` repositories. */
  projectRoot: string;
  /** `/<app>.git/info/refs`, `/<app>.git/git-upload-pack`, `/<app>.git/git-receive-pack`. */
  pathInfo: string;
  query: string;
  method: string;
  contentType?: string;
  contentLength?: string;
  /** gzip bodies are passed through untouched: http-backend inflates them itself. */
  contentEncoding?: string;
  /** `Git-Protocol` header (protocol v2 negotiation). */
  gitProtocol?: string;
  remoteUser: string;
  remoteAddr?: string;
  body?: Readable;
}

export interface BackendResponse extends Omit<CgiHead, 'bodyOffset'> {
  body: Readable;
  /** Exit code of http-backend, once it has finished (null when killed). */
  exited: Promise<number | null>;
}

/**
 * Runs `git http-backend` as a CGI program for one request: the request body streams into it,
 * its answer streams out. Resolves once the response head has been parsed. `signal` (the client
 * going away, or a time limit) kills it.
 */
export function runHttpBackend(r: BackendRequest, opts: { signal?: AbortSignal; onStderr?: (text: string) => void } = {}): Promise<BackendResponse> {
  const env = gitEnv(
    {
      GIT_PROJECT_ROOT: r.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_METHOD: r.method,
      PATH_INFO: r.pathInfo,
      QUERY_STRING: r.query,
      REMOTE_USER: r.remoteUser,
      REMOTE_ADDR: r.remoteAddr ?? '',
      ...(r.contentType ? { CONTENT_TYPE: r.contentType } : {}),
      ...(r.contentLength ? { CONTENT_LENGTH: r.contentLength } : {}),
      ...(r.contentEncoding ? { HTTP_CONTENT_ENCODING: r.contentEncoding } : {}),
      ...(r.gitProtocol ? { HTTP_GIT_PROTOCOL: r.gitProtocol } : {}),
    },
    // Served repositories may be partially cloned (`--filter`), and pushed to by an authenticated user.
    [
      ['uploadpack.allowFilter', 'true'],
      ['http.receivepack', 'true'],
    ],
  );
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const kill = () => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  opts.signal?.addEventListener('abort', kill, { once: true });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', kill);
      resolve(code);
    }),
  );
  child.stderr.on('data', (c: Buffer) => opts.onStderr?.(c.toString('utf8')));
  child.stdin.on('error', () => {
    /* http-backend may answer (e.g. 403) before reading the body */
  });
  if (r.body) r.body.pipe(child.stdin);
  else child.stdin.end();

  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const parsed = parseCgiHead(head);
      if (!parsed) {
        if (head.length > 64 * 1024) fail(new Error('git http-backend sent no response head'));
        return;
      }
      child.stdout.off('data', onData);
      child.off('close', onEarlyClose);
      const body = new PassThrough();
      body.write(head.subarray(parsed.bodyOffset));
      child.stdout.pipe(body);
      resolve({ status: parsed.status, headers: parsed.headers, body, exited });
    };
    const onEarlyClose = (code: number | null) => fail(new Error(`git http-backend exited (${code}) before answering`));
    const fail = (err: Error) => {
      child.stdout.off('data', onData);
      kill();
      reject(err);
    };
    child.stdout.on('data', onData);
    child.on('close', onEarlyClose);
    child.on('error', (e) => fail(e));
  });
}
