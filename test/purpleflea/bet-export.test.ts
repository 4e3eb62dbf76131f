import { describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import { parseBetExport, parseCsv } from "../../src/purpleflea/index.js";

const HEADER =
  "bet_id,game,amount_usd,amount_won_usd,net_usd,payout_multiplier,won,server_seed_hash,client_seed,nonce,result_hash,timestamp_utc";

describe("parseCsv", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks, over CRLF", () => {
    expect(parseCsv('a,b,c\r\n"x, y","say ""hi""","two\r\nlines"\r\n,,\r\n')).toEqual([
      ["a", "b", "c"],
      ["x, y", 'say "hi"', "two\r\nlines"],
      ["", "", ""],
    ]);
  });

  it("skips blank lines and a byte-order mark", () => {
    expect(parseCsv("\uFEFFa\n\nb\n")).toEqual([["a"], ["b"]]);
  });

  it("rejects an unterminated quote", () => {
    expect(() => parseCsv('a,"b\n')).toThrow(FleetError);
  });
});

describe("parseBetExport", () => {
  it("maps a production row: game names, micro-USD amounts, booleans, nonce", () => {
    const csv = `${HEADER}\r\nbet_1,coin_flip,0.03,0.06,0.03,1.99,true,aa,job-7:0,12,bb,2025-01-01T00:00:05.000Z`;
    expect(parseBetExport(csv)).toEqual([
      {
        betId: "bet_1",
        game: "coin-flip",
        amount: 30_000,
        amountWon: 60_000,
        net: 30_000,
        payoutMultiplier: 1.99,
        won: true,
        serverSeedHash: "aa",
        clientSeed: "job-7:0",
        nonce: 12,
        resultHash: "bb",
        timestamp: "2025-01-01T00:00:05.000Z",
      },
    ]);
  });

  it("finds columns by name, so reordered and extra columns still parse", () => {
    const csv = [
      "timestamp_utc,client_seed,extra,nonce,won,game,bet_id,amount_usd,amount_won_usd,net_usd,payout_multiplier,server_seed_hash,result_hash",
      '2025-01-01T00:00:05.000Z,"seed,with ""comma""",x,3,false,dice,bet_2,1.00,0.00,-1.00,1.99,h,r',
    ].join("\n");
    expect(parseBetExport(csv)[0]).toMatchObject({
      betId: "bet_2",
      game: "dice",
      clientSeed: 'seed,with "comma"',
      nonce: 3,
      won: false,
      net: -1_000_000,
    });
  });

  it("returns nothing for a header-only export", () => {
    expect(parseBetExport(`${HEADER}\r\n`)).toEqual([]);
  });

  it("names missing columns and malformed cells", () => {
    expect(() => parseBetExport("bet_id,game\nbet_1,dice")).toThrow(/client_seed/);
    expect(() => parseBetExport(`${HEADER}\nbet_1,dice,abc,0,0,1.99,true,h,s,1,r,2025-01-01T00:00:00.000Z`)).toThrow(
      /line 2: amount_usd must be a number, got `abc`/,
    );
    expect(() => parseBetExport(`${HEADER}\nbet_1,dice`)).toThrow(/2 fields, the header has 12/);
  });
});
