/**
 * A file uploaded to a workflow (a monitoring task's pictures, photos and reports, a claim's or a
 * case's evidence): the caller's reach is read from the read model (http.ts assertCallerReaches),
 * the file is staged, its reference goes to the workflow by an Update, and the file stays only if
 * the workflow took it.
 */
import type { FileStorage, StoredFile } from '../adapters/storage';
import { ApiError } from './errors';

/**
 * Stages the file, hands its reference to the workflow (`attach`: an Update, whose validator decides),
 * and commits the file once the workflow took it, or discards it when the workflow refused it (a 4xx),
 * so a refused upload leaves no file behind. Any other failure keeps the file: the Update may still
 * complete and refer to it.
 */
export async function attachUpload<T>(
  storage: FileStorage,
  upload: { bytes: Buffer; contentType: string; name: string },
  attach: (file: StoredFile) => Promise<T>,
): Promise<{ file: StoredFile; result: T }> {
  const staged = await storage.stage(upload.bytes, { contentType: upload.contentType, name: upload.name });
  let result: T;
  try {
    result = await attach(staged.file);
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) await staged.discard();
    else await staged.commit();
    throw err;
  }
  await staged.commit();
  return { file: staged.file, result };
}
