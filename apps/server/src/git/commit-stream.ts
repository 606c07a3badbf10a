/**
 * The `git fast-import` stream that writes the new blobs, only the trees on their paths, and one
 * commit on top of `parent` — one process for all of it, and no blob of the base is read, so it
 * works in a blobless mirror. Pure.
 */
export interface StreamFile {
  path: string;
  content: string | Buffer;
  /** 100644 or 100755 (kept from the file it replaces). */
  mode: '100644' | '100755';
}

export interface Signature {
  name: string;
  email: string;
}

export interface CommitSpec {
  ref: string;
  /** Absent for the first commit of a repository. */
  parent?: string;
  files: readonly StreamFile[];
  /** Paths to remove (files that exist in `parent`). */
  deletes?: readonly string[];
  message: string;
  author: Signature;
  committer?: Signature;
  /** Seconds since the epoch. */
  time: number;
}

/** fast-import's C-style quoting: always quoted, so no path is ever read as a command. */
export function quotePath(p: string): string {
  return `"${p.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/** Name and email as git stores them: no angle brackets or newlines that would forge a header. */
export function checkSignature(s: Signature, role: string): string | undefined {
  if (!s.name.trim() || !s.email.trim()) return `${role} name and email must not be empty`;
  if (/[<>\n\r\0]/.test(s.name + s.email)) return `${role} name and email must not contain <, > or line breaks`;
  return undefined;
}

export function commitStream(c: CommitSpec): Buffer {
  const parts: Buffer[] = [];
  const text = (s: string) => parts.push(Buffer.from(s, 'utf8'));
  const data = (body: string | Buffer) => {
    const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    text(`data ${b.length}\n`);
    parts.push(b);
    text('\n');
  };
  const sig = (s: Signature) => `${s.name.trim()} <${s.email.trim()}> ${c.time} +0000`;
  text(`commit ${c.ref}\n`);
  text(`author ${sig(c.author)}\n`);
  text(`committer ${sig(c.committer ?? c.author)}\n`);
  data(c.message.endsWith('\n') ? c.message : `${c.message}\n`);
  if (c.parent) text(`from ${c.parent}\n`);
  for (const p of c.deletes ?? []) text(`D ${quotePath(p)}\n`);
  for (const f of c.files) {
    text(`M ${f.mode} inline ${quotePath(f.path)}\n`);
    data(f.content);
  }
  text('\ndone\n');
  return Buffer.concat(parts);
}
