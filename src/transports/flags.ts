import { isShorthandFlag, SECRET_FLAGS, SETTINGS, secretFlagRefusal } from "../config.js";
import { FleetError } from "../errors.js";

/**
 * Command-line flags of the serving commands: every configuration setting (`--db`, `--mode`, …, read by
 * loadConfig) plus the command's own. Returns the command's own flag values, any flag nobody knows, and any
 * secret's flag (`--api-key`, …), which is refused: its value would be readable by every local user.
 */
export function parseCommandFlags(
  argv: readonly string[],
  own: Record<string, { takesValue: boolean }>,
): { values: Record<string, string | true>; unknown: string[]; secrets: string[] } {
  const values: Record<string, string | true> = {};
  const unknown: string[] = [];
  const secrets: string[] = [];
  const settingFlags = new Set<string>(SETTINGS.map((s) => s.flag));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (isShorthandFlag(arg)) continue;
    const [name, inline] = arg.split("=", 2) as [string, string | undefined];
    if (settingFlags.has(name)) {
      if (SECRET_FLAGS.has(name)) secrets.push(name);
      if (inline === undefined) i++;
      continue;
    }
    const spec = own[name];
    if (!spec) {
      unknown.push(arg);
      continue;
    }
    if (!spec.takesValue) values[name] = true;
    else {
      const value = inline ?? argv[++i];
      if (value === undefined) unknown.push(`${name} (needs a value)`);
      else values[name] = value;
    }
  }
  return { values, unknown, secrets };
}

/**
 * What a command prints for the flags it cannot take: unknown ones, and secrets given as flags (each with the
 * variable or file to use instead). Undefined when there are none; the command then exits with status 2.
 */
export function flagProblems(
  command: string,
  parsed: { unknown: readonly string[]; secrets: readonly string[] },
  help = "pf-fleet --help",
): string | undefined {
  const lines = parsed.secrets.map((flag) => {
    const e = secretFlagRefusal(flag);
    return `pf-fleet ${command}: ${e.message}\n  Hint: ${e.hint}`;
  });
  if (parsed.unknown.length) {
    lines.push(`pf-fleet ${command}: unknown option ${parsed.unknown.join(", ")} (see ${help})`);
  }
  return lines.length ? `${lines.join("\n")}\n` : undefined;
}

/** `--port`: a whole number 0–65535 (0 = any free port), `fallback` when not given. */
export function parsePort(raw: string | true | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== "string" || !Number.isInteger(n) || n < 0 || n > 65_535) {
    throw new FleetError("INVALID_INPUT", `--port must be a whole number 0–65535, got \`${String(raw)}\``);
  }
  return n;
}
