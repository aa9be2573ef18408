/**
 * The file storage contract, on both adapters: the local folder and S3-compatible object storage,
 * the latter against a real S3 server process on 127.0.0.1 (versitygw, which checks signatures,
 * conditional writes and checksums as a production service does).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CheckedFileStorage, LocalFileStorage, storageFromEnv } from '../../adapters/storage';
import { S3FileStorage, s3StorageSettingsFromEnv } from '../../adapters/storage-s3';
import { S3Server, startS3Server } from '../../infra/s3-server';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const png = { contentType: 'image/png', name: 'photo.png' };

interface Subject {
  storage: CheckedFileStorage;
  /** Every stored key or file name: nothing staged or temporary may be left behind. */
  leftovers(): Promise<string[]>;
}

let s3: S3Server;
let raw: S3Client;
const tmpDirs: string[] = [];

beforeAll(async () => {
  s3 = await startS3Server();
  raw = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
});

afterAll(async () => {
  raw?.destroy();
  await s3?.stop();
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const subjects: [string, () => Subject][] = [
  [
    'local folder',
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tg-storage-'));
      tmpDirs.push(dir);
      return {
        storage: new LocalFileStorage(dir),
        leftovers: async () => fs.readdirSync(dir).filter((n) => /\.(staged|tmp)(\.json)?$/.test(n)),
      };
    },
  ],
  [
    'S3 (versitygw)',
    () => {
      const prefix = `t${Math.random().toString(36).slice(2, 8)}/`;
      const storage = storageFromEnv('/nonexistent', { ...s3.env, STORAGE_S3_PREFIX: prefix });
      return {
        storage,
        leftovers: async () => {
          const listed = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}staged/` }));
          return (listed.Contents ?? []).map((o) => o.Key!);
        },
      };
    },
  ],
];

describe.each(subjects)('file storage: %s', (_name, make) => {
  let subject: Subject;
  beforeEach(() => {
    subject = make();
  });
  afterEach(() => subject.storage.close?.());

  it('is reachable, and stores a file under the SHA-256 of its bytes, served byte for byte with its media type and name', async () => {
    await subject.storage.check();
    const bytes = Buffer.from(`a picture ${Math.random()}`);
    const stored = await subject.storage.put(bytes, { contentType: 'image/jpeg', name: 'Prüfbericht 检验报告 ✓.jpg' });
    expect(stored).toEqual({ fileId: sha(bytes), sha256: sha(bytes), size: bytes.length, contentType: 'image/jpeg', name: 'Prüfbericht 检验报告 ✓.jpg' });
    const got = await subject.storage.get(stored.fileId);
    expect(got?.bytes.equals(bytes)).toBe(true);
    expect(got?.file).toEqual(stored);
  });

  it('stores the same bytes once: a second put is the same file', async () => {
    const bytes = Buffer.from(`twice ${Math.random()}`);
    const first = await subject.storage.put(bytes, png);
    const second = await subject.storage.put(bytes, png);
    expect(second.fileId).toBe(first.fileId);
    expect((await subject.storage.get(first.fileId))?.bytes.equals(bytes)).toBe(true);
    expect(await subject.leftovers()).toEqual([]);
  });

  it('serves a staged file before its commit, keeps it after, and leaves nothing staged', async () => {
    const bytes = Buffer.from(`staged ${Math.random()}`);
    const staged = await subject.storage.stage(bytes, png);
    expect((await subject.storage.get(staged.file.fileId))?.bytes.equals(bytes)).toBe(true);
    await staged.commit();
    expect((await subject.storage.get(staged.file.fileId))?.bytes.equals(bytes)).toBe(true);
    expect(await subject.leftovers()).toEqual([]);
  });

  it('forgets a discarded file, but never the committed file of the same bytes that another upload stored', async () => {
    const bytes = Buffer.from(`refused ${Math.random()}`);
    const refused = await subject.storage.stage(bytes, png);
    await refused.discard();
    expect(await subject.storage.get(refused.file.fileId)).toBeUndefined();

    const accepted = await subject.storage.stage(bytes, png);
    const alsoRefused = await subject.storage.stage(bytes, png);
    await accepted.commit();
    await alsoRefused.discard();
    expect((await subject.storage.get(accepted.file.fileId))?.bytes.equals(bytes)).toBe(true);
    expect(await subject.leftovers()).toEqual([]);
  });

  it('takes twenty uploads of the same bytes at once, half committed and half discarded: one file, nothing staged', async () => {
    const bytes = Buffer.from(`burst ${Math.random()}`.repeat(1000));
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const staged = await subject.storage.stage(bytes, png);
        if (i % 2 === 0) await staged.commit();
        else await staged.discard();
      }),
    );
    expect((await subject.storage.get(sha(bytes)))?.bytes.equals(bytes)).toBe(true);
    expect(await subject.leftovers()).toEqual([]);
  });

  it('answers undefined for an unknown file and for an id that is not a SHA-256', async () => {
    expect(await subject.storage.get(sha(Buffer.from(`never stored ${Math.random()}`)))).toBeUndefined();
    expect(await subject.storage.get('../../etc/passwd')).toBeUndefined();
    expect(await subject.storage.get('A'.repeat(64))).toBeUndefined();
  });
});

describe('S3 storage against the server', () => {
  it('does not serve an object whose bytes are not its address', async () => {
    const prefix = `bad${Math.random().toString(36).slice(2, 8)}/`;
    const storage = new S3FileStorage(s3StorageSettingsFromEnv({ ...s3.env, STORAGE_S3_PREFIX: prefix })!);
    const claimed = sha(Buffer.from('what it claims to be'));
    await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}files/${claimed}`, Body: Buffer.from('something else'), ContentType: 'image/png' }));
    expect(await storage.get(claimed)).toBeUndefined();
    storage.close();
  });

  it('says why it cannot be used: a wrong secret, a bucket that does not exist, a server that is down', async () => {
    const wrongSecret = storageFromEnv('/nonexistent', { ...s3.env, STORAGE_S3_SECRET_ACCESS_KEY: 'not-the-secret' });
    await expect(wrongSecret.check()).rejects.toThrow(`S3 storage s3://${s3.bucket}/ at ${s3.endpoint} cannot be used: access denied (check STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY)`);
    // A wrong signature is refused for data too, not only for the check.
    await expect(wrongSecret.put(Buffer.from('x'), png)).rejects.toThrow(/signature/i);
    wrongSecret.close?.();

    const noBucket = storageFromEnv('/nonexistent', { ...s3.env, STORAGE_S3_BUCKET: 'no-such-bucket' });
    await expect(noBucket.check()).rejects.toThrow(`S3 storage s3://no-such-bucket/ at ${s3.endpoint} cannot be used: no such bucket`);
    noBucket.close?.();

    const down = storageFromEnv('/nonexistent', { ...s3.env, STORAGE_S3_ENDPOINT: 'http://127.0.0.1:9' });
    await expect(down.check()).rejects.toThrow(/^S3 storage s3:\/\/tradeguard-files\/ at http:\/\/127\.0\.0\.1:9 cannot be used: .*ECONNREFUSED/);
    down.close?.();
  });
});

