import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPurpleFleaClient, type PurpleFleaClient } from "../../src/purpleflea/index.js";
import { INFO, json, type ScriptedServer, startScriptedServer } from "./scripted-server.js";

const KEY = `sk_live_${"fedcba9876543210".repeat(3)}`;

let server: ScriptedServer;
let client: PurpleFleaClient;

beforeAll(async () => {
  server = await startScriptedServer();
  client = createPurpleFleaClient({ urls: server.urls });
});
afterAll(async () => {
  await client.close();
  await server.close();
});
afterEach(() => {
  server.received.length = 0;
});

describe("escrow, domains, wallet", () => {
  it("escrow create sends USD and maps the funded escrow", async () => {
    server.script((_req, res) =>
      json(res, 201, {
        escrow_id: "esc_00112233aabbccdd",
        amount_usd: 0.3,
        commission_usd: 0.003,
        net_to_counterparty: 0.297,
        description: "write a poem",
        creator_id: "ag_aaaaaaaaaaaa",
        counterparty_id: "ag_bbbbbbbbbbbb",
        status: "funded",
        timeout_hours: 24,
        auto_release_at: "2025-01-02T00:00:00.000Z",
        next_steps: [],
        ...INFO,
      }),
    );
    const escrow = await client.escrow.create(KEY, {
      amount: 300_000,
      description: "write a poem",
      counterpartyAgentId: "ag_bbbbbbbbbbbb",
    });
    expect(JSON.parse(server.received[0]!.body)).toEqual({
      amount_usd: 0.3,
      description: "write a poem",
      counterparty_agent_id: "ag_bbbbbbbbbbbb",
    });
    expect(server.received[0]!.url).toBe("/escrow/create");
    expect(escrow).toMatchObject({
      escrowId: "esc_00112233aabbccdd",
      status: "funded",
      amount: 300_000,
      commission: 3_000,
      netToCounterparty: 297_000,
      createdAt: null,
      autoReleaseAt: "2025-01-02T00:00:00.000Z",
    });
  });

  it("escrow release uses the verb-first path and encodes the id", async () => {
    server.script((_req, res) =>
      json(res, 200, {
        escrow_id: "esc_1",
        status: "released",
        amount_released: 0.297,
        commission: 0.003,
        counterparty_id: "ag_b",
      }),
    );
    const release = await client.escrow.release(KEY, "esc_1");
    expect(server.received[0]!.url).toBe("/escrow/release/esc_1");
    expect(release).toEqual({
      escrowId: "esc_1",
      status: "released",
      amountReleased: 297_000,
      commission: 3_000,
      counterpartyId: "ag_b",
    });
    await client.escrow.release(KEY, "../auth/x").catch(() => undefined);
    expect(server.received[1]!.url).toBe("/escrow/release/..%2Fauth%2Fx");
  });

  it("domains registerDomain charges in micros", async () => {
    server.script((_req, res) =>
      json(res, 201, {
        domain_id: 17,
        domain: "pf-fleet-test.com",
        status: "active",
        expires_at: "2026-01-01T00:00:00.000Z",
        cost: { base_price_eur: 10, total_charged_usd: 12.96 },
        balance_usd: 7.04,
        transaction_id: "t1",
      }),
    );
    const reg = await client.domains.registerDomain("sk_domains_abc", "pf-fleet-test.com");
    expect(server.received[0]!.url).toBe("/v1/domains/register");
    expect(reg).toEqual({
      domainId: "17",
      domain: "pf-fleet-test.com",
      expiresAt: "2026-01-01T00:00:00.000Z",
      chargedUsd: 12_960_000,
      balance: 7_040_000,
    });
  });

  it("wallet reads an on-chain balance without auth", async () => {
    server.script((_req, res) =>
      json(res, 200, {
        address: "0xabc",
        chain: "base",
        balance: { native: { symbol: "ETH", amount: "0.0012", wei: "1200000000000000" } },
        explorer: "https://basescan.org/address/0xabc",
      }),
    );
    expect(await client.wallet.onChainBalance("0xabc", "base")).toEqual({
      address: "0xabc",
      chain: "base",
      symbol: "ETH",
      amount: "0.0012",
    });
    expect(server.received[0]!.url).toBe("/wallet-v1/wallet/balance/0xabc?chain=base");
    expect(server.received[0]!.headers.authorization).toBeUndefined();
  });
});
