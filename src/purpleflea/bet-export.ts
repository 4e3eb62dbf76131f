import { FleetError } from "../errors.js";
import { usdToMicros } from "../money.js";
import { parseCsv } from "./csv.js";
import { apiGameName } from "./game-names.js";
import type { ExportedBet } from "./types.js";

/**
 * GET /bets/export.csv → ExportedBet[]. Columns are found by header name, not position, so added or
 * reordered columns do not break reconciliation. Amounts are rounded to 2 dp by the server.
 */

const COLUMNS = [
  "bet_id",
  "game",
  "amount_usd",
  "amount_won_usd",
  "net_usd",
  "payout_multiplier",
  "won",
  "server_seed_hash",
  "client_seed",
  "nonce",
  "result_hash",
  "timestamp_utc",
] as const;

type Column = (typeof COLUMNS)[number];

export function parseBetExport(csv: string): ExportedBet[] {
  const [header, ...rows] = parseCsv(csv);
  if (!header) return [];
  const index = columnIndex(header);
  return rows.map((row, i) => {
    const line = i + 2;
    if (row.length !== header.length) {
      throw new FleetError(
        "INVALID_INPUT",
        `bet export line ${line} has ${row.length} fields, the header has ${header.length}`,
      );
    }
    const cell = (column: Column): string => row[index[column]] ?? "";
    return {
      betId: cell("bet_id"),
      game: apiGameName(cell("game")),
      amount: usdCell(cell("amount_usd"), "amount_usd", line),
      amountWon: usdCell(cell("amount_won_usd"), "amount_won_usd", line),
      net: usdCell(cell("net_usd"), "net_usd", line),
      payoutMultiplier: numberCell(cell("payout_multiplier"), "payout_multiplier", line),
      won: booleanCell(cell("won"), line),
      serverSeedHash: cell("server_seed_hash"),
      clientSeed: cell("client_seed"),
      nonce: integerCell(cell("nonce"), line),
      resultHash: cell("result_hash"),
      timestamp: cell("timestamp_utc"),
    };
  });
}

function columnIndex(header: string[]): Record<Column, number> {
  const names = header.map((h) => h.trim().toLowerCase());
  const index = {} as Record<Column, number>;
  const missing: string[] = [];
  for (const column of COLUMNS) {
    const at = names.indexOf(column);
    if (at === -1) missing.push(column);
    index[column] = at;
  }
  if (missing.length > 0) {
    throw new FleetError(
      "INVALID_INPUT",
      `bet export lacks the column(s) ${missing.join(", ")}; header: ${names.join(",")}`,
    );
  }
  return index;
}

function numberCell(text: string, column: string, line: number): number {
  const n = text.trim() === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(n)) {
    throw new FleetError("INVALID_INPUT", `bet export line ${line}: ${column} must be a number, got \`${text}\``);
  }
  return n;
}

function usdCell(text: string, column: string, line: number): number {
  return usdToMicros(numberCell(text, column, line));
}

function integerCell(text: string, line: number): number {
  const n = numberCell(text, "nonce", line);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new FleetError("INVALID_INPUT", `bet export line ${line}: nonce must be an integer ≥ 0, got \`${text}\``);
  }
  return n;
}

function booleanCell(text: string, line: number): boolean {
  const t = text.trim().toLowerCase();
  if (t === "true" || t === "1") return true;
  if (t === "false" || t === "0") return false;
  throw new FleetError("INVALID_INPUT", `bet export line ${line}: won must be true or false, got \`${text}\``);
}
