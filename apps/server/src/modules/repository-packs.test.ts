/**
 * A member who can push to a hosted repository's `main` replaces its template pack with one that
 * tries to read the server's secrets. Through the real server (preview route, publisher's mirror,
 * the sandboxed renderer), the attempt gets nothing, and a failing pack answers 422.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../test-support/http.ts';
import { ADMIN, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';

const attempt = (expr: string) => `<%= (() => { try { return 'GOT ' + (${expr}) } catch (e) { return 'DENIED ' + e.message } })() %>`;
const ENV_SECRET = `env-secret-${process.pid}-2fd4e1c67a2d28fc`;

describe('repository template packs, through the server', () => {
  let s: TestServer;
  let token: string;
  const work = mkdtempSync(join(tmpdir(), 'slipway-hostile-pack-'));

  /** Commits `template` as the backend pack's module.json.eta on main, straight into the hosted repository. */
  function pushPack(template: string): void {
    const clone = join(work, `c${Date.now()}`);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'm', GIT_AUTHOR_EMAIL: 'm@x', GIT_COMMITTER_NAME: 'm', GIT_COMMITTER_EMAIL: 'm@x' };
    execFileSync('git', ['clone', '-q', join(s.dataDir, 'repos', 'backend.git'), clone], { env });
    writeFileSync(join(clone, '.slipway/templates/demo-api/module.json.eta'), template);
    execFileSync('git', ['commit', '-qam', 'pack'], { cwd: clone, env });
    execFileSync('git', ['push', '-q', 'origin', 'HEAD:main'], { cwd: clone, env });
  }

  const preview = () =>
    call(s.url, 'POST', '/api/admin/modules/preview', { token, body: { name: 'Orders', applications: ['backend'], fields: [{ name: 'title', type: 'string', required: true }] } });

  beforeAll(async () => {
    // The server process's environment holds a secret, as a real one's does.
    process.env.SLIPWAY_HOSTILE_PACK_TEST_SECRET = ENV_SECRET;
    s = await startTestServer('sqlite', { SLIPWAY_DEMO: 'true' });
    token = await s.ctx.auth.createToken(ADMIN.email, 'pack-test');
  });

  afterAll(async () => {
    delete process.env.SLIPWAY_HOSTILE_PACK_TEST_SECRET;
    await s?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('a hostile pack on main reads no secret, no database and no server environment', async () => {
    const fs = `process.getBuiltinModule('fs')`;
    pushPack(
      [
        `env: ${attempt(`JSON.stringify(globalThis.process.env)`)}`,
        `database: ${attempt(`${fs}.readFileSync(${JSON.stringify(join(s.dataDir, 'slipway.db'))}).toString('latin1').slice(0, 300)`)}`,
        `data: ${attempt(`${fs}.readdirSync(${JSON.stringify(s.dataDir)}).join(',') || 'an empty folder'`)}`,
        `server-environ: ${attempt(`${fs}.readFileSync('/proc/${process.pid}/environ', 'latin1')`)}`,
        `server-cmdline: ${attempt(`${fs}.readFileSync('/proc/${process.pid}/cmdline', 'latin1')`)}`,
        `require: ${attempt(`require('fs')`)}`,
      ].join('\n'),
    );
    const r = await preview();
    expect(r.status).toBe(200);
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(ENV_SECRET);
    expect(text).not.toContain(TEST_SECRET);
    expect(text).not.toContain(ADMIN.email);
    const content: string = r.body.files[0].files[0].content;
    const line = (k: string) => content.split('\n').find((l) => l.startsWith(`${k}: `))!.slice(k.length + 2);
    expect(Object.keys(JSON.parse(line('env').slice('GOT '.length))).sort()).toEqual(['LANG', 'PATH', 'PWD']);
    expect(line('database')).toMatch(/^DENIED ENOENT/);
    expect(line('data')).toMatch(/^(DENIED ENOENT|GOT an empty folder)/);
    expect(line('server-environ')).toMatch(/^DENIED ENOENT/);
    expect(line('server-cmdline')).toMatch(/^DENIED ENOENT/);
    expect(line('require')).toBe('DENIED require is not defined');
  });

  it('a pack that throws or exits answers 422 naming the pack, and the server stays up', async () => {
    pushPack(`<%= it.names.nothing.here %>`);
    const thrown = await preview();
    expect(thrown.status).toBe(422);
    expect(thrown.body).toMatchObject({ error: 'template_error', message: expect.stringContaining('template demo-api/module.json.eta failed') });
    pushPack(`<% process.exit(0) %>`);
    const exited = await preview();
    expect(exited.status).toBe(422);
    expect(exited.body.message).toMatch(/template pack demo-api \(repository\): the renderer gave no readable answer/);
    expect((await call(s.url, 'GET', '/api/admin/applications', { token })).status).toBe(200);
  });
});
