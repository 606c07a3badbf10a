// The process a repository template pack renders in (isolated-render.ts starts it in the sandbox):
// the sources are TypeScript, run through tsx as the CLI does.
import { register } from 'tsx/esm/api';

register();
await import('./render-worker-main.ts');
