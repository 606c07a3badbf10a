import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.ts';
import { tempDir } from '../../git/test-helpers.ts';
import { Sandbox } from '../../runner/sandbox.ts';
import { testSandbox } from '../../runner/test-sandbox.ts';
import { IsolatedPackError, readAnswer, renderPackIsolated } from './isolated-render.ts';
import { PackError } from './pack-manifest.ts';
import { renderForApplications } from './preview.ts';
import type { PackContents } from './render.ts';
import { defineModule, GENERATED_AT } from './test-modules.ts';

const SECRET = `pack-secret-${process.pid}-d41d8cd98f00b204`;
const MANIFEST = 'name: hostile\n';
const module = defineModule({ name: 'Orders', applications: ['backend'], fields: [{ name: 'title', type: 'string', required: true }] });

/** A template that tries `expr` and writes what it got, or DENIED with the reason. */
const attempt = (expr: string) => `<%= (() => { try { return 'GOT ' + (${expr}) } catch (e) { return 'DENIED ' + e.message } })() %>\n`;

describe('repository template packs render isolated', () => {
  const tmp = tempDir('pack-isolation');
  const dataDir = join(tmp.dir, 'data');
  const secretFile = join(dataDir, 'webhook-secret');
  const dbFile = join(dataDir, 'slipway.db');
  let sandbox: Sandbox;
  // Stands in for the server process: its environment holds the secret, as Slipway's does.
  let server: ChildProcess;

  beforeAll(async () => {
    mkdirSync(dataDir, { recursive: true });
    chmodSync(dataDir, 0o700);
    writeFileSync(secretFile, SECRET, { mode: 0o600 });
    const db = openDatabase({ database: { kind: 'sqlite', file: dbFile } });
    await db.migrate();
    await db.close();
    sandbox = testSandbox([dataDir, dbFile]);
    expect(await sandbox.check()).toEqual({ ok: true });
    server = spawn('sleep', ['60'], { env: { PATH: '/usr/bin:/bin', DOKPLOY_WEBHOOK_SECRET: SECRET } });
    process.env.SLIPWAY_ISOLATION_TEST_SECRET = SECRET;
  });

  afterAll(() => {
    server.kill('SIGKILL');
    delete process.env.SLIPWAY_ISOLATION_TEST_SECRET;
    tmp.cleanup();
  });

  const hostile = (): PackContents => ({
    name: 'hostile',
    origin: 'repository',
    files: {
      'pack.yaml': MANIFEST,
      'require.txt.eta': attempt(`require('fs').readFileSync(${JSON.stringify(secretFile)}, 'utf8')`),
      'secret.txt.eta': attempt(`process.getBuiltinModule('fs').readFileSync(${JSON.stringify(secretFile)}, 'utf8')`),
      'database.txt.eta': attempt(`process.getBuiltinModule('fs').readFileSync(${JSON.stringify(dbFile)}).toString('latin1').slice(0, 200)`),
      'data-dir.txt.eta': attempt(`process.getBuiltinModule('fs').readdirSync(${JSON.stringify(dataDir)}).join(',') || 'an empty folder'`),
      'server-environ.txt.eta': attempt(`process.getBuiltinModule('fs').readFileSync('/proc/${'${SERVER_PID}'}/environ', 'utf8')`),
      'parent-environ.txt.eta': attempt(`process.getBuiltinModule('fs').readFileSync('/proc/${process.pid}/environ', 'utf8')`),
      'env.txt.eta': attempt(`JSON.stringify(process.env) + JSON.stringify(globalThis.process.env)`),
      'write.txt.eta': attempt(`(process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(join(dataDir, 'pwned'))}, 'x'), 'written')`),
      'network.txt.eta': attempt(`process.getBuiltinModule('child_process').execFileSync('bash', ['-c', 'exec 3<>/dev/tcp/127.0.0.1/5433 && echo connected'], { encoding: 'utf8' })`),
    },
  });

  it('a hostile pack reads no secret, no database, no server environment, and writes nothing', async () => {
    const pack = hostile();
    const files = { ...pack.files };
    files['server-environ.txt.eta'] = files['server-environ.txt.eta']!.replace('${SERVER_PID}', String(server.pid));
    const out = await renderPackIsolated(sandbox, { ...pack, files }, module, { generatedAt: GENERATED_AT, application: 'backend' });
    const by = Object.fromEntries(out.map((f) => [f.path, f.content.trim()]));
    expect(Object.keys(by).sort()).toEqual(['data-dir.txt', 'database.txt', 'env.txt', 'network.txt', 'parent-environ.txt', 'require.txt', 'secret.txt', 'server-environ.txt', 'write.txt']);
    for (const f of out) expect(f.content).not.toContain(SECRET);
    expect(by['require.txt']).toBe('DENIED require is not defined');
    expect(by['secret.txt']).toMatch(/^DENIED ENOENT/);
    expect(by['database.txt']).toMatch(/^DENIED ENOENT/);
    // Covered by an empty tmpfs: the folder is there, nothing of it is.
    expect(by['data-dir.txt']).toMatch(/^(DENIED ENOENT|GOT an empty folder)/);
    expect(by['server-environ.txt']).toMatch(/^DENIED ENOENT/);
    expect(by['parent-environ.txt']).toMatch(/^DENIED ENOENT/);
    // Only what the renderer is given (bwrap adds PWD).
    expect(Object.keys(JSON.parse(by['env.txt']!.slice('GOT '.length).split('}{')[0] + '}')).sort()).toEqual(['LANG', 'PATH', 'PWD']);
    expect(by['write.txt']).toMatch(/^DENIED /);
    expect(by['network.txt']).toMatch(/^DENIED /);
  });

  it('renders through renderForApplications like a built-in pack, and never in process without a renderer', async () => {
    const pack: PackContents = { name: 'plain', origin: 'repository', files: { 'pack.yaml': 'name: plain\n', 'out/<%= it.names.plural.kebab %>.txt.eta': '<%= it.names.plural.pascal %>\n' } };
    const rendered = await renderForApplications(module, [{ id: 'backend', pack: 'plain' }], async () => ({ ...pack, renderer: (p, m, o) => renderPackIsolated(sandbox, p, m, o) }), GENERATED_AT);
    expect(rendered).toEqual([{ application: 'backend', pack: 'plain', files: [{ path: 'out/orders.txt', content: 'Orders\n' }] }]);
    await expect(renderForApplications(module, [{ id: 'backend', pack: 'plain' }], async () => pack, GENERATED_AT)).rejects.toThrow(PackError);
  });

  it('a failing template answers its error; a loop and a memory hog are stopped', async () => {
    const pack = (tpl: string): PackContents => ({ name: 'bad', origin: 'repository', files: { 'pack.yaml': 'name: bad\n', 'x.txt.eta': tpl } });
    const opts = { generatedAt: GENERATED_AT };
    await expect(renderPackIsolated(sandbox, pack('<%= it.nothing.here %>'), module, opts)).rejects.toThrow(IsolatedPackError);
    await expect(renderPackIsolated(sandbox, pack('<%= it.nothing.here %>'), module, opts)).rejects.toThrow(/template bad\/x\.txt\.eta failed: [\s\S]*Cannot read properties of undefined/);
    const started = Date.now();
    await expect(renderPackIsolated(sandbox, pack('<% for (;;) {} %>'), module, opts, { timeoutMs: 3000 })).rejects.toThrow(/took longer than 3 s|ended with/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(renderPackIsolated(sandbox, pack('<% const a = []; for (;;) a.push(new Array(1e6).fill(1)) %>'), module, opts, { memoryMb: 64 })).rejects.toThrow(/rendering failed: the renderer ended with/);
  });

  it('checks the answer again: paths stay inside the repository, each written once', () => {
    expect(() => readAnswer(JSON.stringify({ files: [{ path: '../../etc/passwd', content: 'x' }] }), 'p (repository)')).toThrow(/climbs out/);
    expect(() => readAnswer(JSON.stringify({ files: [{ path: '.git/hooks/post-checkout', content: 'x' }] }), 'p (repository)')).toThrow(/inside \.git/);
    expect(() => readAnswer(JSON.stringify({ files: [{ path: 'a', content: 'x' }, { path: './a', content: 'y' }] }), 'p (repository)')).toThrow(/two files write a/);
    expect(() => readAnswer(JSON.stringify({ files: [{ path: 'a', content: 1 }] }), 'p (repository)')).toThrow(/malformed/);
    expect(() => readAnswer('not json', 'p (repository)')).toThrow(/no readable answer/);
  });

  it('refuses repository packs when the sandbox cannot start, saying why', async () => {
    const broken = new Sandbox({ mode: 'bwrap', uid: 65534, limits: { memoryBytes: 1 << 30, processes: 64, fileSizeBytes: 1 << 20, openFiles: 256, tmpBytes: 1 << 20 }, hidden: [], bwrap: '/nonexistent/bwrap' });
    await expect(renderPackIsolated(broken, { name: 'x', origin: 'repository', files: { 'pack.yaml': 'name: x\n' } }, module, { generatedAt: GENERATED_AT })).rejects.toThrow(
      /repository packs render only in the sandbox, which is unavailable here: bubblewrap is not installed/,
    );
  });
});
