import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createPurpleFleaClient,
  EXPORT_ROW_LIMIT,
  findBetsByClientSeed,
  findLedgerByReference,
  type PurpleFleaClient,
  searchLedgerByReference,
} from "../../src/purpleflea/index.js";
import { json, type ScriptedServer, startScriptedServer, text } from "./scripted-server.js";

const KEY = `sk_live_${"00ff".repeat(12)}`;
const HEADER =
  "bet_id,game,amount_usd,amount_won_usd,net_usd,payout_multiplier,won,server_seed_hash,client_seed,nonce,result_hash,timestamp_utc";

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

function row(betId: string, clientSeed: string, nonce: number, timestamp: string): string {
  return `${betId},coin_flip,0.01,0.00,-0.01,1.99,false,h,${clientSeed},${nonce},r,${timestamp}`;
}

function query(url: string): URLSearchParams {
  return new URL(url, "http://x").searchParams;
}

describe("findBetsByClientSeed", () => {
  it("answers many seeds with one export call over a window widened for clock skew", async () => {
    server.script((_req, res) =>
      text(
        res,
        200,
        "text/csv",
        [
          HEADER,
          row("bet_2", "job:1", 1, "2025-01-01T00:00:02.000Z"),
          row("bet_1", "job:0", 0, "2025-01-01T00:00:01.000Z"),
          row("bet_0", "other", 5, "2025-01-01T00:00:00.000Z"),
        ].join("\r\n"),
      ),
    );
    const found = await findBetsByClientSeed(client.casino, KEY, ["job:0", "job:1", "job:2"], {
      since: new Date("2025-01-01T00:10:00.000Z"),
      until: new Date("2025-01-01T00:20:00.000Z"),
      game: "coin-flip",
    });
    expect([...found.keys()].sort()).toEqual(["job:0", "job:1"]);
    expect(found.get("job:1")).toMatchObject({ betId: "bet_2", nonce: 1, game: "coin-flip" });
    expect(server.received).toHaveLength(1);
    const q = query(server.received[0]!.url);
    expect(q.get("since")).toBe("2025-01-01T00:05:00.000Z");
    expect(q.get("until")).toBe("2025-01-01T00:25:00.000Z");
    expect(q.get("game")).toBe("coin_flip");
  });

  it("returns the first-placed bet when one seed was used twice", async () => {
    server.script((_req, res) =>
      text(
        res,
        200,
        "text/csv",
        [
          HEADER,
          row("bet_late", "dup", 9, "2025-01-01T00:00:09.000Z"),
          row("bet_early", "dup", 2, "2025-01-01T00:00:02.000Z"),
        ].join("\n"),
      ),
    );
    const found = await findBetsByClientSeed(client.casino, KEY, ["dup"], { since: new Date("2025-01-01T00:00:00Z") });
    expect(found.get("dup")?.betId).toBe("bet_early");
  });

  it("pages backwards in time when the export comes back full", async () => {
    const full = [HEADER];
    for (let i = 0; i < EXPORT_ROW_LIMIT; i++)
      full.push(row(`bet_new_${i}`, `noise-${i}`, i, "2025-01-01T01:00:00.000Z"));
    server.script((req, res) => {
      const until = query(req.url).get("until");
      if (until === null) text(res, 200, "text/csv", full.join("\n"));
      else text(res, 200, "text/csv", [HEADER, row("bet_old", "wanted", 3, "2025-01-01T00:30:00.000Z")].join("\n"));
    });
    const found = await findBetsByClientSeed(client.casino, KEY, ["wanted"], {
      since: new Date("2025-01-01T00:00:00Z"),
    });
    expect(found.get("wanted")?.betId).toBe("bet_old");
    expect(server.received).toHaveLength(2);
    expect(query(server.received[1]!.url).get("until")).toBe("2025-01-01T01:00:00.000Z");
  });

  it("refuses to guess when one second holds more than a page", async () => {
    const full = [HEADER];
    for (let i = 0; i < EXPORT_ROW_LIMIT; i++) full.push(row(`bet_${i}`, `noise-${i}`, i, "2025-01-01T01:00:00.000Z"));
    server.script((_req, res) => text(res, 200, "text/csv", full.join("\n")));
    const err = await findBetsByClientSeed(client.casino, KEY, ["wanted"], {
      since: new Date("2025-01-01T00:00:00Z"),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "LIMIT_EXCEEDED" });
  });

  it("rejects an invalid window without calling the server", async () => {
    const err = await findBetsByClientSeed(client.casino, KEY, ["s"], { since: new Date("nope") }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "INVALID_INPUT" });
    expect(server.received).toHaveLength(0);
  });
});

describe("findLedgerByReference", () => {
  const entry = (id: string, reason: string, reference: string | null) => ({
    id,
    agentId: "ag_0123456789ab",
    type: "debit",
    amount: 0.3,
    balanceAfter: 0.7,
    reason,
    reference,
    service: "escrow",
    createdAt: 1_735_689_600,
  });

  it("finds an escrow's lock and release rows, and faucet rows named in the reason", async () => {
    server.script((_req, res) =>
      json(res, 200, {
        entries: [
          entry("esc_aaaa000011112222_debit", "escrow_lock", "esc_aaaa000011112222"),
          entry("77", "escrow_refund", "esc_aaaa000011112222"),
          entry("esc_aaaa0000111122220_debit", "escrow_lock", "esc_aaaa0000111122220"),
          entry("78", "faucet_claim:claim-1", null),
          entry("79", "bet", "bet_1"),
        ],
      }),
    );
    const escrowRows = await findLedgerByReference(client.casino, KEY, "esc_aaaa000011112222");
    expect(escrowRows.map((e) => e.id)).toEqual(["esc_aaaa000011112222_debit", "77"]);
    const faucetRows = await searchLedgerByReference(client.casino, KEY, "claim-1");
    expect(faucetRows).toMatchObject({ exhaustive: true, entries: [{ id: "78" }] });
  });

  it("says an absence is not conclusive when the 50-row window is full", async () => {
    server.script((_req, res) =>
      json(res, 200, { entries: Array.from({ length: 50 }, (_, i) => entry(String(i), "bet", `bet_${i}`)) }),
    );
    expect(await searchLedgerByReference(client.casino, KEY, "esc_missing")).toEqual({
      entries: [],
      exhaustive: false,
    });
  });
});
