// Slipway's demo backend: a JSON API for every module in modules/*.json. Listens on $PORT.
//   GET /health               {"status":"ok"}
//   GET /                     the modules and their URLs
//   GET /api/<route>          list (seeded with the module's sample records)
//   GET /api/<route>/<id>     one record
//   POST /api/<route>         create (validated against the module's fields)
//   DELETE /api/<route>/<id>  delete
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collection, loadModules, moduleProblems, validateRecord } from './lib/modules.js';

const here = dirname(fileURLToPath(import.meta.url));
const modules = loadModules(join(here, 'modules'));
const collections = new Map();
for (const mod of modules) {
  const problems = moduleProblems(mod, modules);
  if (problems.length) {
    for (const p of problems) console.error(`skipping ${p}`);
    continue;
  }
  const c = new Collection(mod);
  collections.set(mod.route, c);
  collections.set(mod.slug, c);
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function readJson(req) {
  return new Promise((resolve) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      text += c;
      if (text.length > 1 << 20) req.destroy();
    });
    req.on('end', () => {
      try {
        resolve({ ok: true, value: JSON.parse(text || '{}') });
      } catch (err) {
        resolve({ ok: false, error: err.message });
      }
    });
  });
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter(Boolean);
  if (url.pathname === '/health') return send(res, 200, { status: 'ok', modules: modules.length });
  if (url.pathname === '/') {
    return send(res, 200, {
      app: 'slipway-demo-backend',
      branch: process.env.SLIPWAY_BRANCH ?? null,
      commit: process.env.SLIPWAY_SHA7 ?? null,
      modules: [...new Set(collections.values())].map((c) => ({ slug: c.mod.slug, name: c.mod.name, url: `/api/${c.mod.route}` })),
    });
  }
  if (parts[0] !== 'api' || !parts[1] || parts.length > 3) return send(res, 404, { error: 'not_found' });
  const c = collections.get(parts[1]);
  if (!c) return send(res, 404, { error: 'not_found', message: `no module ${parts[1]}` });
  const id = parts[2] === undefined ? undefined : Number(parts[2]);
  if (id !== undefined && !Number.isSafeInteger(id)) return send(res, 404, { error: 'not_found' });

  if (req.method === 'GET' && id === undefined) return send(res, 200, c.rows);
  if (req.method === 'GET') return c.find(id) ? send(res, 200, c.find(id)) : send(res, 404, { error: 'not_found' });
  if (req.method === 'DELETE' && id !== undefined) return c.remove(id) ? send(res, 204, null) : send(res, 404, { error: 'not_found' });
  if (req.method === 'POST' && id === undefined) {
    const body = await readJson(req);
    if (!body.ok) return send(res, 400, { error: 'malformed_json', message: body.error });
    const r = validateRecord(c.mod, body.value);
    if (!r.ok) return send(res, 422, { error: 'invalid input', errors: r.errors });
    const clash = c.uniqueProblem(r.record);
    if (clash) return send(res, 409, { error: 'already exists', field: clash });
    return send(res, 201, c.insert(r.record));
  }
  return send(res, 405, { error: 'method_not_allowed' });
});

const port = Number(process.env.PORT ?? 4000);
server.listen(port, process.env.HOST ?? '127.0.0.1', () => console.log(`demo backend on :${port} with ${collections.size ? [...new Set(collections.values())].map((c) => c.mod.slug).join(', ') : 'no modules'}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
