import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Pack names are directory names: the same rule as module slugs, so no name can climb out. */
export const PACK_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

export const MANIFEST_FILES = ['pack.yaml', 'pack.yml', 'pack.json'] as const;

/**
 * `pack.yaml` (JSON is YAML too, so `pack.json` reads the same):
 *
 * ```yaml
 * name: typescript-api
 * version: 1.0.0                    # optional; recorded in each module branch's manifest (docs/modules.md)
 * description: Fastify + Kysely CRUD
 * reservedNames: [Record, Promise]   # singular PascalCase module names the stack cannot use
 * files:                             # optional; default: every *.eta file outside partials/
 *   - template: table.ts.eta         # relative to the pack directory
 *     path: "src/modules/<%= it.names.plural.kebab %>/<%= it.names.plural.kebab %>.table.ts"
 * ```
 * `path` is an Eta template too. Without `files`, a template's output path is its own path minus
 * `.eta`, rendered as Eta. Files under `partials/` are only for `include('@partials/x.eta')`.
 *
 * A pack whose stack has database migrations declares them apart from `files` (docs/modules.md,
 * "Schema evolution"), so an update adds a migration instead of rewriting the first one:
 *
 * ```yaml
 * migrations:
 *   create:                          # rendered once, from the module's first saved version
 *     template: migration.ts.eta
 *     path: "src/db/migrations/<%= it.generatedAt.compact %>_create_<%= it.names.table %>.ts"
 *   alter:                           # one per later version whose fields changed (it.changes)
 *     template: alter-migration.ts.eta
 *     path: "src/db/migrations/<%= it.generatedAt.compact %>_alter_<%= it.names.table %>_v<%= it.version %>.ts"
 * ```
 * Their templates are not rendered as ordinary files, listed in `files` or not.
 */
export const packManifestSchema = z.object({
  name: z.string().regex(PACK_NAME_PATTERN),
  version: z.union([z.string().max(64), z.number()]).transform(String).optional(),
  description: z.string().default(''),
  reservedNames: z.array(z.string()).default([]),
  files: z
    .array(z.object({ template: z.string().min(1), path: z.string().min(1) }))
    .min(1)
    .optional(),
  migrations: z
    .strictObject({
      create: z.strictObject({ template: z.string().min(1), path: z.string().min(1) }),
      alter: z.strictObject({ template: z.string().min(1), path: z.string().min(1) }),
    })
    .optional(),
});
export type PackManifest = z.infer<typeof packManifestSchema>;

export class PackError extends Error {
  constructor(
    readonly pack: string,
    message: string,
  ) {
    super(`template pack ${pack}: ${message}`);
    this.name = 'PackError';
  }
}

/** Parses and checks a manifest's text; `label` names the pack in errors. */
export function parseManifest(text: string, label: string): PackManifest {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new PackError(label, `its manifest is not valid YAML: ${(e as Error).message}`);
  }
  const r = packManifestSchema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new PackError(label, `its manifest is invalid at ${first?.path.join('.') || '(root)'}: ${first?.message}`);
  }
  const m = r.data.migrations;
  if (m) {
    if (m.create.template === m.alter.template) throw new PackError(label, 'its manifest is invalid at migrations: create and alter use the same template');
    const listed = r.data.files?.find((f) => f.template === m.create.template || f.template === m.alter.template);
    if (listed) throw new PackError(label, `its manifest lists ${listed.template} both in files and in migrations`);
  }
  return r.data;
}
