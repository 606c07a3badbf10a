/**
 * Safe ways to put user text into generated code. Every value from a module definition that lands
 * in a string, comment or HTML template goes through one of these, so a quote or `*\/` in a label or
 * description can never break (or inject into) the generated file.
 */

/** A single-quoted TypeScript/JavaScript string literal. */
export function tsString(value: string): string {
  const body = JSON.stringify(value).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'");
  return `'${body}'`;
}

/** A single-quoted PHP string literal (only `\` and `'` are special there). */
export function phpString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A literal of a JSON-like value in TypeScript: strings single-quoted, the rest as JSON. */
export function tsLiteral(value: unknown): string {
  if (typeof value === 'string') return tsString(value);
  if (Array.isArray(value)) return `[${value.map(tsLiteral).join(', ')}]`;
  return JSON.stringify(value);
}

/** A PHP literal of a scalar or list. */
export function phpLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return phpString(value);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(phpLiteral).join(', ')}]`;
  throw new Error(`no PHP literal for ${typeof value}`);
}

/** One line of text for inside a `/* *\/`, `//` or `#` comment. */
export function commentText(value: string): string {
  return value.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\*\//g, '* /').trim();
}

/**
 * Text for an Angular template inside a TypeScript template literal: HTML-escaped, with Angular's
 * block syntax characters (`{ } @`) and the literal's own (`` ` `` `$` `\`) as character references.
 */
export function angularText(value: string): string {
  const refs: Record<string, string> = {
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
    '{': '&#123;', '}': '&#125;', '@': '&#64;', '`': '&#96;', $: '&#36;', '\\': '&#92;',
  };
  return value.replace(/[&<>"'{}@`$\\]/g, (c) => refs[c] ?? c);
}
