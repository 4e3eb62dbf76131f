import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * The console's static files: the page (src/console/public/, copied beside the compiled code by the build)
 * and uPlot from its package. Read once and kept in memory: a few hundred kilobytes, served from loopback.
 */

/** No inline script or style, nothing fetched from elsewhere, never framed. */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

const require = createRequire(import.meta.url);

/** url path → where the file lives */
function assetFiles(): Record<string, string> {
  const page = (name: string) => fileURLToPath(new URL(`./public/${name}`, import.meta.url));
  const uplot = (name: string) => require.resolve(`uplot/dist/${name}`);
  return {
    "/": page("index.html"),
    "/console/app.js": page("app.js"),
    "/console/app.css": page("app.css"),
    "/console/vendor/uPlot.iife.min.js": uplot("uPlot.iife.min.js"),
    "/console/vendor/uPlot.min.css": uplot("uPlot.min.css"),
  };
}

let cache: Map<string, Asset> | undefined;

function assets(): Map<string, Asset> {
  if (!cache) {
    cache = new Map();
    for (const [path, file] of Object.entries(assetFiles())) {
      const ext = file.slice(file.lastIndexOf(".") + 1);
      cache.set(path, { body: readFileSync(file), type: TYPES[ext] ?? "application/octet-stream" });
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
