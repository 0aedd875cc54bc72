// A backup of the governance documents, as a production server runs one: a JSON snapshot written next to the last
// one, each run reported with signals().backupFinished — what McpBackupFailed and McpBackupStale watch.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOCUMENTS } from './documents.mjs';

const EVERY_MS = 60 * 60_000;

/** Back up now, then every hour; `say` reports a failure. */
export function scheduleBackups({ signals, directory, say }) {
  const run = async () => {
    try {
      await mkdir(directory, { recursive: true });
      // Written aside, then renamed: a reader never sees half a backup, and two servers never mix theirs.
      const partial = join(directory, `documents.json.${process.pid}.partial`);
      await writeFile(partial, JSON.stringify({ at: new Date().toISOString(), documents: DOCUMENTS }));
      await rename(partial, join(directory, 'documents.json'));
      signals.backupFinished('documents', true);
    } catch (error) {
      signals.backupFinished('documents', false);
      say(`backup of the documents to ${directory} failed: ${error.message}`);
    }
  };
  void run();
  setInterval(run, EVERY_MS).unref();
}
