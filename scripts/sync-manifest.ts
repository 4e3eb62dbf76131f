/**
 * Writes the real server's tools and prompts, and package.json's version, into manifest.json (the MCP Bundle's
 * manifest). test/pack/manifest.test.ts fails when they differ, so run this after adding or renaming a tool:
 *
 *   npm run manifest:sync
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "./repo.js";
import { manifestPrompts, manifestTools, readServerSurface } from "./server-surface.js";

const manifestPath = join(REPO, "manifest.json");

const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown>;
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };
const surface = await readServerSurface();
manifest.version = pkg.version;
manifest.tools = manifestTools(surface.tools);
manifest.prompts = manifestPrompts(surface.prompts);
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
// the repo's formatter decides the layout, so `npm run lint` stays clean after a sync
execFileSync(join(REPO, "node_modules/.bin/biome"), ["format", "--write", manifestPath], { stdio: "ignore" });
process.stdout.write(
  `manifest.json: ${surface.tools.length} tools, ${surface.prompts.length} prompts, version ${pkg.version}\n`,
);
