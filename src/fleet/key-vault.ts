/**
 * Keys at rest: every agent and domains key is sealed with AES-256-GCM (Node's crypto) under an operator secret
 * before it reaches the database, bound to the row it belongs to (the agent or account id is the additional
 * authenticated data, so a sealed key copied onto another row does not open). A process with the wrong secret, or
 * none, cannot open a key: GCM's tag check fails and pf-fleet says so — it never sends a garbled key.
 *
 * Where the secret comes from:
 * - `PF_SECRET_KEY` (64 hex digits or base64 of 32 bytes), or `PF_SECRET_KEY_FILE` (a file holding one);
 * - otherwise, for a SQLite database, a key file beside it (`<db>.key`, 0600), created on first use: the
 *   database alone (a backup, a copied file) no longer gives the keys away;
 * - a PostgreSQL database has no such default: the secret belongs only on the machines that call Purple Flea,
 *   never in the shared database. Without one, a process can still serve and run jobs that need no key.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { FleetError } from "../errors.js";
import { readSecretFile } from "../secret-file.js";

const VERSION = "pfk1";
const SECRET_HINT =
  "set PF_SECRET_KEY (e.g. `openssl rand -hex 32`) to the same value on every machine that calls Purple Flea, or PF_SECRET_KEY_FILE to a file holding it";

export interface KeyVault {
  /** names the secret without revealing it (first bytes of its hash), for messages; null when there is none */
  readonly fingerprint: string | null;
  seal(key: string, owner: string): string;
  /** the key sealed for `owner`; a key stored before keys were sealed is returned as it is */
  open(stored: string, owner: string): string;
}

/** what a key is sealed for: the row it belongs to, so a sealed key copied to another row does not open */
export const agentKeyOwner = (agentId: string) => `agent:${agentId}`;
export const domainsKeyOwner = (accountId: string) => `domains:${accountId}`;

export function isSealed(stored: string): boolean {
  return stored.startsWith(`${VERSION}.`);
}

/** Opened keys a vault remembers; more agents than this only cost a decryption each again. */
const OPENED_KEYS_KEPT = 1_024;

class AesGcmVault implements KeyVault {
  readonly fingerprint: string;
  readonly #secret: Buffer;
  /**
   * Keys opened so far, by owner and sealed value, least recently used first. Every money call opens its agent's
   * key, and setting up an AES-GCM decipher took ~20 µs alone but ~110 µs per bets/batch call in the engine's
   * profile (2.5 % of its main thread). An entry cannot go stale: sealing a key again gives it a new sealed value
   * (a fresh IV). The secret that opens every key is in this process anyway, so holding opened keys adds nothing an
   * attacker could not reach.
   */
  readonly #opened = new Map<string, string>();

  constructor(secret: Buffer) {
    this.#secret = secret;
    this.fingerprint = createHash("sha256").update(secret).digest("hex").slice(0, 12);
  }

  seal(key: string, owner: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#secret, iv);
    cipher.setAAD(Buffer.from(owner));
    const body = Buffer.concat([cipher.update(key, "utf8"), cipher.final()]);
    return [VERSION, iv, body, cipher.getAuthTag()]
      .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
      .join(".");
  }

  open(stored: string, owner: string): string {
    if (!isSealed(stored)) return stored;
    const memo = `${owner}\n${stored}`;
    const known = this.#opened.get(memo);
    if (known !== undefined) {
      this.#opened.delete(memo);
      this.#opened.set(memo, known);
      return known;
    }
    const key = this.#decipher(stored, owner);
    if (this.#opened.size >= OPENED_KEYS_KEPT) this.#opened.delete(this.#opened.keys().next().value as string);
    this.#opened.set(memo, key);
    return key;
  }

  #decipher(stored: string, owner: string): string {
    const [, iv, body, tag] = stored.split(".") as [string, string, string, string];
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#secret, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(owner));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
    } catch (err) {
      throw new FleetError(
        "FORBIDDEN",
        `the key of ${owner} does not open with this process's secret (${this.fingerprint})`,
        {
          hint: `this database's keys were sealed with another secret: ${SECRET_HINT}`,
          cause: err,
        },
      );
    }
  }
}

/** no secret: nothing can be sealed or opened, and every attempt says why */
class NoSecretVault implements KeyVault {
  readonly fingerprint = null;

  seal(): string {
    throw noSecret("store a key");
  }

  open(stored: string, owner: string): string {
    if (!isSealed(stored)) return stored;
    throw noSecret(`use the key of ${owner}`);
  }
}

function noSecret(what: string): FleetError {
  return new FleetError("FORBIDDEN", `this process has no secret to ${what}: keys in a shared database are sealed`, {
    hint: SECRET_HINT,
  });
}

/** 32 bytes from 64 hex digits or base64 */
export function parseSecret(raw: string, source: string): Buffer {
  const text = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  const bytes = Buffer.from(text, "base64");
  // Buffer.from skips what is not base64: only a clean round trip is the value the operator meant
  if (bytes.length !== 32 || bytes.toString("base64").replace(/=+$/, "") !== text.replace(/=+$/, "")) {
    throw new FleetError("INVALID_INPUT", `${source} must be 32 random bytes as 64 hex digits or base64`, {
      hint: "generate one with `openssl rand -hex 32`",
    });
  }
  return bytes;
}

export interface VaultSource {
  /** PF_SECRET_KEY */
  secret?: string | undefined;
  /** PF_SECRET_KEY_FILE */
  secretFile?: string | undefined;
  /** a SQLite database's path: its key file lives beside it; undefined for PostgreSQL */
  sqlitePath?: string | undefined;
}

export function openKeyVault(source: VaultSource): KeyVault {
  if (source.secret) return new AesGcmVault(parseSecret(source.secret, "PF_SECRET_KEY"));
  if (source.secretFile)
    return new AesGcmVault(
      parseSecret(readSecretFile(source.secretFile, "PF_SECRET_KEY_FILE"), `PF_SECRET_KEY_FILE (${source.secretFile})`),
    );
  if (source.sqlitePath === ":memory:") return new AesGcmVault(randomBytes(32));
  if (source.sqlitePath) return new AesGcmVault(keyFileBeside(source.sqlitePath));
  return new NoSecretVault();
}

/**
 * `<db>.key`, 0600, created once with 32 random bytes. Written whole to a temp file and linked into place, which
 * fails if the file exists: two processes starting at once end up with one secret, never a half-written one.
 */
function keyFileBeside(dbPath: string): Buffer {
  const file = `${dbPath}.key`;
  if (!existsSync(file)) {
    const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    writeFileSync(temp, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    try {
      linkSync(temp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      unlinkSync(temp);
    }
  }
  chmodSync(file, 0o600);
  return parseSecret(readFileSync(file, "utf8"), file);
}
