/**
 * S3-compatible object storage for uploaded files: the production adapter behind `FileStorage`, so
 * that every API replica, on any host, serves a file that any other stored. Same contract as the
 * local folder: a file is addressed by the SHA-256 of its bytes (the same bytes stored twice are one
 * object), a staged upload is served before it is committed, and discarding it never removes the
 * committed object of the same bytes that another upload stored.
 *
 * Layout under the bucket (and STORAGE_S3_PREFIX):
 *   files/<sha256>                 a committed file; its media type is the object's Content-Type and
 *                                  its name and digest are user metadata
 *   staged/<sha256>/<uuid>         one staged copy per upload, until commit or discard
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { CheckedFileStorage, StagedFile, StoredFile } from './storage';

export interface S3StorageSettings {
  bucket: string;
  /** An S3-compatible service's URL (`http://127.0.0.1:7070`); unset: AWS S3 in `region`. */
  endpoint?: string;
  region: string;
  /** Unset: the AWS SDK's default credential chain (AWS_ACCESS_KEY_ID…, a profile, an instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Bucket in the path (`endpoint/bucket/key`), as most S3-compatible services want; default with an endpoint. */
  forcePathStyle: boolean;
  /** Prepended to every key, e.g. `tradeguard/`. */
  prefix: string;
}

/**
 * STORAGE_S3_BUCKET (which turns the adapter on), STORAGE_S3_ENDPOINT, STORAGE_S3_REGION (else
 * AWS_REGION, else us-east-1), STORAGE_S3_ACCESS_KEY_ID + STORAGE_S3_SECRET_ACCESS_KEY (else the SDK's
 * default chain), STORAGE_S3_FORCE_PATH_STYLE (true/false; true when an endpoint is set),
 * STORAGE_S3_PREFIX. Undefined when no bucket is set.
 */
export function s3StorageSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): S3StorageSettings | undefined {
  const bucket = env.STORAGE_S3_BUCKET?.trim();
  if (!bucket) return undefined;
  const endpoint = env.STORAGE_S3_ENDPOINT?.trim() || undefined;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) throw new Error(`STORAGE_S3_ENDPOINT=${endpoint} is not an http(s) URL`);
  const accessKeyId = env.STORAGE_S3_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.STORAGE_S3_SECRET_ACCESS_KEY?.trim();
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new Error('set both STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY, or neither (the AWS default credential chain)');
  }
  const pathStyle = (env.STORAGE_S3_FORCE_PATH_STYLE ?? '').trim().toLowerCase();
  if (pathStyle !== '' && pathStyle !== 'true' && pathStyle !== 'false') {
    throw new Error(`STORAGE_S3_FORCE_PATH_STYLE=${env.STORAGE_S3_FORCE_PATH_STYLE} is not true or false`);
  }
  const prefix = env.STORAGE_S3_PREFIX?.trim() ?? '';
  return {
    bucket,
    endpoint,
    region: env.STORAGE_S3_REGION?.trim() || env.AWS_REGION?.trim() || 'us-east-1',
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, sessionToken: env.STORAGE_S3_SESSION_TOKEN?.trim() || undefined } : undefined,
    forcePathStyle: pathStyle === '' ? Boolean(endpoint) : pathStyle === 'true',
    prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix,
  };
}

const SHA256 = /^[0-9a-f]{64}$/;

export class S3FileStorage implements CheckedFileStorage {
  private readonly s3: S3Client;

