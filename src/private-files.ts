// Files and folders accessbot creates hold secrets (tokens) or everyone's requests (the
// database): created 0600 / 0700 whatever the umask allows more, existing ones it owns
// re-permissioned, and written so that a crash never leaves a half-written secret. A failure
// names the path, the setting it came from and the cause, instead of a stack trace.

import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { AccessbotError } from './errors.js';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_FOLDER_MODE = 0o700;

const CAUSES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  ENOENT: 'no such file or folder',
  ELOOP: 'too many symbolic links',
  EEXIST: 'it already exists',
  ENAMETOOLONG: 'the path is too long',
};

/**
 * The typed error for a failed file operation: STORAGE_FULL for a full disk, FILE_ACCESS for
 * anything else the file system refused. Undefined when `err` is not a file-system error.
 */
export function fileProblem(
  err: unknown,
  path: string,
  setting: string,
  action: string,
): AccessbotError | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !(code in CAUSES)) return undefined;
  const full = code === 'ENOSPC' || code === 'EDQUOT';
  return new AccessbotError(
    full ? 'STORAGE_FULL' : 'FILE_ACCESS',
    `cannot ${action} ${path} (${setting}): ${CAUSES[code]} (${code})`,
    { path, setting, cause: code },
  );
}

function attempt<T>(run: () => T, path: string, setting: string, action: string): T {
  try {
    return run();
  } catch (err) {
    throw fileProblem(err, path, setting, action) ?? err;
  }
}

/** Creates the folder (or, with `parentOf`, the folder holding `path`) as 0700 when missing. */
export function ensurePrivateFolder(path: string, setting: string, opts: { parentOf?: boolean } = {}): void {
  const folder = opts.parentOf ? dirname(path) : path;
  attempt(
    () => mkdirSync(folder, { recursive: true, mode: PRIVATE_FOLDER_MODE }),
    folder,
    setting,
    'create the folder',
  );
}

/** Creates an empty 0600 file when missing; narrows an existing one to 0600. */
export function ensurePrivateFile(path: string, setting: string): void {
  let mode: number | undefined;
  try {
    const stat = statSync(path);
    // Only a regular file is ours to narrow (never a device or anything else a path may name).
    if (!stat.isFile()) return;
    mode = stat.mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw fileProblem(err, path, setting, 'read') ?? err;
  }
  if (mode === undefined) {
    attempt(() => closeSync(openSync(path, 'a', PRIVATE_FILE_MODE)), path, setting, 'create');
  } else if ((mode & 0o077) !== 0) {
    attempt(() => chmodSync(path, PRIVATE_FILE_MODE), path, setting, 'restrict the permissions of');
  }
}

/**
 * Writes `content` to `path` as a new 0600 file: a temporary file beside it, flushed to disk,
 * then renamed over the old one. A reader sees the old file or the new one, never half of it;
 * an existing file (whatever its mode) or symlink at `path` is replaced, never written through.
 */
export function writePrivateFile(path: string, content: string, setting: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    rmSync(temporary, { force: true });
    const fd = openSync(temporary, 'wx', PRIVATE_FILE_MODE);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw fileProblem(err, path, setting, 'write') ?? err;
  }
}
