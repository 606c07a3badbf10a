// Adds up every suite of `npm test` into the closing line CI reads: `N passed, N failed`.
// Vitest's JSON report for the server suites; the web unit tests' and the e2e tests' own summaries.
import { existsSync, readFileSync } from 'node:fs';

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');
const read = (f) => (existsSync(f) ? strip(readFileSync(f, 'utf8')) : null);
let passed = 0;
let failed = 0;
let skipped = 0;

const json = existsSync('test-results/vitest.json') ? JSON.parse(readFileSync('test-results/vitest.json', 'utf8')) : null;
if (json) {
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
} else if (existsSync('test-results/server.log')) failed += 1; // the runner itself broke

const web = read('test-results/web.log');
if (web !== null) {
  const line = web.split('\n').reverse().find((l) => /^\s*Tests\s+/.test(l));
  if (!line) failed += 1;
  else {
    passed += Number(/(\d+) passed/.exec(line)?.[1] ?? 0);
    failed += Number(/(\d+) failed/.exec(line)?.[1] ?? 0);
    skipped += Number(/(\d+) skipped/.exec(line)?.[1] ?? 0);
  }
}

const e2e = read('test-results/e2e.log');
if (e2e !== null) {
  const p = /^ℹ pass (\d+)/m.exec(e2e);
  const f = /^ℹ fail (\d+)/m.exec(e2e);
  if (!p || !f) failed += 1;
  else {
    passed += Number(p[1]);
    failed += Number(f[1]);
    skipped += Number(/^ℹ skipped (\d+)/m.exec(e2e)?.[1] ?? 0);
  }
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
