import { isShorthandFlag, SETTINGS } from "../config.js";

/**
 * Command-line flags of the serving commands: every configuration setting (`--db`, `--mode`, …, read by
 * loadConfig) plus the command's own. Returns the command's own flag values and any flag nobody knows.
 */
export function parseCommandFlags(
  argv: readonly string[],
  own: Record<string, { takesValue: boolean }>,
): { values: Record<string, string | true>; unknown: string[] } {
  const values: Record<string, string | true> = {};
  const unknown: string[] = [];
  const settingFlags = new Set<string>(SETTINGS.map((s) => s.flag));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (isShorthandFlag(arg)) continue;
    const [name, inline] = arg.split("=", 2) as [string, string | undefined];
    if (settingFlags.has(name)) {
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
  return { values, unknown };
}
