export { renderPack, dropStatementLines, TemplateRenderError, type PackContents, type RenderOptions } from './render.ts';
export { loadPack, readPackDirectory, BUILTIN_TEMPLATES_DIR, REPOSITORY_PACKS_DIR } from './pack-loader.ts';
export { renderForApplications } from './preview.ts';
export { safeOutputPath, UnsafeOutputPathError } from './output-path.ts';
export { PackError, parseManifest, PACK_NAME_PATTERN, type PackManifest } from './pack-manifest.ts';
export { moduleNames, describeField, renderContext, templateHelpers, type RenderContext, type FieldView } from './render-context.ts';
export * from './inflection.ts';
export { renderPackIsolated, IsolatedPackError, type PackSandbox } from './isolated-render.ts';
