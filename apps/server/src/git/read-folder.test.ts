import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBareRepo } from './local-repos.ts';
import { readBranchFolder, type ReadFolderRequest } from './read-folder.ts';
import { startGitServer, tempDir } from './test-helpers.ts';

/** Reading one folder of a branch (a repository's template pack) over smart HTTP with a token. */
const TOKEN = 'slp_readFolderToken_p4K8wQ1mZ6bN3cR7tY2eV5';
const tmp = tempDir('read-folder');
const reposDir = join(tmp.dir, 'repos');
let server: Awaited<ReturnType<typeof startGitServer>>;

beforeAll(async () => {
  await ensureBareRepo(reposDir, 'backend', {
    initialFiles: [
      { path: 'README.md', content: '# backend\n' },
      { path: '.slipway/templates/house/pack.yaml', content: 'name: house\n' },
      { path: '.slipway/templates/house/model.ts.eta', content: 'export const <%= it.names.camel %> = 1;\n' },
    ],
  });
  server = await startGitServer(reposDir, TOKEN);
});
afterAll(async () => {
  await server.app.close();
  tmp.cleanup();
});

const request = (over: Partial<ReadFolderRequest> = {}): ReadFolderRequest => ({
  remote: { url: `${server.url}/git/backend.git`, token: TOKEN },
  branch: 'main',
  folder: '.slipway/templates/house',
  mirrorsDir: join(tmp.dir, 'mirrors'),
  timeoutMs: 20_000,
  maxFiles: 10,
  maxFileBytes: 1024,
  ...over,
});

describe('readBranchFolder', () => {
  it("reads exactly the folder's files from a remote, through the cached mirror", async () => {
    const files = await readBranchFolder(request());
    expect(files?.map((f) => [f.path, f.content.toString()])).toEqual([
      ['model.ts.eta', 'export const <%= it.names.camel %> = 1;\n'],
      ['pack.yaml', 'name: house\n'],
    ]);
  });

  it('answers undefined for a missing folder or branch, and refuses what is over the limits', async () => {
    expect(await readBranchFolder(request({ folder: '.slipway/templates/none' }))).toBeUndefined();
    expect(await readBranchFolder(request({ branch: 'nope' }))).toBeUndefined();
    await expect(readBranchFolder(request({ maxFiles: 1 }))).rejects.toMatchObject({ code: 'unsafe_path' });
    await expect(readBranchFolder(request({ maxFileBytes: 5 }))).rejects.toMatchObject({ code: 'unsafe_path' });
  });

  it('fails with auth_failed, without the token, when the token is wrong', async () => {
    const err = await readBranchFolder(request({ remote: { url: `${server.url}/git/backend.git`, token: 'slp_wrong_token_000000000000' } })).catch((e) => e);
    expect(err).toMatchObject({ code: 'auth_failed' });
    expect(String(err.message)).not.toContain('slp_wrong');
  });
});
