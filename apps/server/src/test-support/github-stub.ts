/**
 * CONTRACT STUB of GitHub's REST API — not GitHub. A real HTTP server answering the one call the
 * watchdog makes, `GET /repos/{owner}/{repo}/actions/runs/{run_id}` (Bearer token, else 401; unknown
 * run 404), with a run's `status` (queued/in_progress/completed) and `conclusion`
 * (success/failure/cancelled/…; null until completed). Tests set runs with `setRun`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRun {
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | 'cancelled' | 'timed_out' | null;
}

export class GitHubStub {
  readonly calls: { path: string; status: number }[] = [];
  private readonly runs = new Map<string, StubRun>();
  private server!: Server;
  url = '';

  private constructor(readonly token: string) {}

  static async start(o: { token?: string } = {}): Promise<GitHubStub> {
    const stub = new GitHubStub(o.token ?? 'gh-stub-token');
    stub.server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://stub').pathname;
      const answer = stub.handle(req.headers.authorization, path);
      stub.calls.push({ path, status: answer.status });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => stub.server.listen(0, '127.0.0.1', r));
    stub.url = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`;
    return stub;
  }

  setRun(repository: string, runId: number | string, run: StubRun): void {
    this.runs.set(`${repository}#${runId}`, run);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private handle(auth: string | undefined, path: string): { status: number; body: unknown } {
    if (auth !== `Bearer ${this.token}` && auth !== `token ${this.token}`) return { status: 401, body: { message: 'Bad credentials' } };
    const m = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)$/.exec(path);
    const run = m ? this.runs.get(`${m[1]}#${m[2]}`) : undefined;
    if (!m || !run) return { status: 404, body: { message: 'Not Found' } };
    return {
      status: 200,
      body: { id: Number(m[2]), status: run.status, conclusion: run.conclusion, html_url: `https://github.com/${m[1]}/actions/runs/${m[2]}` },
    };
  }
}
