/**
 * Builds the MCP Bundle `pf-fleet-<version>.mcpb` with the mcpb CLI (`mcpb pack`): a zip of manifest.json and
 * only what runs — the compiled server (no bench, no source maps), a trimmed package.json, README, and the
 * production dependencies copied from this checkout's node_modules (so better-sqlite3's native build comes
 * along without compiling again, and the repo's own node_modules stay untouched).
 *
 *   npm run bundle [-- --out-dir DIR] [--staging-dir DIR] [--server-json]   (defaults: the repo root, .bundle/)
 *
 * better-sqlite3 is a native addon: the bundle runs on the platform and Node major it was built on, and its
 * manifest says so (compatibility.platforms and runtimes.node are narrowed to this machine's).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { REPO } from "./repo.js";

/** The compiled directories the server loads; dist/bench and dist/scripts are development tools. */
export const RUNTIME_DIST_DIRS = ["src", "tools", "resources", "scheduler", "prompts"] as const;

interface PackageJson {
  name: string;
  version: string;
  engines?: { node?: string };
  [key: string]: unknown;
}

export interface BundleResult {
  file: string;
  sha256: string;
  staging: string;
}

export function buildBundle(opts: { outDir?: string; stagingDir?: string } = {}): BundleResult {
  const pkg = readJson<PackageJson>(join(REPO, "package.json"));
  const manifest = readJson<Record<string, unknown>>(join(REPO, "manifest.json"));
  if (manifest.version !== pkg.version) {
    throw new Error(
      `manifest.json has version ${String(manifest.version)}, package.json ${pkg.version}: run npm run manifest:sync`,
    );
  }
  for (const dir of RUNTIME_DIST_DIRS) {
    if (!existsSync(join(REPO, "dist", dir))) throw new Error(`dist/${dir} is missing: run npm run build first`);
  }
  const staging = opts.stagingDir ?? join(REPO, ".bundle");
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });

  for (const dir of RUNTIME_DIST_DIRS) {
    cpSync(join(REPO, "dist", dir), join(staging, "dist", dir), {
      recursive: true,
      filter: (p) => !p.endsWith(".map"),
    });
  }
  writeJson(join(staging, "package.json"), runtimePackageJson(pkg));
  writeJson(join(staging, "manifest.json"), { ...manifest, compatibility: thisMachine(pkg) });
  for (const doc of ["README.md", "LICENSE"]) {
    if (existsSync(join(REPO, doc))) cpSync(join(REPO, doc), join(staging, doc));
  }
  copyProductionDependencies(staging);

  const outDir = opts.outDir ?? REPO;
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${pkg.name}-${pkg.version}.mcpb`);
  execFileSync(process.execPath, [mcpbCli(), "pack", staging, file], { stdio: ["ignore", "pipe", "inherit"] });
  const sha256 = createHash("sha256").update(readFileSync(file)).digest("hex");
  return { file, sha256, staging };
}

/** What a running pf-fleet reads from package.json: its name, version, module type and entry. */
function runtimePackageJson(pkg: PackageJson): Record<string, unknown> {
  const keep = ["name", "version", "description", "type", "license", "bin", "engines", "dependencies"];
  return Object.fromEntries(keep.filter((k) => k in pkg).map((k) => [k, pkg[k]]));
}

/** The native build ties the bundle to this platform and Node major (another major has another ABI). */
function thisMachine(pkg: PackageJson): Record<string, unknown> {
  const major = Number(process.versions.node.split(".")[0]);
  const floor = pkg.engines?.node?.match(/^>=\s*(\d+)\.(\d+)\.(\d+)$/);
  const min = floor && Number(floor[1]) === major ? `${floor[1]}.${floor[2]}.${floor[3]}` : `${major}.0.0`;
  return { platforms: [process.platform], runtimes: { node: `>=${min} <${major + 1}.0.0` } };
}

/**
 * `npm ls --omit=dev` names every package the server needs (nested copies included); each is copied without
 * its own node_modules (those are listed too), without TypeScript sources, declarations and source maps, and,
 * for a native addon, with only its compiled `.node` files from build/.
 */
function copyProductionDependencies(staging: string): void {
  const listing = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: REPO, encoding: "utf8" });
  const packages = listing
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && line !== REPO);
  for (const from of packages) {
    const rel = relative(REPO, from);
    if (!rel.startsWith(`node_modules${sep}`)) throw new Error(`unexpected dependency path ${from}`);
    const native = existsSync(join(from, "binding.gyp"));
    cpSync(from, join(staging, rel), { recursive: true, filter: (p) => runs(relative(from, p), native) });
  }
}

/** Whether a file of a dependency (path relative to the package root) is needed at run time. */
export function runs(path: string, native: boolean): boolean {
  if (path === "") return true;
  const parts = path.split(sep);
  if (parts[0] === "node_modules") return false;
  if (/\.(map|ts|mts|cts)$/.test(path)) return false;
  if (!native) return true;
  if (parts[0] === "deps" || parts[0] === "src") return false;
  if (parts[0] !== "build") return true;
  // build/ and build/Release are walked; of their files only the compiled addon is kept
  if (parts.length === 1 || (parts.length === 2 && parts[1] === "Release")) return true;
  return parts.length === 3 && parts[1] === "Release" && (parts[2] ?? "").endsWith(".node");
}

/** The mcpb CLI of the devDependency (its package.json is not in its exports, so it is read from node_modules). */
export function mcpbCli(): string {
  const dir = join(REPO, "node_modules", "@anthropic-ai", "mcpb");
  return join(dir, readJson<{ bin: string }>(join(dir, "package.json")).bin);
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * The registry entry's mcpb package names the release asset by its SHA-256: at a release, build once, upload
 * that very file (a rebuild differs: the zip holds timestamps) and record its hash with `--server-json`.
 */
function recordInServerJson(sha256: string): void {
  const path = join(REPO, "server.json");
  const server = readJson<{ packages: { registryType: string; fileSha256?: string }[] }>(path);
  const mcpb = server.packages.find((p) => p.registryType === "mcpb");
  if (!mcpb) throw new Error("server.json has no mcpb package");
  mcpb.fileSha256 = sha256;
  writeFileSync(path, `${JSON.stringify(server, null, 2)}\n`);
  execFileSync(join(REPO, "node_modules/.bin/biome"), ["format", "--write", path], { stdio: "ignore" });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      "out-dir": { type: "string" },
      "staging-dir": { type: "string" },
      "server-json": { type: "boolean", default: false },
    },
  });
  const started = Date.now();
  const result = buildBundle({ outDir: values["out-dir"], stagingDir: values["staging-dir"] });
  if (values["server-json"]) recordInServerJson(result.sha256);
  process.stdout.write(
    `${basename(result.file)} (${((Date.now() - started) / 1000).toFixed(1)} s)\n  ${result.file}\n  sha256 ${result.sha256}${values["server-json"] ? " (written to server.json)" : ""}\n`,
  );
}
