import { call } from '../test-support/http.ts';

/** Samples of a Prometheus text exposition: `name{a="b",c="d"}` (labels as written) → value. */
export type Samples = Map<string, number>;

export function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)(?: \d+)?$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    samples.set(canonical(m[1]!), Number(m[2]));
  }
  return samples;
}

/** `name{b="2",a="1"}` → `name{a="1",b="2"}`: lookups need not know the order labels were written in. */
function canonical(series: string): string {
  const brace = series.indexOf('{');
  if (brace < 0) return series;
  const pairs = [...series.slice(brace).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((p) => `${p[1]}="${p[2]}"`);
  return `${series.slice(0, brace)}{${pairs.sort().join(',')}}`;
}

/** The value of one sample, e.g. `sample(s, 'slipway_deployments', { status: 'success' })`; undefined when absent. */
export function sample(s: Samples, name: string, labels: Record<string, string> = {}): number | undefined {
  const keys = Object.keys(labels);
  return s.get(keys.length ? canonical(`${name}{${keys.map((k) => `${k}="${labels[k]}"`).join(',')}}`) : name);
}

/** Scrapes `url` (…/metrics); throws unless it answers 200 in the text format. */
export async function scrape(url: string, token?: string): Promise<Samples> {
  const base = new URL(url);
  const r = await call(base.origin, 'GET', base.pathname, { token });
  if (r.status !== 200) throw new Error(`scrape answered ${r.status}: ${JSON.stringify(r.body)}`);
  if (!String(r.headers.get('content-type')).startsWith('text/plain')) throw new Error(`scrape content-type ${r.headers.get('content-type')}`);
  return parseExposition(String(r.body));
}
