/**
 * Issue 14, item 1: the alert rules (docs/alerts.yaml) and the Grafana dashboard
 * (docs/grafana-dashboard.json) parse, their PromQL parses (Prometheus' own grammar), and every
 * metric they name is one Slipway exposes; docs/metrics.md and the dashboard cover every metric.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SlipwayMetrics } from './slipway-metrics.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

/** Every series name a scrape can hold: histograms' and summaries' sample names too. */
async function exposedNames(): Promise<Set<string>> {
  const metrics = new SlipwayMetrics();
  // With a Redis bus, as with REDIS_URL: its gauge is registered only then.
  metrics.observeRealtime(() => ({ connections: 0, channels: 0, subscriptions: 0, messagesIn: 0, messagesOut: 0, redisBusConnected: true }));
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    const type = String(m.type);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

/** The metric names a PromQL expression selects; throws where Prometheus' grammar finds an error. */
function metricNames(expr: string): string[] {
  // Grafana's interval variables stand for a duration.
  const promql = expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
  const names: string[] = [];
  const cursor = parser.parse(promql).cursor();
  do {
    if (cursor.type.isError) throw new Error(`PromQL does not parse at ${cursor.from}: ${promql}`);
    if (cursor.name === 'Identifier' && cursor.node.parent?.name === 'VectorSelector') names.push(promql.slice(cursor.from, cursor.to));
  } while (cursor.next());
  if (names.length === 0) throw new Error(`selects no metric: ${promql}`);
  return names;
}

describe('docs/alerts.yaml', () => {
  const doc = parseYaml(read('docs/alerts.yaml')) as { groups: { name: string; rules: Record<string, any>[] }[] };
  const rules = doc.groups.flatMap((g) => g.rules);

  it('is a Prometheus rule file: named groups of alerting rules', () => {
    expect(doc.groups.length).toBeGreaterThan(0);
    for (const g of doc.groups) expect(g.name).toMatch(/\S/);
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      for (const key of Object.keys(r)) expect(['alert', 'expr', 'for', 'labels', 'annotations']).toContain(key);
      expect(r.alert).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      expect(typeof r.expr).toBe('string');
      expect(String(r.for)).toMatch(/^\d+[smhdwy]$/);
      expect(['warning', 'critical']).toContain(r.labels?.severity);
      expect(r.annotations?.summary).toMatch(/\S/);
    }
  });

  it('has the rules the issue asks for: a deployment stuck, webhook rejects rising, the job backlog growing', () => {
    const names = rules.map((r) => r.alert);
    expect(names).toEqual(expect.arrayContaining(['SlipwayDeploymentStuck', 'SlipwayWebhookRejectsRising', 'SlipwayJobBacklogGrowing']));
  });

  it('parses as PromQL and names only metrics Slipway exposes', async () => {
    const exposed = await exposedNames();
    for (const r of rules) {
      const unknown = metricNames(r.expr).filter((n) => !exposed.has(n));
      expect(unknown, r.alert).toEqual([]);
    }
  });
});

describe('docs/grafana-dashboard.json', () => {
  const dash = JSON.parse(read('docs/grafana-dashboard.json'));
  const panels: any[] = dash.panels;
  const targets = panels.flatMap((p) => (p.targets ?? []).map((t: any) => ({ panel: p.title as string, ...t })));

  it('is a Grafana dashboard: uid, title, schema version, placed panels with unique ids, a Prometheus data source variable', () => {
    expect(dash.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(dash.title).toBe('Slipway');
    expect(Number.isInteger(dash.schemaVersion)).toBe(true);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.type).toMatch(/^(row|timeseries|stat)$/);
      expect(p.gridPos).toEqual({ h: expect.any(Number), w: expect.any(Number), x: expect.any(Number), y: expect.any(Number) });
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      if (p.type !== 'row') {
        expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(p.targets.length).toBeGreaterThan(0);
      }
    }
    expect(dash.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    for (const p of panels) {
      const refs = (p.targets ?? []).map((t: any) => t.refId);
      expect(new Set(refs).size).toBe(refs.length);
    }
  });

  it('parses as PromQL and names only metrics Slipway exposes', async () => {
    const exposed = await exposedNames();
    for (const t of targets) {
      const unknown = metricNames(t.expr).filter((n) => !exposed.has(n));
      expect(unknown, `${t.panel}: ${t.expr}`).toEqual([]);
    }
  });

  it("shows every one of Slipway's own metrics", async () => {
    const used = new Set(targets.flatMap((t) => metricNames(t.expr)).map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    const own = [...(await exposedNames())].filter((n) => n.startsWith('slipway_') && !/_(bucket|sum|count)$/.test(n));
    expect(own.filter((n) => !used.has(n))).toEqual([]);
  });
});

describe('docs/metrics.md', () => {
  it("describes every one of Slipway's own metrics, and the environment variables", async () => {
    const text = read('docs/metrics.md');
    const own = [...(await exposedNames())].filter((n) => n.startsWith('slipway_') && !/_(bucket|sum|count)$/.test(n));
    expect(own.length).toBeGreaterThan(10);
    expect(own.filter((n) => !text.includes(`\`${n}\``))).toEqual([]);
    for (const v of ['SLIPWAY_METRICS', 'SLIPWAY_METRICS_PORT', 'SLIPWAY_METRICS_TOKEN']) expect(text).toContain(`\`${v}\``);
  });
});
