/**
 * Storage failures every backend may raise that callers act on. A transient conflict (PostgreSQL's deadlock or
 * serialization failure) rolled the whole transaction back, and running it again can succeed; SQLite, with one
 * writer, never raises one.
 */

/** SQLSTATE of `err` or of an error it wraps */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  const cause = (err as { cause?: unknown })?.cause;
  return cause === undefined ? undefined : sqlState(cause);
}

export function isTransientConflict(err: unknown): boolean {
  const code = sqlState(err);
  return code === "40001" || code === "40P01"; // serialization_failure, deadlock_detected
}

/**
 * For a catch that turns a failed write into an outcome (a job "failed", a chord "could not be enqueued"): a
 * transient conflict is not such a failure. It must reach the transaction's owner, which runs it again.
 */
export function rethrowTransient(err: unknown): void {
  if (isTransientConflict(err)) throw err;
}

/** What a storage failure is, for the codes callers and the model act on (src/errors.ts names them). */
export type StorageFailureCode = "STORAGE_FULL" | "STORAGE_READ_ONLY" | "STORAGE_IO_ERROR";

export interface StorageFailure {
  code: StorageFailureCode;
  /** the driver's own code: `SQLITE_FULL`, `53100`, `ENOSPC`, … */
  driverCode: string;
  hint: string;
}

const UNCOMMITTED = "the write that failed was not committed; pf-fleet carries on once this is fixed";

const FULL: Omit<StorageFailure, "driverCode"> = {
  code: "STORAGE_FULL",
  hint: `the disk (or database quota) holding pf-fleet's database is full: free space there; ${UNCOMMITTED}`,
};
const READ_ONLY: Omit<StorageFailure, "driverCode"> = {
  code: "STORAGE_READ_ONLY",
  hint:
    "pf-fleet's database cannot be written: check the permissions of the database file and its directory, a " +
    `read-only mount, or (PostgreSQL) that PF_DB points at the primary, not a standby; ${UNCOMMITTED}`,
};
const IO_ERROR: Omit<StorageFailure, "driverCode"> = {
  code: "STORAGE_IO_ERROR",
  hint: `the disk holding pf-fleet's database reported an I/O error: check the disk and the system log; ${UNCOMMITTED}`,
};

/**
 * A failure of the storage medium itself (disk full, read-only, I/O error) from SQLite (`SQLITE_FULL`,
 * `SQLITE_READONLY*`, `SQLITE_IOERR*`), PostgreSQL (SQLSTATE 53100 disk_full, 25006 read_only_sql_transaction,
 * 58030 io_error) or the file system (ENOSPC, EDQUOT, EROFS, EIO); undefined for anything else. These are not
 * pf-fleet bugs and must not be reported as INTERNAL.
 */
export function storageFailure(err: unknown): StorageFailure | undefined {
  const code = sqlState(err);
  if (code === undefined) return undefined;
  const kind =
    code === "SQLITE_FULL" || code === "53100" || code === "ENOSPC" || code === "EDQUOT"
      ? FULL
      : code.startsWith("SQLITE_READONLY") || code === "25006" || code === "EROFS"
        ? READ_ONLY
        : code.startsWith("SQLITE_IOERR") || code === "58030" || code === "EIO"
          ? IO_ERROR
          : undefined;
  return kind && { ...kind, driverCode: code };
}
