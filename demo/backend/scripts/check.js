// Build check of the demo backend: every module descriptor must be one the server can serve.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModules, moduleProblems } from '../lib/modules.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'modules');
let modules;
try {
  modules = loadModules(dir);
} catch (err) {
  console.error(`error: ${err.message}`);
  process.exit(1);
}
let failed = false;
for (const mod of modules) {
  const problems = moduleProblems(mod, modules);
  for (const p of problems) console.error(`error: ${p}`);
  if (problems.length) failed = true;
  else console.log(`ok: ${mod.file} (${mod.fields.length} fields, /api/${mod.route})`);
}
console.log(`${modules.length} module(s) checked${failed ? ', with errors' : ''}`);
process.exit(failed ? 1 : 0);
