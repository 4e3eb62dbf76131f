import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout: the nearest folder above this file with a package.json (from scripts/ in tests, dist/scripts/ when run). */
export const REPO = findRepo(dirname(fileURLToPath(import.meta.url)));

function findRepo(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}
