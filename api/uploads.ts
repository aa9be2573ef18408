/**
 * A file uploaded to a workflow (a monitoring task's pictures, photos and reports, a claim's or a
 * case's evidence): the caller's reach is read from the read model, the file is staged, its reference
 * goes to the workflow by an Update, and the file stays only if the workflow took it.
 */
import type { FileStorage, StoredFile } from '../adapters/storage';
import { ApiError } from './errors';

/**
 * Checks the caller against the read model's row of the workflow (`row`), not by a Query: Temporal
 * buffers one Query per workflow while a workflow task runs, so a Query per upload is refused
 * (RESOURCE_EXHAUSTED, then DEADLINE_EXCEEDED) when a burst of uploads keeps one workflow busy. The
 * parties in the row are fixed when the workflow starts (an inspector is written before the Update
 * that assigned it answers), and the workflow's validator still decides. A workflow started a moment
 * ago may have no row yet: then `live` reads and checks its live state.
 */
export async function assertUploaderReaches<Row>(row: Row | null, assertReaches: (row: Row) => void, live: () => Promise<unknown>): Promise<void> {
  if (row) assertReaches(row);
  else await live();
}

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
