/**
 * The plan file `infra` writes (plan, destroy) or applies (apply). terraform truncates whatever sits at `-out FILE`
 * and deckhand makes it private (0600), so a mistyped `--plan-file main.tf` used to destroy the file it named. A path
 * is used only when it is free, or already holds a terraform plan (replacing an older plan is what `plan` is for).
 *
 * A saved terraform plan is a zip archive whose entries include `tfplan` (and `tfstate`, `tfconfig/…`); it is
 * recognised by its zip central directory, not by its name.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { UsageError } from '../../lib/errors.ts';

export type PlanFileUse = 'write' | 'apply';

/** Throws a UsageError (exit 2, nothing run) when the path cannot be used as a plan file this way. */
export function checkPlanFile(file: string, use: PlanFileUse): void {
  let stats;
  try {
    stats = statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (stats.isDirectory()) {
    throw new UsageError(
      `The plan file ${file} is a folder.`,
      'Name a file for the plan, e.g. --plan-file reviewed.tfplan (inside the folder if you like).',
    );
  }
  if (!stats.isFile() || !isTerraformPlan(file)) {
    throw new UsageError(
      use === 'write'
        ? `${file} exists and is not a terraform plan: deckhand does not overwrite it.`
        : `${file} is not a terraform plan: nothing was applied.`,
      use === 'write'
        ? 'Choose a new file name for the plan (e.g. --plan-file reviewed.tfplan), or move that file away.'
        : 'Give the file `infra plan --plan-file FILE` wrote, or leave --plan-file out to plan afresh.',
    );
  }
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_ENTRY = 0x02014b50;
/** The end record is 22 bytes plus a comment of at most 65535. */
const TAIL_BYTES = 22 + 0xffff;

/** True when the file is a zip archive listing a `tfplan` entry. */
export function isTerraformPlan(file: string): boolean {
  const size = statSync(file).size;
  if (size < 22) return false;
  const tailStart = Math.max(0, size - TAIL_BYTES);
  const tail = readAt(file, tailStart, size - tailStart);
  let end = -1;
  for (let offset = tail.length - 22; offset >= 0; offset--) {
    if (tail.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) {
      end = offset;
      break;
    }
  }
  if (end === -1) return false;
  const entries = tail.readUInt16LE(end + 10);
  const directorySize = tail.readUInt32LE(end + 12);
  const directoryOffset = tail.readUInt32LE(end + 16);
  if (directoryOffset + directorySize > size) return false;
  const directory = readAt(file, directoryOffset, directorySize);
  let offset = 0;
  for (let index = 0; index < entries && offset + 46 <= directory.length; index++) {
    if (directory.readUInt32LE(offset) !== CENTRAL_ENTRY) return false;
    const nameLength = directory.readUInt16LE(offset + 28);
    const extraLength = directory.readUInt16LE(offset + 30);
    const commentLength = directory.readUInt16LE(offset + 32);
    if (directory.toString('utf8', offset + 46, offset + 46 + nameLength) === 'tfplan') return true;
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return false;
}

function readAt(file: string, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    let read = 0;
    while (read < length) {
      const bytes = readSync(fd, buffer, read, length - read, position + read);
      if (bytes === 0) break;
      read += bytes;
    }
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