  constructor(private readonly settings: S3StorageSettings) {
    this.s3 = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      credentials: settings.credentials,
      forcePathStyle: settings.forcePathStyle,
      // A request that fails for a passing reason (a 5xx, a reset connection) is retried by the SDK.
      maxAttempts: 4,
    });
  }

  /** Where the files are, for logs and banners (no credentials). */
  get describe(): string {
    const where = this.settings.endpoint ?? `AWS S3 (${this.settings.region})`;
    return `s3://${this.settings.bucket}/${this.settings.prefix} at ${where}`;
  }

  /** Fails with a line naming the bucket and the reason when the bucket cannot be reached. */
  async check(): Promise<void> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.settings.bucket }));
    } catch (err) {
      throw new Error(`S3 storage ${this.describe} cannot be used: ${reason(err)}`);
    }
  }

  async put(bytes: Buffer, meta: { contentType: string; name: string }): Promise<StoredFile> {
    const file = describe(bytes, meta);
    await this.putFinal(file, bytes);
    return file;
  }

  async stage(bytes: Buffer, meta: { contentType: string; name: string }): Promise<StagedFile> {
    const file = describe(bytes, meta);
    // One staged object per call, so two uploads of the same bytes at once never touch each other's.
    const stagedKey = `${this.settings.prefix}staged/${file.sha256}/${randomUUID()}`;
    await this.putObject(stagedKey, file, bytes);
    return {
      file,
      // In this order, a reader finds the committed object or, until it exists, the staged one.
      commit: async () => {
        await this.putFinal(file, bytes);
        await this.delete(stagedKey);
      },
      discard: () => this.delete(stagedKey),
    };
  }

  async get(fileId: string): Promise<{ file: StoredFile; bytes: Buffer } | undefined> {
    if (!SHA256.test(fileId)) return undefined;
    const found = await this.read(this.finalKey(fileId), fileId);
    if (found) return found;
    // Not committed yet (an accepted upload between its Update and its commit, or cut short by a
    // crash): a staged copy has the same bytes.
    const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: `${this.settings.prefix}staged/${fileId}/`, MaxKeys: 10 }));
    for (const object of listed.Contents ?? []) {
      const staged = object.Key ? await this.read(object.Key, fileId) : undefined;
      if (staged) return staged;
    }
    return undefined;
  }

  /** Closes the client's connections. */
  close(): void {
    this.s3.destroy();
  }

  private finalKey(sha256: string): string {
    return `${this.settings.prefix}files/${sha256}`;
  }

  /**
   * Writes the committed object only if it is absent (If-None-Match: *): a second writer of the same
   * bytes finds it there (412, or 409 while the first is still being written) and has nothing to do.
   * A service that ignores the condition overwrites it with the same bytes, which changes nothing.
   */
  private async putFinal(file: StoredFile, bytes: Buffer): Promise<void> {
    try {
      await this.putObject(this.finalKey(file.sha256), file, bytes, { ifNoneMatch: true });
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 409) return;
      throw err;
    }
  }

  private async putObject(key: string, file: StoredFile, bytes: Buffer, opts: { ifNoneMatch?: boolean } = {}): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: key,
        Body: bytes,
        ContentType: file.contentType,
        // The service checks the bytes it received against their address before it stores them.
        ChecksumSHA256: Buffer.from(file.sha256, 'hex').toString('base64'),
        // User metadata travels in HTTP headers, which are ASCII: the name is percent-encoded.
        Metadata: { sha256: file.sha256, name: encodeURIComponent(file.name) },
        IfNoneMatch: opts.ifNoneMatch ? '*' : undefined,
      }),
    );
  }

  private async read(key: string, fileId: string): Promise<{ file: StoredFile; bytes: Buffer } | undefined> {
    try {
      const got = await this.s3.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      // An object whose bytes are not its address (written by hand, or damaged) is not served as that file.
      if (sha256 !== fileId) return undefined;
      const name = got.Metadata?.name;
      return {
        file: { fileId: sha256, sha256, size: bytes.length, contentType: got.ContentType ?? 'application/octet-stream', name: name ? safeDecode(name) : sha256 },
        bytes,
      };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }));
  }
}

function describe(bytes: Buffer, meta: { contentType: string; name: string }): StoredFile {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { fileId: sha256, sha256, size: bytes.length, contentType: meta.contentType, name: meta.name };
}

function statusOf(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function reason(err: unknown): string {
  const status = statusOf(err);
  const name = (err as Error)?.name;
  const message = (err as Error)?.message;
  if (status === 404) return 'no such bucket';
  if (status === 403) return 'access denied (check STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY)';
  return [status ? `HTTP ${status}` : undefined, name && name !== 'Error' ? name : undefined, message && message !== 'UnknownError' ? message : undefined]
    .filter(Boolean)
    .join(': ') || String(err);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
