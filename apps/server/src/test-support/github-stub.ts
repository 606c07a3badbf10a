/**
 * CONTRACT STUB of GitHub's REST API — not GitHub. A real HTTP server answering the calls
 * Slipway makes (Bearer token, else 401; unknown run 404):
 * - `GET /repos/{owner}/{repo}/actions/runs/{run_id}` (the watchdog): a run's `status`
 *   (queued/in_progress/completed) and `conclusion` (success/failure/cancelled/…; null until completed);
 * - `POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel` (Cancel): as GitHub's REST reference
 *   says, `202 Accepted` with an empty object for a run not completed (the run then ends
 *   `completed`/`cancelled`, at once here), `409 Conflict` `{"message":"Cannot cancel a workflow
 *   run that is completed."}` for a completed one.
 * - Deployments (git host feedback, docs/previews.md), as GitHub's REST reference describes them:
 *   `POST /repos/{o}/{r}/deployments` (`ref` required, else 422 "Validation Failed"; 201 with the
 *   deployment: `id`, `sha`, `ref`, `environment`, `transient_environment`, …; an unknown `ref`
 *   gives 422 "No ref found for: <ref>" when the test named the repository's commits),
 *   `POST /repos/{o}/{r}/deployments/{id}/statuses` (`state` one of error/failure/inactive/
 *   in_progress/queued/pending/success, else 422; unknown deployment 404; 201 with the status:
 *   `id`, `state`, `environment_url`, `log_url`, `description`), and commit statuses
 *   `POST /repos/{o}/{r}/statuses/{sha}` (`state` error/failure/pending/success; 201 with `state`,
 *   `context` (default "default"), `target_url`, `description`).
 * - Pull requests (Promote): `POST /repos/{o}/{r}/pulls` (`head` and `base` required; 201 with
 *   `number`, `html_url`, `state: open`, `head.ref`, `base.ref`, `body`; a second open one for the
 *   same head and base: 422 `{"message":"Validation Failed","errors":[{"resource":"PullRequest",
 *   "code":"custom","message":"A pull request already exists for <owner>:<head>."}]}`), and
 *   `GET /repos/{o}/{r}/pulls?head=<owner>:<branch>&base=&state=` (filtered as GitHub does; a
 *   merged one is `closed` with `merged_at`, as `mergePull` leaves it).
 * Tests set runs with `setRun` and read what was asked in `calls` (with each request's JSON body).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRun {
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | 'cancelled' | 'timed_out' | null;
}

export interface StubDeployment {
  id: number;
  repository: string;
  ref: string;
  environment: string;
  description: string | null;
  auto_merge: boolean;
  required_contexts: string[] | undefined;
  transient_environment: boolean;
  statuses: { id: number; state: string; description: string; environment_url: string; log_url: string }[];
}

export interface StubPull {
  number: number;
  repository: string;
  head: string;
  base: string;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  merged_at: string | null;
}

const DEPLOYMENT_STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
const COMMIT_STATES = ['error', 'failure', 'pending', 'success'];

export class GitHubStub {
  readonly calls: { method: string; path: string; status: number; body?: any }[] = [];
  private readonly runs = new Map<string, StubRun>();
  readonly deployments: StubDeployment[] = [];
  readonly commitStatuses: { repository: string; sha: string; state: string; context: string; target_url: string | null; description: string | null }[] = [];
  readonly pulls: StubPull[] = [];
  private seq = 0;
  private server!: Server;
  url = '';

  private constructor(readonly token: string) {}

  static async start(o: { token?: string } = {}): Promise<GitHubStub> {
    const stub = new GitHubStub(o.token ?? 'gh-stub-token');
    stub.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://stub');
        const method = req.method ?? 'GET';
        let body: any;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          body = undefined;
        }
        const answer = stub.handle(method, req.headers.authorization, u.pathname, body, u.searchParams);
        stub.calls.push({ method, path: u.pathname + u.search, status: answer.status, body });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => stub.server.listen(0, '127.0.0.1', r));
    stub.url = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`;
    return stub;
  }

  /** Merges pull request `number`, as its Merge button would: closed, with `merged_at`. */
  mergePull(repository: string, number: number): void {
    const p = this.pulls.find((x) => x.repository === repository && x.number === number);
    if (!p) throw new Error(`stub has no pull request ${repository}#${number}`);
    Object.assign(p, { state: 'closed', merged_at: new Date().toISOString() });
  }

  setRun(repository: string, runId: number | string, run: StubRun): void {
    this.runs.set(`${repository}#${runId}`, run);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  /** The run as it is now (after a cancel: completed, cancelled). */
  getRun(repository: string, runId: number | string): StubRun | undefined {
    return this.runs.get(`${repository}#${runId}`);
  }

  private handle(method: string, auth: string | undefined, path: string, body?: any, query?: URLSearchParams): { status: number; body: unknown } {
    if (auth !== `Bearer ${this.token}` && auth !== `token ${this.token}`) return { status: 401, body: { message: 'Bad credentials' } };
    const invalid = (message = 'Validation Failed') => ({ status: 422, body: { message, documentation_url: 'https://docs.github.com/rest' } });
    const dep = /^\/repos\/([^/]+\/[^/]+)\/deployments(?:\/(\d+)\/statuses)?$/.exec(path);
    if (dep && method === 'POST') {
      const repository = dep[1]!;
      if (!dep[2]) {
        if (typeof body?.ref !== 'string' || !body.ref) return invalid();
        const d: StubDeployment = {
          id: ++this.seq,
          repository,
          ref: body.ref,
          environment: typeof body.environment === 'string' ? body.environment : 'production',
          description: body.description ?? null,
          auto_merge: body.auto_merge ?? true,
          required_contexts: body.required_contexts,
          transient_environment: body.transient_environment ?? false,
          statuses: [],
        };
        this.deployments.push(d);
        return { status: 201, body: { id: d.id, sha: d.ref, ref: d.ref, task: 'deploy', environment: d.environment, description: d.description, transient_environment: d.transient_environment, statuses_url: `${this.url}/repos/${repository}/deployments/${d.id}/statuses` } };
      }
      const d = this.deployments.find((x) => x.repository === repository && x.id === Number(dep[2]));
      if (!d) return { status: 404, body: { message: 'Not Found' } };
      if (!DEPLOYMENT_STATES.includes(body?.state)) return invalid();
      const st = { id: ++this.seq, state: body.state, description: body.description ?? '', environment_url: body.environment_url ?? '', log_url: body.log_url ?? '' };
      d.statuses.push(st);
      return { status: 201, body: { ...st, target_url: st.log_url, environment: d.environment } };
    }
    const cs = /^\/repos\/([^/]+\/[^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path);
    if (cs && method === 'POST') {
      if (!COMMIT_STATES.includes(body?.state)) return invalid();
      const st = { repository: cs[1]!, sha: cs[2]!, state: body.state, context: body.context ?? 'default', target_url: body.target_url ?? null, description: body.description ?? null };
      this.commitStatuses.push(st);
      return { status: 201, body: { id: ++this.seq, state: st.state, context: st.context, target_url: st.target_url, description: st.description } };
    }
    const pr = /^\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(path);
    if (pr) {
      const repository = `${pr[1]}/${pr[2]}`;
      const view = (p: StubPull) => ({ number: p.number, html_url: `https://github.com/${repository}/pull/${p.number}`, state: p.state, merged_at: p.merged_at, title: p.title, body: p.body, head: { ref: p.head, label: `${pr[1]}:${p.head}` }, base: { ref: p.base } });
      if (method === 'POST') {
        if (typeof body?.head !== 'string' || typeof body?.base !== 'string') return invalid();
        if (this.pulls.some((p) => p.repository === repository && p.head === body.head && p.base === body.base && p.state === 'open')) {
          return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${pr[1]}:${body.head}.` }], documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request' } };
        }
        const p: StubPull = { number: this.pulls.filter((x) => x.repository === repository).length + 1, repository, head: body.head, base: body.base, title: body.title ?? '', body: body.body ?? null, state: 'open', merged_at: null };
        this.pulls.push(p);
        return { status: 201, body: view(p) };
      }
      if (method === 'GET') {
        const head = query?.get('head');
        const base = query?.get('base');
        const state = query?.get('state') ?? 'open';
        const list = this.pulls.filter((p) => p.repository === repository && (state === 'all' || p.state === state) && (!head || `${pr[1]}:${p.head}` === head) && (!base || p.base === base));
        return { status: 200, body: list.map(view) };
      }
    }
    const m = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)(\/cancel)?$/.exec(path);
    const run = m ? this.runs.get(`${m[1]}#${m[2]}`) : undefined;
    if (!m || !run || (m[3] ? method !== 'POST' : method !== 'GET')) return { status: 404, body: { message: 'Not Found' } };
    if (m[3]) {
      if (run.status === 'completed') return { status: 409, body: { message: 'Cannot cancel a workflow run that is completed.' } };
      this.runs.set(`${m[1]}#${m[2]}`, { status: 'completed', conclusion: 'cancelled' });
      return { status: 202, body: {} };
    }
    return {
      status: 200,
      body: { id: Number(m[2]), status: run.status, conclusion: run.conclusion, html_url: `https://github.com/${m[1]}/actions/runs/${m[2]}` },
    };
  }
}
