import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, describe, expect, it } from "vitest";

/**
 * What a user of the published package does: `npm pack`, then `npx ./pf-fleet-*.tgz` from an empty folder.
 * npx installs the tarball's dependencies (better-sqlite3 compiles from source on Node 20, a few minutes), so
 * this runs when PF_PACK_TEST=1 (CI sets it) and is skipped otherwise.
 */
const enabled = process.env.PF_PACK_TEST === "1";
const repo = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "pf-fleet-pack-"));

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.runIf(enabled)("npm pack → npx", () => {
  it("starts from the tarball and answers tools/list over stdio", { timeout: 900_000 }, async () => {
    const emptyDir = mkdtempSync(join(work, "user-"));
    execFileSync("npm", ["pack", "--pack-destination", emptyDir], {
      cwd: repo,
      stdio: ["ignore", "ignore", "inherit"],
    });
    const tarball = readdirSync(emptyDir).find((f) => f.endsWith(".tgz"));
    expect(tarball).toMatch(/^pf-fleet-\d+\.\d+\.\d+\.tgz$/);

    // exactly what a user types: npx ./pf-fleet-<version>.tgz (an absolute path would be run as a command)
    const transport = new StdioClientTransport({
      command: "npx",
      args: ["--yes", `./${tarball}`],
      cwd: emptyDir,
      env: {
        ...(process.env as Record<string, string>),
        // a cache of its own: an earlier install of the same tarball name must not stand in for this one
        npm_config_cache: join(work, "npm-cache"),
        PF_DB: join(emptyDir, "fleet.db"),
        // every toolset, so the list shows the whole package (escrow is outside the default set)
        PF_TOOLSETS: "all",
        LOG_LEVEL: "warn",
      },
      stderr: "inherit",
    });
    const client = new Client({ name: "pack-test", version: "1.0.0" });
    await client.connect(transport, { timeout: 840_000 });
    try {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      expect(names).toContain("place_crash_batch");
      expect(names).toContain("create_escrow_chain");
      expect(names.length).toBeGreaterThanOrEqual(29);
    } finally {
      await client.close();
    }
  });
});
