import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { getMcpConfigForManifest, type McpbManifestAny } from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BundleResult, buildBundle, mcpbCli } from "../../scripts/bundle.js";
import { assertDistIsFresh } from "./built.js";

/**
 * SLOW-ISH (about 10 s, no network): `npm run bundle` for real — pf-fleet-<version>.mcpb built with `mcpb pack`
 * from dist/ and the production dependencies of node_modules — then unpacked with `mcpb unpack` into an empty
 * temp folder and started the way a host starts a bundle: the command, args and env that the mcpb library's
 * `getMcpConfigForManifest` (Claude Desktop's code) derives from its manifest, in sandbox mode, over stdio
 * with the SDK's Client. The folder is outside the checkout, so nothing can be loaded from the repo.
 */
const work = mkdtempSync(join(tmpdir(), "pf-fleet-bundle-"));
const unpacked = join(work, "unpacked");
let bundle: BundleResult;
let files: string[];

beforeAll(() => {
  assertDistIsFresh();
  bundle = buildBundle({ outDir: join(work, "out"), stagingDir: join(work, "staging") });
  execFileSync(process.execPath, [mcpbCli(), "unpack", bundle.file, unpacked], { stdio: "ignore" });
  files = readdirSync(unpacked, { recursive: true })
    .map(String)
    .map((f) => f.split(sep).join("/"));
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("MCP Bundle (npm run bundle)", () => {
  it("is named pf-fleet-<version>.mcpb and its manifest passes `mcpb validate`", () => {
    const pkg = JSON.parse(readFileSync(join(unpacked, "package.json"), "utf8")) as { version: string };
    expect(bundle.file.endsWith(`pf-fleet-${pkg.version}.mcpb`)).toBe(true);
    const out = execFileSync(process.execPath, [mcpbCli(), "validate", join(unpacked, "manifest.json")], {
      encoding: "utf8",
    });
    expect(out).toContain("Manifest schema validation passes");
  });

  it("holds what runs: the server, its production dependencies and better-sqlite3's native build", () => {
    for (const f of ["manifest.json", "package.json", "README.md", "dist/src/cli.js", "dist/tools/index.js"]) {
      expect(files, f).toContain(f);
    }
    expect(files).toContain("node_modules/better-sqlite3/build/Release/better_sqlite3.node");
    expect(files).toContain("node_modules/@modelcontextprotocol/sdk/package.json");
  });

  it("holds nothing else: no bench, scripts, tests, TypeScript, source maps or dev dependencies", () => {
    const unwanted = files.filter(
      (f) =>
        /\.(map|ts|mts|cts)$/.test(f) ||
        /^(dist\/(bench|scripts|test)|test|bench|scripts|src|tools)(\/|$)/.test(f) ||
        /^node_modules\/(\.bin|vitest|typescript|@biomejs|@anthropic-ai|fast-check|bullmq)(\/|$)/.test(f) ||
        /^node_modules\/better-sqlite3\/(deps|src|build\/Release\/obj)/.test(f),
    );
    expect(unwanted).toEqual([]);
  });

  it("says it runs on this platform and Node major (better-sqlite3 is compiled for them)", () => {
    const manifest = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8")) as McpbManifestAny;
    const major = Number(process.versions.node.split(".")[0]);
    expect(manifest.compatibility?.platforms).toEqual([process.platform]);
    expect(manifest.compatibility?.runtimes?.node).toMatch(
      new RegExp(`^>=${major}\\.\\d+\\.\\d+ <${major + 1}\\.0\\.0$`),
    );
  });

  it("starts over stdio as a host starts it, in sandbox mode, and answers list_agents", {
    timeout: 60_000,
  }, async () => {
    const manifest = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8")) as McpbManifestAny;
    const dbPath = join(work, "fleet.db");
    const config = await getMcpConfigForManifest({
      manifest,
      extensionPath: unpacked,
      systemDirs: { HOME: work },
      userConfig: { db_path: dbPath },
      pathSeparator: sep,
    });
    expect(config?.command).toBe("node");
    expect(config?.args).toEqual([join(unpacked, "dist/src/cli.js")]);
    expect(config?.env).toMatchObject({ PF_MODE: "sandbox", PF_DB: dbPath });

    const transport = new StdioClientTransport({
      command: process.execPath, // the `node` the manifest names: the one running this test
      args: config?.args ?? [],
      env: { ...(config?.env ?? {}), HOME: work, LOG_LEVEL: "warn" },
      cwd: work,
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: "bundle-test", version: "1.0.0" });
    try {
      await client.connect(transport, { timeout: 30_000 });
      expect(client.getServerVersion()?.name).toBe("pf-fleet");
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["list_agents", "place_crash_batch"]));
      const result = (await client.callTool({ name: "list_agents", arguments: {} })) as CallToolResult;
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ agents: [] });
      // better-sqlite3 from the bundle opened the database the user chose
      expect(existsSync(dbPath)).toBe(true);
    } catch (err) {
      throw new Error(`${String(err)}\nserver stderr:\n${stderr}`);
    } finally {
      await client.close();
    }
  });
});
