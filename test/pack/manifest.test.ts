import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getMcpConfigForManifest, type McpbManifestAny } from "@anthropic-ai/mcpb";
import { beforeAll, describe, expect, it } from "vitest";
import { mcpbCli } from "../../scripts/bundle.js";
import { manifestPrompts, manifestTools, readServerSurface, type ServerSurface } from "../../scripts/server-surface.js";
import { loadConfig, SETTINGS } from "../../src/config.js";
import { REPO } from "./built.js";

/**
 * manifest.json, the MCP Bundle's manifest: valid for the mcpb CLI, listing exactly what the real server
 * offers, and mapping each install-time setting onto the environment variable pf-fleet reads — resolved by
 * the mcpb library's own `getMcpConfigForManifest`, the code Claude Desktop uses to start a bundle.
 */
const manifest = JSON.parse(readFileSync(join(REPO, "manifest.json"), "utf8")) as McpbManifestAny & {
  user_config: Record<string, { type: string; default?: unknown; sensitive?: boolean; required?: boolean }>;
};
const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };

/** mcpb's `${name}` placeholder, which the host replaces when it starts the bundle. */
function substitution(name: string): string {
  return `$\{${name}}`;
}

/** The environment a host starts the bundle with, for what the user typed into its settings form. */
async function hostEnv(userConfig: Record<string, string | number | boolean>): Promise<Record<string, string>> {
  const config = await getMcpConfigForManifest({
    manifest,
    extensionPath: "/opt/bundle",
    systemDirs: { HOME: "/home/u", DESKTOP: "/home/u/Desktop", DOCUMENTS: "/home/u/Documents" },
    userConfig,
    pathSeparator: "/",
  });
  if (!config) throw new Error("the host would not start the bundle: required user_config is missing");
  return config.env ?? {};
}

describe("manifest.json (MCP Bundle)", () => {
  it("passes `mcpb validate`", () => {
    const out = execFileSync(process.execPath, [mcpbCli(), "validate", join(REPO, "manifest.json")], {
      encoding: "utf8",
    });
    expect(out).toContain("Manifest schema validation passes");
  });

  it("has package.json's version and starts the built CLI with node", () => {
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.server.type).toBe("node");
    expect(manifest.server.entry_point).toBe("dist/src/cli.js");
    expect(manifest.server.mcp_config.command).toBe("node");
    expect(manifest.server.mcp_config.args).toEqual([`${substitution("__dirname")}/dist/src/cli.js`]);
  });

  describe("lists what the server offers (npm run manifest:sync rewrites the lists)", () => {
    let surface: ServerSurface;
    beforeAll(async () => {
      surface = await readServerSurface();
    });

    it("every tool of every toolset, with the first sentence of its description", () => {
      expect(manifest.tools).toEqual(manifestTools(surface.tools));
      expect(manifest.tools?.map((t) => t.name)).toContain("place_crash_batch");
    });

    it("every prompt, with its arguments", () => {
      expect(manifest.prompts).toEqual(manifestPrompts(surface.prompts));
      expect(manifest.prompts?.map((p) => p.name)).toContain("run_small_strategy");
    });
  });

  it("maps every user_config entry onto a pf-fleet setting, and every mapped variable is one", () => {
    const env = manifest.server.mcp_config.env ?? {};
    const known = new Set(SETTINGS.map((s) => s.env));
    for (const name of Object.keys(env)) expect(known, `${name} is not in SETTINGS`).toContain(name);
    const mapped = Object.values(env).map((v) => /^\$\{user_config\.(\w+)\}$/.exec(v)?.[1]);
    expect(mapped.sort()).toEqual(Object.keys(manifest.user_config).sort());
    // an unset entry without a default would reach pf-fleet as the literal text `${user_config.x}`
    for (const [key, entry] of Object.entries(manifest.user_config)) {
      expect(entry.default, `user_config.${key} needs a default`).toBeDefined();
    }
  });

  it("keeps the live key a secret of the host: sensitive, optional, ignored in sandbox mode", () => {
    expect(manifest.user_config.api_key).toMatchObject({ type: "string", sensitive: true, required: false });
    expect(manifest.server.mcp_config.env?.PF_API_KEY).toBe(substitution("user_config.api_key"));
  });

  it("as installed (defaults only), starts in sandbox mode with pf-fleet's own defaults", async () => {
    const env = await hostEnv({});
    expect(env).toMatchObject({ PF_MODE: "sandbox", PF_API_KEY: "", PF_DB: "", PF_READ_ONLY: "false" });
    const fromBundle = loadConfig(env);
    const plain = loadConfig({});
    expect(fromBundle.mode).toBe("sandbox");
    expect(fromBundle.apiKey).toBeUndefined();
    expect(fromBundle.dbPath).toBe(plain.dbPath);
    expect(fromBundle.limits).toEqual(plain.limits);
    expect(fromBundle.toolsets).toEqual(plain.toolsets);
    expect(fromBundle.readOnly).toBe(false);
  });

  it("passes what the user sets (live mode, key, database, limits) to pf-fleet's configuration", async () => {
    const env = await hostEnv({
      mode: "live",
      api_key: "sk_live_0123456789abcdef0123456789abcdef",
      db_path: "/home/u/pf-live.db",
      max_bet_usd: 0.5,
      max_batch_usd: 5,
      daily_loss_limit_usd: 2,
      fleet_daily_loss_limit_usd: 4,
      toolsets: "casino,escrow",
      read_only: true,
    });
    const config = loadConfig(env);
    expect(config).toMatchObject({
      mode: "live",
      apiKey: "sk_live_0123456789abcdef0123456789abcdef",
      dbPath: "/home/u/pf-live.db",
      readOnly: true,
    });
    expect(config.toolsets).toEqual(expect.arrayContaining(["fleet", "casino", "escrow"]));
    expect(config.limits).toMatchObject({
      maxBet: 500_000,
      maxBatch: 5_000_000,
      dailyLossLimit: 2_000_000,
      fleetDailyLossLimit: 4_000_000,
    });
  });

  it("offers pf-fleet's defaults for the risk limits", () => {
    const defaults = Object.fromEntries(SETTINGS.map((s) => [s.env, s.default]));
    const uc = manifest.user_config;
    expect(String(uc.max_bet_usd?.default)).toBe(defaults.PF_MAX_BET_USD);
    expect(String(uc.max_batch_usd?.default)).toBe(defaults.PF_MAX_BATCH_USD);
    expect(String(uc.daily_loss_limit_usd?.default)).toBe(defaults.PF_DAILY_LOSS_LIMIT_USD);
    expect(String(uc.fleet_daily_loss_limit_usd?.default)).toBe(defaults.PF_FLEET_DAILY_LOSS_LIMIT_USD);
    expect(uc.mode?.default).toBe(defaults.PF_MODE);
  });
});
