// Module pages of the demo frontend: the descriptors the demo pack generates (pages/<route>.json)
// rendered as HTML. Node built-ins only.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const INPUT_TYPES = { string: 'text', text: 'textarea', integer: 'number', decimal: 'number', boolean: 'checkbox', date: 'date', datetime: 'datetime-local', enum: 'select', relation: 'number' };

export function loadPages(dir) {
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

/** What keeps a page from being rendered; [] when it is fine. */
export function pageProblems(page) {
  const where = page.file ?? page.slug ?? '(page)';
  const problems = [];
  if (typeof page.slug !== 'string' || !/^[a-z][a-z0-9-]*$/.test(page.slug)) problems.push(`${where}: slug is missing or invalid`);
  if (!Array.isArray(page.fields) || page.fields.length === 0) problems.push(`${where}: no fields`);
  for (const f of page.fields ?? []) {
    if (!(f.type in INPUT_TYPES)) problems.push(`${where}: field '${f.name}' has type '${f.type}', which the demo frontend cannot render`);
  }
  return problems;
}

export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function input(f) {
  const name = escapeHtml(f.name);
  const required = f.required ? ' required' : '';
  const type = INPUT_TYPES[f.type];
  if (type === 'textarea') return `<textarea name="${name}"${required}></textarea>`;
  if (type === 'select') return `<select name="${name}"${required}>${(f.options ?? []).map((o) => `<option>${escapeHtml(o)}</option>`).join('')}</select>`;
  const step = f.type === 'decimal' ? ' step="any"' : '';
  return `<input type="${type}" name="${name}"${step}${required}>`;
}

function layout(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem}label{display:block;margin:.4rem 0}</style>
</head><body>${body}</body></html>`;
}

export function renderPage(page) {
  const fields = page.fields;
  const head = fields.map((f) => `<th>${escapeHtml(f.label ?? f.name)}</th>`).join('');
  const rows = (page.samples ?? []).map((s) => `<tr>${fields.map((f) => `<td>${escapeHtml(s[f.name])}</td>`).join('')}</tr>`).join('');
  const form = fields.map((f) => `<label>${escapeHtml(f.label ?? f.name)} ${input(f)}</label>`).join('');
  return layout(
    page.title ?? page.slug,
    `<h1 data-module="${escapeHtml(page.slug)}">${escapeHtml(page.title ?? page.slug)}</h1>
<p>${escapeHtml(page.description ?? '')}</p>
<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>
<h2>New ${escapeHtml(page.name ?? page.slug)}</h2><form>${form}<button type="submit">Save</button></form>`,
  );
}

// Relative links: the page works at its service's root and under Slipway's /preview/<slug>/frontend/.
export function renderIndex(pages) {
  const items = pages.map((p) => `<li><a href="modules/${escapeHtml(p.slug)}">${escapeHtml(p.title ?? p.slug)}</a></li>`).join('');
  return layout('Slipway demo frontend', `<h1>Slipway demo frontend</h1><ul>${items || '<li>No modules yet: create one in Slipway.</li>'}</ul>`);
}
