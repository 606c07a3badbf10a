// Build check of the demo frontend: every page descriptor must be one the server can render.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPages, pageProblems, renderPage } from '../lib/pages.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'pages');
let pages;
try {
  pages = loadPages(dir);
} catch (err) {
  console.error(`error: ${err.message}`);
  process.exit(1);
}
let failed = false;
for (const page of pages) {
  const problems = pageProblems(page);
  for (const p of problems) console.error(`error: ${p}`);
  if (problems.length) failed = true;
  else console.log(`ok: ${page.file} (${renderPage(page).length} bytes of HTML)`);
}
console.log(`${pages.length} page(s) checked${failed ? ', with errors' : ''}`);
process.exit(failed ? 1 : 0);
