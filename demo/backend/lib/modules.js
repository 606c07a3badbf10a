// The module descriptors the demo pack generates (modules/<route>.json) and the rules the demo
// backend can serve. Node built-ins only: the demo runs with nothing installed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SUPPORTED_TYPES = ['string', 'text', 'integer', 'decimal', 'boolean', 'date', 'datetime', 'enum', 'relation'];

/** Every descriptor in `dir`, sorted by file name. Throws naming the file when one is not JSON. */
export function loadModules(dir) {
  let names = [];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return names.map((file) => {
    try {
      return { file, ...JSON.parse(readFileSync(join(dir, file), 'utf8')) };
    } catch (err) {
      throw new Error(`${file}: not valid JSON (${err.message})`);
    }
  });
}

/** What keeps a descriptor from being served, one sentence per problem; [] when it is fine. */
export function moduleProblems(mod, all) {
  const where = mod.file ?? mod.slug ?? '(module)';
  const problems = [];
  if (typeof mod.slug !== 'string' || !/^[a-z][a-z0-9-]*$/.test(mod.slug)) problems.push(`${where}: slug is missing or invalid`);
  if (typeof mod.route !== 'string' || !/^[a-z][a-z0-9-]*$/.test(mod.route)) problems.push(`${where}: route is missing or invalid`);
  if (!Array.isArray(mod.fields) || mod.fields.length === 0) problems.push(`${where}: no fields`);
  const slugs = new Set(all.map((m) => m.slug));
  for (const f of mod.fields ?? []) {
    if (!SUPPORTED_TYPES.includes(f.type)) problems.push(`${where}: field '${f.name}' has type '${f.type}', which the demo backend cannot serve`);
    if (f.type === 'relation' && !slugs.has(f.relation)) {
      problems.push(`${where}: field '${f.name}' is a relation to '${f.relation}', which is not a module of this application (known: ${[...slugs].join(', ') || 'none'})`);
    }
  }
  return problems;
}

/** Why `value` does not suit field `f` ('' when it does). */
function valueProblem(f, value) {
  switch (f.type) {
    case 'string':
    case 'text':
      return typeof value === 'string' ? '' : 'must be a string';
    case 'integer':
    case 'relation':
      return Number.isSafeInteger(value) ? '' : 'must be an integer';
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value) ? '' : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? '' : 'must be true or false';
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? '' : 'must be a date YYYY-MM-DD';
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? '' : 'must be a date-time';
    case 'enum':
      return (f.options ?? []).includes(value) ? '' : `must be one of ${(f.options ?? []).join(', ')}`;
    default:
      return 'has an unsupported type';
  }
}

/** A record from a request body: `{ ok, record }` or `{ ok: false, errors: [{ field, message }] }`. */
export function validateRecord(mod, body) {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, errors: [{ field: '(body)', message: 'must be a JSON object' }] };
  const errors = [];
  const record = {};
  for (const f of mod.fields) {
    let value = body[f.name];
    if (value === undefined || value === null) value = f.default ?? null;
    if (value === null) {
      if (f.required) errors.push({ field: f.name, message: 'is required' });
      record[f.name] = null;
      continue;
    }
    const problem = valueProblem(f, value);
    if (problem) errors.push({ field: f.name, message: problem });
    record[f.name] = value;
  }
  for (const key of Object.keys(body)) {
    if (!mod.fields.some((f) => f.name === key)) errors.push({ field: key, message: 'is not a field of this module' });
  }
  return errors.length ? { ok: false, errors } : { ok: true, record };
}

/** In-memory records of one module, seeded with the descriptor's samples. */
export class Collection {
  constructor(mod) {
    this.mod = mod;
    this.rows = [];
    this.nextId = 1;
    for (const sample of mod.samples ?? []) {
      const r = validateRecord(mod, sample);
      if (r.ok && this.uniqueProblem(r.record) === '') this.insert(r.record);
    }
  }
  uniqueProblem(record, exceptId) {
    for (const f of this.mod.fields.filter((x) => x.unique)) {
      if (record[f.name] !== null && this.rows.some((row) => row.id !== exceptId && row[f.name] === record[f.name])) return f.name;
    }
    return '';
  }
  insert(record) {
    const now = new Date().toISOString();
    const row = { id: this.nextId++, ...record, created_at: now, updated_at: now };
    this.rows.push(row);
    return row;
  }
  find(id) {
    return this.rows.find((r) => r.id === id);
  }
  remove(id) {
    const i = this.rows.findIndex((r) => r.id === id);
    if (i >= 0) this.rows.splice(i, 1);
    return i >= 0;
  }
}
