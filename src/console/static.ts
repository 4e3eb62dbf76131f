import { type Dirent, readdirSync, readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The console's static files: every file under src/console/public/ (copied beside the compiled code by the
 * build), served at `/console/<its path there>` with `/` for index.html, and uPlot from its package. The
 * directory is walked once, at the first request, and the files kept in memory: a few hundred kilobytes, served
 * from loopback. A request only ever looks a path up in that map, so nothing outside the directory (no `..`, no
 * symlink, no file added after start) can be reached.
 */

/** No inline script or style, nothing fetched from elsewhere, never framed. */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  type: string;
}

/** the kinds of file the page is made of; anything else in the directory (an editor's backup, a map) is not served */
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
};

const require = createRequire(import.meta.url);

const typeOf = (file: string): string | undefined => TYPES[file.slice(file.lastIndexOf(".") + 1)];

/** regular files under `dir` by their path relative to it (`/` separated); dot files and symlinks are skipped */
function walk(dir: string, prefix = ""): [string, string][] {
  const out: [string, string][] = [];
  const entries: Dirent[] = readdirSync(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const rel = prefix ? posix.join(prefix, entry.name) : entry.name;
    if (entry.isDirectory()) out.push(...walk(join(dir, entry.name), rel));
    else if (entry.isFile()) out.push([rel, join(dir, entry.name)]);
  }
  return out;
}

/** url path → where the file lives */
function assetFiles(): Map<string, string> {
  const root = fileURLToPath(new URL("./public/", import.meta.url));
  const files = new Map<string, string>();
  for (const [rel, file] of walk(root)) if (typeOf(file)) files.set(`/console/${rel}`, file);
  files.set("/", join(root, "index.html"));
  files.set("/console/vendor/uPlot.iife.min.js", require.resolve("uplot/dist/uPlot.iife.min.js"));
  files.set("/console/vendor/uPlot.min.css", require.resolve("uplot/dist/uPlot.min.css"));
  return files;
}

let cache: Map<string, Asset> | undefined;

function assets(): Map<string, Asset> {
  if (!cache) {
    cache = new Map();
    for (const [path, file] of assetFiles()) {
      cache.set(path, { body: readFileSync(file), type: typeOf(file) ?? "application/octet-stream" });
    }
  }
  return cache;
}

export function isConsoleAsset(pathname: string): boolean {
  return pathname === "/" || pathname.startsWith("/console/");
}

/** false when there is no such file (the caller answers 404) */
export function sendConsoleAsset(res: ServerResponse, pathname: string, head: boolean): boolean {
  const asset = assets().get(pathname);
  if (!asset) return false;
  res.writeHead(200, {
    "content-type": asset.type,
    "content-length": asset.body.length,
    // the page is small and changes with each release; revalidating costs nothing on loopback
    "cache-control": "no-cache",
    "content-security-policy": CONSOLE_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
  res.end(head ? undefined : asset.body);
  return true;
}
