// Slipway's demo frontend: an HTML page per module in pages/*.json. Listens on $PORT.
//   GET /health            {"status":"ok"}
//   GET /                  the list of module pages
//   GET /modules/<slug>    the module's page (its fields as a table of samples and a form)
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPages, pageProblems, renderIndex, renderPage } from './lib/pages.js';

const here = dirname(fileURLToPath(import.meta.url));
const pages = loadPages(join(here, 'pages')).filter((p) => {
  const problems = pageProblems(p);
  for (const problem of problems) console.error(`skipping ${problem}`);
  return problems.length === 0;
});
const bySlug = new Map(pages.flatMap((p) => [[p.slug, p], [p.route, p]]));

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const html = (status, body) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body);
  };
  if (url.pathname === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ status: 'ok', pages: pages.length }));
  }
  if (url.pathname === '/') return html(200, renderIndex(pages));
  const m = /^\/modules\/([a-z][a-z0-9-]*)\/?$/.exec(url.pathname);
  const page = m && bySlug.get(m[1]);
  if (page) return html(200, renderPage(page));
  return html(404, '<h1>Not found</h1>');
});

const port = Number(process.env.PORT ?? 4200);
server.listen(port, process.env.HOST ?? '127.0.0.1', () => console.log(`demo frontend on :${port} with ${pages.map((p) => p.slug).join(', ') || 'no pages'}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
