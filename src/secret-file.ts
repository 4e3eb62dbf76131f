import { readFileSync, statSync } from "node:fs";
import { FleetError } from "./errors.js";

/**
 * Secrets (PF_API_KEY, PF_HTTP_TOKEN, PF_SECRET_KEY) come from the environment or from a file named by their
 * `*_FILE` setting, never from a flag: a command line is readable by every local user (`/proc/<pid>/cmdline`, `ps`).
 *
 * A file readable by group or others is used, with a warning, rather than refused: container secret mounts are
 * often 0444 (Docker) or 0644 (Kubernetes) inside a filesystem only the container sees, and refusing them would
 * push operators back to environment variables, which are no safer.
 */

/** The file's content, trimmed. Errors name the setting and the path, never the content. */
export function readSecretFile(path: string, setting: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new FleetError(
      "INVALID_INPUT",
      `${setting} names \`${path}\`, which cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      { hint: `point ${setting} at a file this user can read, holding only the secret`, cause: err },
    );
  }
  if (!text) throw new FleetError("INVALID_INPUT", `${setting} names \`${path}\`, which is empty`);
  warnIfShared(path, setting);
  return text;
}

function warnIfShared(path: string, setting: string): void {
  if (process.platform === "win32") return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  process.emitWarning(
    `${setting}: \`${path}\` is readable by other users (mode ${mode.toString(8).padStart(4, "0")}); run \`chmod 600 ${path}\``,
    { code: "PF_SECRET_FILE_MODE" },
  );
}

/** a secret from its variable or its file, not both; undefined when neither is set */
export function secretValue(setting: string, value: string | undefined, file: string | undefined): string | undefined {
  assertOneSource(setting, value, file);
  if (file) return readSecretFile(file, `${setting}_FILE`);
  return value || undefined;
}

export function assertOneSource(setting: string, value: string | undefined, file: string | undefined): void {
  if (value && file) {
    throw new FleetError("INVALID_INPUT", `${setting} and ${setting}_FILE are both set`, {
      hint: `keep one: ${setting} (the variable) or ${setting}_FILE (a file holding it)`,
    });
  }
}
