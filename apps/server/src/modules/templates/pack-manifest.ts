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
 * description: Fastify + Kysely CRUD
 * reservedNames: [Record, Promise]   # singular PascalCase module names the stack cannot use
 * files:                             # optional; default: every *.eta file outside partials/
 *   - template: table.ts.eta         # relative to the pack directory
 *     path: "src/modules/<%= it.names.plural.kebab %>/<%= it.names.plural.kebab %>.table.ts"
 * ```
 * `path` is an Eta template too. Without `files`, a template's output path is its own path minus
 * `.eta`, rendered as Eta. Files under `partials/` are only for `include('@partials/x.eta')`.
 */
export const packManifestSchema = z.object({
  name: z.string().regex(PACK_NAME_PATTERN),
  description: z.string().default(''),
  reservedNames: z.array(z.string()).default([]),
  files: z
    .array(z.object({ template: z.string().min(1), path: z.string().min(1) }))
    .min(1)
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
  return r.data;
}
