#!/usr/bin/env node
// The `slipway` command: runs the compiled server (apps/server/dist), compiling first if the sources
// are newer (ensure-built.mjs), so `npx slipway` works right after `npm ci` and after any edit.
import { ensureBuilt } from './ensure-built.mjs';

if (!ensureBuilt()) process.exit(1);
const { main } = await import('../dist/cli/index.js');
await main(process.argv);
