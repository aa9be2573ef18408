import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A stored file, addressed by the SHA-256 of its bytes: storing the same bytes twice is one file. */
export interface StoredFile {
  fileId: string;
  sha256: string;
  size: number;
  contentType: string;
  name: string;
}

export interface FileStorage {
  put(bytes: Buffer, meta: { contentType: string; name: string }): Promise<StoredFile>;
  get(fileId: string): Promise<{ file: StoredFile; bytes: Buffer } | undefined>;
}

/** Local folder storage (the embedded default); an S3-compatible adapter fits the same interface. */
export class LocalFileStorage implements FileStorage {
  constructor(private readonly dir: string) {}

  async put(bytes: Buffer, meta: { contentType: string; name: string }): Promise<StoredFile> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const file: StoredFile = { fileId: sha256, sha256, size: bytes.length, contentType: meta.contentType, name: meta.name };
    await fs.promises.mkdir(this.dir, { recursive: true });
    const target = path.join(this.dir, sha256);
    // Write then rename, so a reader never sees half a file. The temporary name is unique per call:
    // two uploads of the same bytes at once must not rename each other's file away.
    const tmp = `${target}.${process.pid}.${randomUUID()}.tmp`;
    await fs.promises.writeFile(tmp, bytes);
    await fs.promises.rename(tmp, target);
    await fs.promises.writeFile(`${target}.json`, JSON.stringify(file));
    return file;
  }

  async get(fileId: string): Promise<{ file: StoredFile; bytes: Buffer } | undefined> {
    if (!/^[0-9a-f]{64}$/.test(fileId)) return undefined;
    const target = path.join(this.dir, fileId);
    try {
      const [bytes, meta] = await Promise.all([fs.promises.readFile(target), fs.promises.readFile(`${target}.json`, 'utf8')]);
      return { file: JSON.parse(meta) as StoredFile, bytes };
    } catch {
      return undefined;
    }
  }
}
