/**
 * Case and number of English words, for names in generated code. A small rule set (irregulars,
 * uncountables, suffix rules) instead of a dependency: generated names only need the common cases,
 * and a surprising plural is fixed by choosing another module name.
 */

/** Splits on case changes, digits-to-letters, and any non-alphanumeric run. */
export function words(input: string): string[] {
  return input
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

export const camelCase = (s: string) => words(s).map((w, i) => (i === 0 ? w : cap(w))).join('');
export const pascalCase = (s: string) => words(s).map(cap).join('');
export const kebabCase = (s: string) => words(s).join('-');
export const snakeCase = (s: string) => words(s).join('_');
export const titleCase = (s: string) => words(s).map(cap).join(' ');

const UNCOUNTABLE = new Set([
  'equipment', 'information', 'rice', 'money', 'species', 'series', 'fish', 'sheep', 'deer', 'news',
  'data', 'metadata', 'feedback', 'software', 'hardware', 'staff', 'media', 'settings', 'audio', 'music',
]);

const IRREGULAR: Record<string, string> = {
  person: 'people', man: 'men', woman: 'women', child: 'children', tooth: 'teeth', foot: 'feet',
  mouse: 'mice', goose: 'geese', ox: 'oxen', leaf: 'leaves', life: 'lives', knife: 'knives',
  wife: 'wives', half: 'halves', shelf: 'shelves', wolf: 'wolves', criterion: 'criteria',
  analysis: 'analyses', crisis: 'crises', thesis: 'theses', index: 'indices', matrix: 'matrices',
  vertex: 'vertices', status: 'statuses', campus: 'campuses', bus: 'buses', virus: 'viruses', bonus: 'bonuses',
  census: 'censuses', quiz: 'quizzes',
  photo: 'photos', piano: 'pianos', video: 'videos', radio: 'radios', zoo: 'zoos', cafe: 'cafes',
};
const IRREGULAR_PLURAL = Object.fromEntries(Object.entries(IRREGULAR).map(([s, p]) => [p, s]));

/** Applies `fn` to the last word only, keeping the separator style: "order_item" → "order_items". */
function lastWord(input: string, fn: (w: string) => string): string {
  const m = input.match(/^(.*?)([A-Za-z]+)$/);
  if (!m) return input;
  const [, head = '', word = ''] = m;
  // A camel/Pascal word's last part starts at its last capital.
  const split = word === word.toUpperCase() ? null : word.match(/^(.*?)([A-Z][a-z]*)$/);
  const [prefix, last] = split && split[1] ? [head + split[1], split[2] ?? ''] : [head, word];
  const lower = last.toLowerCase();
  const out = fn(lower);
  const shaped = last === lower ? out : last === last.toUpperCase() ? out.toUpperCase() : cap(out);
  return prefix + shaped;
}

function pluralWord(w: string): string {
  if (UNCOUNTABLE.has(w) || IRREGULAR_PLURAL[w]) return w;
  if (IRREGULAR[w]) return IRREGULAR[w];
  if (/[^aeiou]y$/.test(w)) return w.slice(0, -1) + 'ies';
  if (/(s|x|z|ch|sh)$/.test(w)) {
    // Already plural ("products") when its singular differs and is not itself an -s word.
    const s = singularWord(w);
    return s !== w && !/(ss|x|z|ch|sh)$/.test(w) ? w : w + 'es';
  }
  return w + 's';
}

function singularWord(w: string): string {
  if (UNCOUNTABLE.has(w) || IRREGULAR[w]) return w;
  if (IRREGULAR_PLURAL[w]) return IRREGULAR_PLURAL[w];
  if (/[^aeiou]ies$/.test(w)) return w.slice(0, -3) + 'y';
  if (/(ss|x|z|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (/(ss|us|is)$/.test(w)) return w;
  if (/s$/.test(w) && w.length > 1) return w.slice(0, -1);
  return w;
}

export const plural = (s: string) => lastWord(s, pluralWord);
export const singular = (s: string) => lastWord(s, singularWord);
