import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { RUNTIME_DIST_DIRS } from "../../scripts/bundle.js";
import { assertDistIsFresh, REPO } from "./built.js";

/**
 * The npm tarball holds only what runs: the compiled server, package.json, README and the host config example;
 * no benchmarks, scripts, tests or source maps (whose sources are not shipped). `npm pack --dry-run` lists the
 * files without writing a tarball; --ignore-scripts skips prepack's build (`npm test` has just built).
 */
let files: string[];
beforeAll(() => {
  assertDistIsFresh();
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: REPO,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  files = (JSON.parse(out) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
});

describe("npm pack", () => {
  it("ships the compiled server and its entry point", () => {
    expect(files).toContain("dist/src/cli.js");
    expect(files).toContain("package.json");
    expect(files).toContain("README.md");
    expect(files).toContain("mcp.json.example");
    // everything the build emits for the server is in it
    const built = RUNTIME_DIST_DIRS.flatMap((dir) =>
      readdirSync(join(REPO, "dist", dir), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".js"))
        .map((f) => `dist/${dir}/${f}`),
    );
    expect(built.filter((f) => !files.includes(f))).toEqual([]);
  });

  it("ships nothing else: no bench, scripts, tests or source maps", () => {
    // the console's page and the MCP App's view are static files beside the compiled code
    const allowed =
      /^(dist\/(src|tools|resources|scheduler|prompts)\/.+\.js|dist\/src\/(console|mcp\/apps)\/public\/.+\.(html|css)|package\.json|README\.md|mcp\.json\.example)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    expect(files.filter((f) => /\.map$|\.test\.|^dist\/(bench|scripts|test)\//.test(f))).toEqual([]);
  });
});
