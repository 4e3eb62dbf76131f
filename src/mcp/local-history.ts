import { FleetError } from "../errors.js";
import { listBets, listMovements } from "../ledger/index.js";
import { microsToUsd } from "../money.js";
import type { Executor } from "../storage/types.js";

/**
 * One page of an agent's local ledger, bets and movements merged newest first. The cursor holds how far each
 * of the two lists has been read; rows recorded while paging shift later pages (the first page is always
 * current), which is acceptable for an audit view and keeps the cursor tiny.
 */

export interface LocalRow {
  kind: string;
  reference: string;
  amount_usd: number;
  detail: string;
  job_id: string | null;
  at: string;
}

interface Position {
  bets: number;
  movements: number;
}

export async function localHistoryPage(
  x: Pick<Executor, "ledger">,
  agentId: string,
  limit: number,
  cursor?: string,
): Promise<{ rows: LocalRow[]; nextCursor: string | null }> {
  const pos = cursor ? decodeCursor(cursor) : { bets: 0, movements: 0 };
  const [bets, movements] = await Promise.all([
    listBets(x, { agentIds: [agentId], order: "desc", limit: limit + 1, offset: pos.bets }),
    listMovements(x, { agentIds: [agentId], order: "desc", limit: limit + 1, offset: pos.movements }),
  ]);
  const rows: Array<LocalRow & { ms: number; from: "bets" | "movements" }> = [
    ...bets.map((b) => ({
      kind: "bet",
      reference: b.clientSeed,
      amount_usd: microsToUsd(b.net),
      detail: `${b.game} ${b.won ? "won" : "lost"}: stake ${microsToUsd(b.stake)} × ${b.payoutMultiplier} (bet ${b.betId})`,
      job_id: b.jobId,
      at: new Date(b.placedAt).toISOString(),
      ms: b.placedAt,
      from: "bets" as const,
    })),
    ...movements.map((m) => ({
      kind: m.kind,
      reference: m.reference,
      amount_usd: microsToUsd(m.amount),
      detail: m.description ?? m.kind,
      job_id: m.jobId ?? null,
      at: new Date(m.at).toISOString(),
      ms: m.at,
      from: "movements" as const,
    })),
  ].sort((a, b) => b.ms - a.ms);
  const page = rows.slice(0, limit);
  const next: Position = {
    bets: pos.bets + page.filter((r) => r.from === "bets").length,
    movements: pos.movements + page.filter((r) => r.from === "movements").length,
  };
  return {
    rows: page.map(({ ms: _ms, from: _from, ...row }) => row),
    nextCursor: rows.length > limit ? encodeCursor(next) : null,
  };
}

function encodeCursor(p: Position): string {
  return Buffer.from(`${p.bets}.${p.movements}`).toString("base64url");
}

function decodeCursor(cursor: string): Position {
  const [bets, movements] = Buffer.from(cursor, "base64url").toString("utf8").split(".").map(Number);
  if (
    !Number.isSafeInteger(bets) ||
    !Number.isSafeInteger(movements) ||
    (bets as number) < 0 ||
    (movements as number) < 0
  ) {
    throw new FleetError("INVALID_INPUT", `cursor must be a next_cursor from transaction_history, got \`${cursor}\``);
  }
  return { bets: bets as number, movements: movements as number };
}
