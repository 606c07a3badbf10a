import type { Selectable } from 'kysely';
import type { ModuleDefinition } from '@slipway/contracts';
import type { Db } from '../db/database.ts';
import type { ModulesTable } from '../db/schema.ts';
import type { Viewer } from '../deployments/deployments.store.ts';
import { prepared } from '../db/prepared.ts';
import type { ModuleVersion } from './templates/index.ts';

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

  /** A new module and its first saved version. Call inside a transaction. */
  async insert(db: Db, m: ModuleDefinition, ownerId: number, now: string): Promise<ModuleRow> {
    const row = await db
      .insertInto('modules')
      .values({ slug: m.slug, name: m.name, definition: JSON.stringify(m), owner_id: ownerId, version: 1, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.addVersion(db, row, now);
    return row;
  }

  /** The module's new definition and, when it differs, its saved version (its history). Call inside a transaction. */
  async update(db: Db, row: ModuleRow, m: ModuleDefinition, now: string): Promise<ModuleRow> {
    const updated = await db
      .updateTable('modules')
      .set({ name: m.name, definition: JSON.stringify(m), version: row.version + 1, updated_at: now })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    // A save that changes nothing is no new version: its render, manifest included, stays the same.
    if (updated.definition !== row.definition) await this.addVersion(db, updated, now);
    return updated;
  }

  private async addVersion(db: Db, row: ModuleRow, now: string): Promise<void> {
    await db.insertInto('module_versions').values({ module_id: row.id, version: row.version, definition: row.definition, saved_at: now }).execute();
  }

  /**
   * The module's saved definitions up to its current version, oldest first. A module stored before
   * histories were kept (none found) is its own only version, saved when it was created.
   */
  async history(db: Db, row: ModuleRow): Promise<ModuleVersion[]> {
    const rows = await db
      .selectFrom('module_versions')
      .select(['definition', 'saved_at'])
      .where('module_id', '=', row.id)
      .where('version', '<=', row.version)
      .orderBy('version')
      .execute();
    if (rows.length === 0) return [{ module: definitionOf(row), savedAt: new Date(row.created_at) }];
    return rows.map((r) => ({ module: JSON.parse(r.definition) as ModuleDefinition, savedAt: new Date(r.saved_at) }));
  }

  async delete(db: Db, id: number): Promise<void> {
    await db.deleteFrom('module_versions').where('module_id', '=', id).execute();
    await db.deleteFrom('modules').where('id', '=', id).execute();
  }

  /** Asked for every deployment CI starts on its own: prepared (compiled once). */
  async ownerOf(db: Db, slug: string): Promise<number | null> {
    return (await ownerBySlug(db, { slug }))[0]?.owner_id ?? null;
  }
}
