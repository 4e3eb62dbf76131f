import { describe, expect, it } from "vitest";
import { loadConfig, PRODUCTION_URLS, SETTINGS } from "../../src/config.js";

describe("configuration", () => {
  it("defaults to sandbox mode, production URLs and conservative limits", () => {
    const c = loadConfig({}, []);
    expect(c.mode).toBe("sandbox");
    expect(c.urls).toEqual(PRODUCTION_URLS);
    expect(c.limits.maxBet).toBe(1_000_000);
    expect(c.concurrency).toEqual({ casino: 8, escrow: 2, wallet: 2, analytics: 2, default: 2 });
    expect(c.dbPath).toMatch(/\.pf-fleet[/\\]pf-fleet\.db$/);
    expect(c.mirrorRetentionMs).toBe(30 * 86_400_000);
    expect(loadConfig({}, ["--mirror-retention-days", "7"]).mirrorRetentionMs).toBe(7 * 86_400_000);
  });

  it("reads every documented variable, and flags override the environment", () => {
    const c = loadConfig(
      {
        PF_MODE: "live",
        PF_CASINO_URL: "https://staging.example.test/api/v1/",
        PF_MAX_BET_USD: "0.5",
        PF_CONCURRENCY: "casino=16,escrow=1",
      },
      ["--max-bet-usd", "0.25", "--db=/tmp/x.db"],
    );
    expect(c.mode).toBe("live");
    expect(c.urls.casino).toBe("https://staging.example.test/api/v1");
    expect(c.limits.maxBet).toBe(250_000);
    expect(c.dbPath).toBe("/tmp/x.db");
    expect(c.concurrency.casino).toBe(16);
    expect(c.concurrency.escrow).toBe(1);
  });

  it("names the bad value and the expectation", () => {
    expect(() => loadConfig({ PF_MODE: "prod" })).toThrow("PF_MODE must be `sandbox` or `live`, got `prod`");
    expect(() => loadConfig({ PF_MAX_BET_USD: "-3" })).toThrow("PF_MAX_BET_USD must be a number > 0, got `-3`");
    expect(() => loadConfig({ PF_CONCURRENCY: "gpu=4" })).toThrow(/got `gpu=4`/);
    expect(() => loadConfig({}, ["--db"])).toThrow("--db needs a value");
    expect(() => loadConfig({ PF_MIRROR_RETENTION_DAYS: "0" })).toThrow(
      "PF_MIRROR_RETENTION_DAYS must be a number > 0, got `0`",
    );
  });

  it("reads the fleet settings: worker on unless --no-worker, an egress id, a shared sandbox's origin", () => {
    expect(loadConfig({})).toMatchObject({ worker: true, sandboxUrl: undefined });
    expect(loadConfig({}).egressId.length).toBeGreaterThan(0);
    expect(loadConfig({}, ["--no-worker"]).worker).toBe(false);
    expect(loadConfig({ PF_WORKER: "false" }).worker).toBe(false);
    expect(loadConfig({ PF_EGRESS_ID: "edge-2" }).egressId).toBe("edge-2");
    expect(loadConfig({ PF_SANDBOX_URL: "http://10.0.0.1:7000/api/v1" }).sandboxUrl).toBe("http://10.0.0.1:7000");
    expect(() => loadConfig({ PF_WORKER: "maybe" })).toThrow("PF_WORKER must be true or false, got `maybe`");
    expect(() => loadConfig({ PF_SANDBOX_URL: "http://10.0.0.1" })).toThrow(/http\(s\):\/\/host:port/);
    expect(() => loadConfig({ PF_EGRESS_ID: "a b" })).toThrow(/PF_EGRESS_ID/);
  });

  it("documents each setting with a flag", () => {
    for (const s of SETTINGS) expect(s.flag).toMatch(/^--[a-z-]+$/);
    expect(new Set(SETTINGS.map((s) => s.env)).size).toBe(SETTINGS.length);
  });
});
