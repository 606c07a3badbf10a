export * from './status.ts';
export * from './ci-report.ts';
export * from './deployment-event.ts';
export * from './module.ts';
export * from './module-api.ts';
export * from './image-tags.ts';
export * from './api-token.ts';
export * from './api.ts';
