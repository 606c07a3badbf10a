import { schemaChanges, type FieldAspect, type SchemaChange } from '@slipway/contracts';
import { describeField, renderContext, type FieldView, type RenderContext } from './render-context.ts';
import type { ModuleVersion } from './render.ts';

/**
 * Which migrations a module's history gives (docs/modules.md, "Schema evolution"): the create
 * migration of its first version, then an alter migration for each later version whose fields
 * changed. Each is stamped once and for all by its own version: the create migration by the first
 * version's savedAt, an alter migration by its version's savedAt (to the second), moved one second
 * past the previous migration when two fall in the same second, so their names keep their order.
 */

/** A schema change as templates see it: the fields before and after with their names and types in every stack. */
export interface SchemaChangeView {
  kind: SchemaChange['kind'];
  /** The column's name after the change (for a drop: the dropped column). A retype's `before` carries this name too. */
  name: string;
  /** A rename's previous name. */
  from: string | null;
  before: FieldView | null;
  after: FieldView | null;
  /** A retype's changed aspects (type, required, unique, default, options, relation). */
  aspects: FieldAspect[];
  dataLoss: boolean;
}

/** `it` of a migration template: the usual context of that version, plus the change it makes. */
export type MigrationContext = RenderContext & {
  /** 1 for the create migration; the version's place in the history (1-based) for an alter one. */
  version: number;
  /** The version before (alter migrations only). */
  previous: { module: ModuleVersion['module']; fields: FieldView[] } | null;
  changes: SchemaChangeView[];
};

export interface MigrationStep {
  kind: 'create' | 'alter';
  it: MigrationContext;
}

const toSecond = (d: Date) => Math.floor(d.getTime() / 1000) * 1000;

export function viewChange(c: SchemaChange): SchemaChangeView {
  return {
    kind: c.kind,
    name: c.name,
    from: c.kind === 'rename' ? c.from : null,
    // A retype applies after its rename: its field before is the old one under the new name.
    before: c.kind === 'retype' ? describeField({ ...c.before, name: c.name }) : c.before ? describeField(c.before) : null,
    after: c.after ? describeField(c.after) : null,
    aspects: c.kind === 'retype' ? c.aspects : [],
    dataLoss: c.dataLoss,
  };
}

export function migrationPlan(
  versions: readonly ModuleVersion[],
  application: string | undefined,
  pack: { name: string; origin: string },
): MigrationStep[] {
  const first = versions[0];
  if (!first) return [];
  const steps: MigrationStep[] = [
    { kind: 'create', it: { ...renderContext(first.module, { generatedAt: first.savedAt, application, pack }), version: 1, previous: null, changes: [] } },
  ];
  let stamp = toSecond(first.savedAt);
  for (let i = 1; i < versions.length; i++) {
    const prev = versions[i - 1]!;
    const next = versions[i]!;
    const changes = schemaChanges(prev.module, next.module);
    if (changes.length === 0) continue;
    stamp = Math.max(toSecond(next.savedAt), stamp + 1000);
    const it = renderContext(next.module, { generatedAt: new Date(stamp), application, pack });
    steps.push({
      kind: 'alter',
      it: { ...it, version: i + 1, previous: { module: prev.module, fields: prev.module.fields.map(describeField) }, changes: changes.map(viewChange) },
    });
  }
  return steps;
}
