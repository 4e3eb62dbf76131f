import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { CONSOLE_CSP } from "../../src/console/static.js";
import { silentLogger } from "../../src/log.js";
import { createServer, type FleetServer } from "../../src/server.js";
import { type RunningHttp, startHttpServer } from "../../src/transports/http.js";

/**
 * The console's files as a browser gets them: the page and every module it imports (followed through the import
 * graph, so a module left out of the server or misnamed fails here, not in a user's console), and nothing else
 * from the disk however the path is spelled.
 */

const TOKEN = "console-static-token-0123456789";
let dir: string;
let fleet: FleetServer;
let http: RunningHttp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-static-"));
  fleet = await createServer(loadConfig({ PF_DB: join(dir, "fleet.db") }), {
    logger: silentLogger,
    sandbox: { rateLimits: false },
    startEngine: false,
  });
  http = await startHttpServer(fleet, { port: 0, host: "127.0.0.1", token: TOKEN, logger: silentLogger });
});
afterAll(async () => {
  await http?.close();
  await fleet?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** GET with the path sent exactly as written (fetch would resolve `..` and `%2e%2e` before sending) */
function rawGet(path: string): Promise<{ status: number; type: string; csp: string; body: string }> {
  const { hostname, port } = new URL(http.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers["content-type"] ?? ""),
          csp: String(res.headers["content-security-policy"] ?? ""),
          body,
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** the module specifiers of `import … from "…"` (and bare `import "…"`) in a served module */
function importsOf(source: string): string[] {
  return [...source.matchAll(/^\s*import\s+(?:[\s\S]*?\sfrom\s+)?["']([^"']+)["']/gm)].map((m) => m[1] as string);
}

describe("console static files", () => {
  it("serves the page and every module in its import graph as JavaScript, with the CSP", async () => {
    const page = await rawGet("/");
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.csp).toBe(CONSOLE_CSP);
    const entries = [...page.body.matchAll(/<script\b[^>]*\btype="module"[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]);
    expect(entries).toEqual(["/console/js/main.js"]);

    const seen = new Set<string>();
    const queue = [...(entries as string[])];
    while (queue.length) {
      const path = queue.shift() as string;
      if (seen.has(path)) continue;
      seen.add(path);
      const mod = await rawGet(path);
      expect({ path, status: mod.status, type: mod.type }).toEqual({
        path,
        status: 200,
        type: "text/javascript; charset=utf-8",
      });
      expect(mod.csp).toBe(CONSOLE_CSP);
      for (const spec of importsOf(mod.body)) {
        // only relative imports: the page has no bundler to resolve a package name
        expect(spec, `${path} imports ${spec}`).toMatch(/^\.\.?\//);
        queue.push(posix.normalize(posix.join(posix.dirname(path), spec)));
      }
    }
    // the router, the API client and every view are reached from main.js
    for (const view of ["jobs", "job-detail", "money", "health", "schedules"]) {
      expect(seen).toContain(`/console/js/views/${view}.js`);
    }
    expect(seen).toContain("/console/js/api.js");
    expect(seen.size).toBeGreaterThanOrEqual(15);
  });

  it("serves the stylesheets and uPlot the page links", async () => {
    for (const [path, type] of [
      ["/console/app.css", /^text\/css/],
      ["/console/vendor/uPlot.min.css", /^text\/css/],
      ["/console/vendor/uPlot.iife.min.js", /^text\/javascript/],
    ] as const) {
      const res = await rawGet(path);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(res.type).toMatch(type);
    }
  });

  it("answers 404 for paths outside the directory and for paths that are not files", async () => {
    for (const path of [
      "/console/../package.json",
      "/console/%2e%2e/package.json",
      "/console/%2E%2E/%2e%2e/package.json",
      "/console/..%2fpackage.json",
      "/console/js/..%2F..%2F..%2F..%2Fpackage.json",
      "/console/js",
      "/console/js/",
      "/console/js/views",
      "/console/",
      "/console/js/nope.js",
      "/console/static.ts",
    ]) {
      const res = await rawGet(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body).not.toContain('"name": "pf-fleet"');
    }
  });
});
