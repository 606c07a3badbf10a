import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { PreviewKind, PreviewsTable } from '../db/schema.ts';

export type PreviewRow = Selectable<PreviewsTable>;

/** The `previews` table: one row per module and application (docs/previews.md). */
export class PreviewsStore {
  /**
   * Creates the module's preview of `applicationId`, or renews it (a new deploy): active again,
   * `deployed_at` now, so its TTL starts over. Returns the row and whether it was created.
   */
  async renew(
    db: Db,
    p: { slug: string; applicationId: string; branch: string; kind: PreviewKind; url: string | null; deploymentId: number; commit: string | null; externalId?: string | null; now: string },
  ): Promise<{ row: PreviewRow; created: boolean }> {
    const existing = await this.get(db, p.slug, p.applicationId);
    if (existing) {
      await db
        .updateTable('previews')
        .set({
          kind: p.kind,
          branch: p.branch,
          state: 'active',
          url: p.url,
          external_id: p.externalId ?? existing.external_id,
          deployment_id: p.deploymentId,
          commit_sha: p.commit,
          message: null,
          deployed_at: p.now,
          updated_at: p.now,
          torn_down_at: null,
        })
        .where('id', '=', existing.id)
        .execute();
      return { row: (await this.get(db, p.slug, p.applicationId))!, created: existing.state !== 'active' };
    }
    await db
      .insertInto('previews')
      .values({
        module_slug: p.slug,
        application_id: p.applicationId,
        branch: p.branch,
        kind: p.kind,
        state: 'active',
        url: p.url,
        external_id: p.externalId ?? null,
        deployment_id: p.deploymentId,
        commit_sha: p.commit,
        message: null,
        created_at: p.now,
        deployed_at: p.now,
        updated_at: p.now,
        torn_down_at: null,
      })
      .onConflict((oc) => oc.columns(['module_slug', 'application_id']).doNothing())
      .execute();
    return { row: (await this.get(db, p.slug, p.applicationId))!, created: true };
  }

  get(db: Db, slug: string, applicationId: string): Promise<PreviewRow | undefined> {
    return db.selectFrom('previews').selectAll().where('module_slug', '=', slug).where('application_id', '=', applicationId).executeTakeFirst();
  }

  ofModule(db: Db, slug: string): Promise<PreviewRow[]> {
    return db.selectFrom('previews').selectAll().where('module_slug', '=', slug).orderBy('application_id').execute();
  }

  /** Every preview; `owner`: only those of that user's modules. Newest deploy first. */
  list(db: Db, o: { ownerId?: number } = {}): Promise<(PreviewRow & { owner_id: number | null })[]> {
    let q = db
      .selectFrom('previews as p')
      .leftJoin('modules as m', 'm.slug', 'p.module_slug')
      .selectAll('p')
      .select('m.owner_id');
    if (o.ownerId !== undefined) q = q.where('m.owner_id', '=', o.ownerId);
    return q.orderBy('p.deployed_at', 'desc').orderBy('p.id', 'desc').execute();
  }

  /** Active previews last deployed before `before` (ISO): their TTL has passed. */
  expired(db: Db, before: string): Promise<PreviewRow[]> {
    return db.selectFrom('previews').selectAll().where('state', '=', 'active').where('deployed_at', '<', before).orderBy('id').execute();
  }

  active(db: Db): Promise<PreviewRow[]> {
    return db.selectFrom('previews').selectAll().where('state', '=', 'active').orderBy('id').execute();
  }

  async setState(db: Db, id: number, state: 'torn_down' | 'failed', message: string, now: string): Promise<void> {
    await db
      .updateTable('previews')
      .set({ state, message, updated_at: now, ...(state === 'torn_down' ? { torn_down_at: now } : {}) })
      .where('id', '=', id)
      .execute();
  }

  async setExternalId(db: Db, id: number, externalId: string | null, url: string | null, now: string): Promise<void> {
    await db.updateTable('previews').set({ external_id: externalId, url, updated_at: now }).where('id', '=', id).execute();
  }
}
