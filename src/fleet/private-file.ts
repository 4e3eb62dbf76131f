import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { type Db, openDatabase } from "../db.js";

/**
 * Opens the database that holds the fleet's keys so that only the owner can read it: the directory 0700, the
 * file created 0600 before SQLite touches it (SQLite gives its -wal and -shm files the main file's mode).
 * An existing file is narrowed to 0600 too.
 */
export function openPrivateDatabase(path: string): Db {
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, "a", 0o600));
    chmodSync(path, 0o600);
  }
  return openDatabase(path);
}
