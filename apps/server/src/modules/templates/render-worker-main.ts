/**
 * Inside the sandbox: reads `{ pack, module, generatedAt, application }` as JSON on stdin, renders
 * the pack with the same pure renderPack, writes `{ files }` or `{ error }` as JSON on stdout.
 * Nothing here is trusted by the server: it checks the answer again (isolated-render.ts).
 */
import type { ModuleDefinition } from '@slipway/contracts';
import { UnsafeOutputPathError } from './output-path.ts';
import { PackError } from './pack-manifest.ts';
import { renderPack, TemplateRenderError, type PackContents } from './render.ts';

export interface WorkerInput {
  pack: PackContents;
  module: ModuleDefinition;
  generatedAt: string;
  application?: string;
  /** The module's saved versions, oldest first (RenderOptions.versions). */
  versions?: { module: ModuleDefinition; savedAt: string }[];
}

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
let answer: unknown;
try {
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkerInput;
  const versions = input.versions?.map((v) => ({ module: v.module, savedAt: new Date(v.savedAt) }));
  answer = { files: renderPack(input.pack, input.module, { generatedAt: new Date(input.generatedAt), application: input.application, ...(versions ? { versions } : {}) }) };
} catch (err) {
  const kind = err instanceof TemplateRenderError ? 'template' : err instanceof PackError ? 'pack' : err instanceof UnsafeOutputPathError ? 'path' : 'other';
  answer = { error: { kind, message: err instanceof Error ? err.message : String(err), template: (err as { template?: unknown }).template } };
}
process.stdout.write(JSON.stringify(answer));
