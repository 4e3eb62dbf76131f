import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export const REPO = resolve(import.meta.dirname, "../..");

/** a built module's URL, for a script that a test runs in a child process to import */
export function distUrl(...path: string[]): string {
  return pathToFileURL(join(REPO, "dist", ...path)).href;
}

/**
 * The packaging tests read dist/ (`npm test` builds first). A dist/ older than its sources would package
 * yesterday's server and pass, so they refuse to run against one.
 */
export function assertDistIsFresh(
  dirs: readonly string[] = ["src", "tools", "resources", "scheduler", "prompts"],
): void {
  const stale: string[] = [];
  for (const dir of dirs) {
    for (const file of readdirSync(join(REPO, dir), { recursive: true }).map(String)) {
      if (!file.endsWith(".ts") || file.endsWith(".d.ts")) continue;
      const source = join(REPO, dir, file);
      const built = join(REPO, "dist", dir, file.replace(/\.ts$/, ".js"));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) stale.push(`${dir}/${file}`);
    }
  }
  if (stale.length > 0) {
    throw new Error(
      `dist/ is older than ${stale.slice(0, 3).join(", ")}${stale.length > 3 ? ", …" : ""}: run npm run build`,
    );
  }
}