describe('storage settings from the environment', () => {
  it('is the local folder without STORAGE_S3_BUCKET, S3 with it', () => {
    expect(storageFromEnv('/srv/files', {})).toBeInstanceOf(LocalFileStorage);
    expect(storageFromEnv('/srv/files', {}).describe).toBe('/srv/files');
    const s3Storage = storageFromEnv('/srv/files', { STORAGE_S3_BUCKET: 'b' });
    expect(s3Storage).toBeInstanceOf(S3FileStorage);
    expect(s3Storage.describe).toBe('s3://b/ at AWS S3 (us-east-1)');
    s3Storage.close?.();
  });

  it('reads every variable, with path-style addressing by default for an endpoint', () => {
    expect(s3StorageSettingsFromEnv({})).toBeUndefined();
    expect(
      s3StorageSettingsFromEnv({
        STORAGE_S3_BUCKET: 'files',
        STORAGE_S3_ENDPOINT: 'http://minio.internal:9000',
        STORAGE_S3_REGION: 'eu-west-1',
        STORAGE_S3_ACCESS_KEY_ID: 'AK',
        STORAGE_S3_SECRET_ACCESS_KEY: 'SK',
        STORAGE_S3_PREFIX: 'tradeguard',
      }),
    ).toEqual({ bucket: 'files', endpoint: 'http://minio.internal:9000', region: 'eu-west-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' }, forcePathStyle: true, prefix: 'tradeguard/' });
    expect(s3StorageSettingsFromEnv({ STORAGE_S3_BUCKET: 'files', AWS_REGION: 'ap-east-1' })).toEqual({
      bucket: 'files', endpoint: undefined, region: 'ap-east-1', credentials: undefined, forcePathStyle: false, prefix: '',
    });
    expect(s3StorageSettingsFromEnv({ STORAGE_S3_BUCKET: 'files', STORAGE_S3_ENDPOINT: 'http://x:1', STORAGE_S3_FORCE_PATH_STYLE: 'false' })?.forcePathStyle).toBe(false);
  });

  it('refuses settings that cannot work, naming the variable', () => {
    expect(() => s3StorageSettingsFromEnv({ STORAGE_S3_BUCKET: 'b', STORAGE_S3_ENDPOINT: 'minio:9000' })).toThrow('STORAGE_S3_ENDPOINT=minio:9000 is not an http(s) URL');
    expect(() => s3StorageSettingsFromEnv({ STORAGE_S3_BUCKET: 'b', STORAGE_S3_ACCESS_KEY_ID: 'AK' })).toThrow(/set both STORAGE_S3_ACCESS_KEY_ID and STORAGE_S3_SECRET_ACCESS_KEY/);
    expect(() => s3StorageSettingsFromEnv({ STORAGE_S3_BUCKET: 'b', STORAGE_S3_FORCE_PATH_STYLE: 'yes' })).toThrow('STORAGE_S3_FORCE_PATH_STYLE=yes is not true or false');
  });
});
