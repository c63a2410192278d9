import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

/** How many rejected lines the summary lists (and the checkpoint keeps); the rest are counted. */
export const LISTED_REJECTS = 100;

export interface RejectedLine {
  line: number;
  message: string;
}

/** What a checkpoint belongs to: resuming is only right for the same file, kind, tenant and destination. */
export interface ImportIdentity {
  size: number;
  mtimeMs: number;
  kind: string;
  /** --tenant, or null. */
  tenant: string | null;
  /** The server URL, or the local database (see describeDatabase). */
  destination: string;
}

/** The state after the last committed batch: enough to resume and still summarise the whole file. */
export interface ImportProgress {
  committedLine: number;
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejectedCount: number;
  /** The first LISTED_REJECTS rejected lines, in line order. */
  rejected: RejectedLine[];
}

interface CheckpointFile extends ImportIdentity, ImportProgress {
  version: 2;
}

export function emptyProgress(): ImportProgress {
  return { committedLine: 0, read: 0, inserted: 0, updated: 0, unchanged: 0, rejectedCount: 0, rejected: [] };
}

export function checkpointPath(file: string): string {
  return `${file}.atom-import.json`;
}

/** Why a saved checkpoint does not fit this run, or null when it does. */
function mismatch(saved: CheckpointFile, want: ImportIdentity): string | null {
  if (saved.size !== want.size || saved.mtimeMs !== want.mtimeMs) return 'an earlier version of the file';
  if (saved.kind !== want.kind) return `kind ${saved.kind}`;
  if (saved.tenant !== want.tenant) return saved.tenant === null ? 'an import without --tenant' : `--tenant ${saved.tenant}`;
  if (saved.destination !== want.destination) return `another destination (${saved.destination})`;
  return null;
}

function isCheckpoint(v: unknown): v is CheckpointFile {
  const c = v as Partial<CheckpointFile> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    c.version === 2 &&
    typeof c.committedLine === 'number' &&
    typeof c.rejectedCount === 'number' &&
    Array.isArray(c.rejected) &&
    typeof c.destination === 'string'
  );
}

/**
 * Reads the checkpoint for `file` if it belongs to this run. `note` is the one line to print when
 * one exists but cannot be used (another tenant, destination, kind or file version, or unreadable):
 * the import then starts from line 1 and replaces it.
 */
export function loadCheckpoint(file: string, want: ImportIdentity): { progress: ImportProgress | null; note?: string } {
  const path = checkpointPath(file);
  if (!existsSync(path)) return { progress: null };
  const name = basename(path);
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    saved = null;
  }
  if (!isCheckpoint(saved)) return { progress: null, note: `checkpoint ${name} is unreadable or from an older version; starting from line 1` };
  const why = mismatch(saved, want);
  if (why) return { progress: null, note: `checkpoint ${name} is for ${why}, not this import; starting from line 1` };
  const { committedLine, read, inserted, updated, unchanged, rejectedCount, rejected } = saved;
  return { progress: { committedLine, read, inserted, updated, unchanged, rejectedCount, rejected } };
}

/** Writes the checkpoint through a temporary file, so an interruption never leaves half a file. */
export function saveCheckpoint(file: string, identity: ImportIdentity, progress: ImportProgress): void {
  const path = checkpointPath(file);
  const body: CheckpointFile = { version: 2, ...identity, ...progress };
  writeFileSync(`${path}.tmp`, JSON.stringify(body));
  renameSync(`${path}.tmp`, path);
}

export function removeCheckpoint(file: string): void {
  const path = checkpointPath(file);
  if (existsSync(path)) unlinkSync(path);
}
