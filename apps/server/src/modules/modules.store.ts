import type { Selectable } from 'kysely';
import type { ModuleDefinition } from '@slipway/contracts';
import type { Db } from '../db/database.ts';
import type { ModulesTable } from '../db/schema.ts';
import type { Viewer } from '../deployments/deployments.store.ts';
import { prepared } from '../db/prepared.ts';

const ownerBySlug = prepared(['slug'], (db, a: { slug: string }) => db.selectFrom('modules').select('owner_id').where('slug', '=', a.slug));

export type ModuleRow = Selectable<ModulesTable>;

export const definitionOf = (row: ModuleRow) => JSON.parse(row.definition) as ModuleDefinition;

/** Module definitions. Members see their own, admins all. */
export class ModulesStore {
  private visible(db: Db, viewer: Viewer) {
    let q = db.selectFrom('modules').selectAll();
    if (viewer.role !== 'admin') q = q.where('owner_id', '=', viewer.id);
    return q;
  }

  list(db: Db, viewer: Viewer): Promise<ModuleRow[]> {
    return this.visible(db, viewer).orderBy('updated_at', 'desc').orderBy('id', 'desc').execute();
  }

  getVisible(db: Db, viewer: Viewer, slug: string): Promise<ModuleRow | undefined> {
    return this.visible(db, viewer).where('slug', '=', slug).executeTakeFirst();
  }

  get(db: Db, id: number): Promise<ModuleRow | undefined> {
    return db.selectFrom('modules').selectAll().where('id', '=', id).executeTakeFirst();
  }

  bySlug(db: Db, slug: string): Promise<ModuleRow | undefined> {
    return db.selectFrom('modules').selectAll().where('slug', '=', slug).executeTakeFirst();
  }

  insert(db: Db, m: ModuleDefinition, ownerId: number, now: string): Promise<ModuleRow> {
    return db
      .insertInto('modules')
      .values({ slug: m.slug, name: m.name, definition: JSON.stringify(m), owner_id: ownerId, version: 1, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  update(db: Db, row: ModuleRow, m: ModuleDefinition, now: string): Promise<ModuleRow> {
    return db
      .updateTable('modules')
      .set({ name: m.name, definition: JSON.stringify(m), version: row.version + 1, updated_at: now })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async delete(db: Db, id: number): Promise<void> {
    await db.deleteFrom('modules').where('id', '=', id).execute();
  }

  /** Asked for every deployment CI starts on its own: prepared (compiled once). */
  async ownerOf(db: Db, slug: string): Promise<number | null> {
    return (await ownerBySlug(db, { slug }))[0]?.owner_id ?? null;
  }
}
