import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { S3FileStorage, s3StorageSettingsFromEnv } from './storage-s3';

/** A stored file, addressed by the SHA-256 of its bytes: storing the same bytes twice is one file. */
export interface StoredFile {
  fileId: string;
  sha256: string;
  size: number;
  contentType: string;
  name: string;
}

/**
 * A file stored provisionally, for an upload that a workflow may still refuse: `commit` once the
 * reference is accepted, `discard` when it is refused (the staged copy goes, and a file of the same
 * bytes that another upload stored is left alone). Until either, `get` already serves it, so a
 * reference accepted just before a crash or a commit still finds its bytes.
 */
export interface StagedFile {
  file: StoredFile;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export interface FileStorage {
  put(bytes: Buffer, meta: { contentType: string; name: string }): Promise<StoredFile>;
  stage(bytes: Buffer, meta: { contentType: string; name: string }): Promise<StagedFile>;
  get(fileId: string): Promise<{ file: StoredFile; bytes: Buffer } | undefined>;
}

/** Local folder storage (the embedded default); adapters/storage-s3.ts is the S3-compatible one. */
export class LocalFileStorage implements CheckedFileStorage {
  constructor(private readonly dir: string) {}

  get describe(): string {
    return this.dir;
  }

  async check(): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    await fs.promises.access(this.dir, fs.constants.W_OK);
  }

  async put(bytes: Buffer, meta: { contentType: string; name: string }): Promise<StoredFile> {
    const staged = await this.stage(bytes, meta);
    await staged.commit();
    return staged.file;
  }

  async stage(bytes: Buffer, meta: { contentType: string; name: string }): Promise<StagedFile> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const file: StoredFile = { fileId: sha256, sha256, size: bytes.length, contentType: meta.contentType, name: meta.name };
    await fs.promises.mkdir(this.dir, { recursive: true });
    const target = path.join(this.dir, sha256);
    // One staged copy per call (two uploads of the same bytes at once never touch each other's), each
    // written whole before it is visible; commit renames it over the file, which is atomic, and the
    // same bytes either way.
    const staged = `${target}.${process.pid}.${randomUUID()}${STAGED}`;
    const json = JSON.stringify(file);
    await writeWhole(`${staged}.json`, json);
    await writeWhole(staged, bytes);
    return {
      file,
      // In this order, a reader finds the committed file or, until the rename, the staged copy.
      commit: async () => {
        await writeWhole(`${target}.json`, json);
        await fs.promises.rename(staged, target);
        await fs.promises.rm(`${staged}.json`, { force: true });
      },
      discard: async () => {
        await fs.promises.rm(staged, { force: true });
        await fs.promises.rm(`${staged}.json`, { force: true });
      },
    };
  }

  async get(fileId: string): Promise<{ file: StoredFile; bytes: Buffer } | undefined> {
    if (!/^[0-9a-f]{64}$/.test(fileId)) return undefined;
    const target = path.join(this.dir, fileId);
    const found = await readStored(target);
    if (found) return found;
    // Not committed yet (an accepted upload between its Update and its commit, or cut short by a crash):
    // a staged copy has the same bytes.
    const names = await fs.promises.readdir(this.dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith(`${fileId}.`) && n.endsWith(STAGED))) {
      const staged = await readStored(path.join(this.dir, name));
      if (staged) return staged;
    }
    return undefined;
  }
}

const STAGED = '.staged';

/** Writes to a temporary name then renames, so a reader sees the whole file or none of it. */
async function writeWhole(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  await fs.promises.writeFile(tmp, data);
  await fs.promises.rename(tmp, file);
}

async function readStored(file: string): Promise<{ file: StoredFile; bytes: Buffer } | undefined> {
  try {
    const [bytes, meta] = await Promise.all([fs.promises.readFile(file), fs.promises.readFile(`${file}.json`, 'utf8')]);
    return { file: JSON.parse(meta) as StoredFile, bytes };
  } catch {
    return undefined;
  }
}

/** Anything that can say where its files are and whether it can reach them. */
export interface CheckedFileStorage extends FileStorage {
  /** Where the files are, for logs (no credentials). */
  readonly describe: string;
  /** Fails with a line naming the cause when the storage cannot be used. */
  check(): Promise<void>;
  close?(): void;
}

/**
 * The storage the environment asks for: S3-compatible object storage when STORAGE_S3_BUCKET is set
 * (what several API replicas on several hosts need), else the folder `dir` (STORAGE_DIR).
 */
export function storageFromEnv(dir: string, env: NodeJS.ProcessEnv = process.env): CheckedFileStorage {
  const s3 = s3StorageSettingsFromEnv(env);
  if (s3) return new S3FileStorage(s3);
  return new LocalFileStorage(dir);
}
