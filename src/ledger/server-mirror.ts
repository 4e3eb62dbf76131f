import type { Micros } from "../money.js";
import type { LedgerEntry } from "../purpleflea/types.js";
import type { Executor, Storage } from "../storage/types.js";
import { signedAmount } from "./classify.js";
import { parseServerTime } from "./import.js";
import type { ServerRow } from "./types.js";

/**
 * The server ledger mirror: every row of an agent's `GET /auth/ledger` pf-fleet has seen, kept until no reader can
 * need it any more (src/ledger/mirror-retention.ts, PF_MIRROR_RETENTION_DAYS).
 * The server shows only the newest 50 rows (purpleflea-api.md §12) and a busy agent writes 1–2 per bet, so an
 * escrow lock or a referral credit leaves the window within seconds. Reading the window often (after every bet
 * call, src/ledger/ledger-sync.ts) and keeping what it showed lets reconciliation and the ledger refresh look
 * further back than the server does.
 *
 * Rows carry the balance after them, so the mirror knows when it missed some: a read that does not reach back
 * to the last row already held left rows unseen between the two, and the balance they moved is exactly
 * `balance before the oldest new row − balance after the last held row`. That difference is kept on the first
 * new row (`gapBefore`) as the evidence a reconciliation report shows.
 */

/**
 * The mark an opening balance leaves in the mirror (src/jobs/tasks/opening-balance.ts): rows appended before it
 * are inside the opening balance, rows after it are not. The balance is read from the same ledger read, so the
 * split is exact even for rows of the same second (a whole-second time could not tell them apart).
 */
export const OPENING_ROW_ID = "opening";

/** What `GET /auth/ledger` returns at most: fewer rows means the agent's whole ledger. */
export const SERVER_LEDGER_WINDOW = 50;
/** Rounding each row's float to micro-dollars can put a chain link this far off. */
const CHAIN_TOLERANCE: Micros = 3;

export interface MirrorAppend {
  /** rows of this read that the mirror did not hold, oldest first */
  appended: ServerRow[];
  /** the balance moved by rows never seen before this read (null: none were missed) */
  gap: Micros | null;
}

/**
 * One read's rows oldest first. The server orders by whole-second time and leaves rows of one second in no
 * defined order; inside a second the balances put them in order (each row's balance before it is the previous
 * row's balance after). Where the chain cannot be followed (an unknown row type), the rest keeps id order.
 */
export function chainOrder(entries: readonly LedgerEntry[]): LedgerEntry[] {
  const timed = entries.map((entry) => ({ entry, at: timeOf(entry) }));
  timed.sort((a, b) => a.at - b.at || a.entry.id.localeCompare(b.entry.id));
  const out: LedgerEntry[] = [];
  for (let i = 0; i < timed.length; ) {
    let j = i;
    while (j < timed.length && (timed[j] as { at: number }).at === (timed[i] as { at: number }).at) j++;
    out.push(
      ...orderSecond(
        timed.slice(i, j).map((t) => t.entry),
        out.at(-1),
      ),
    );
    i = j;
  }
  return out;
}

function orderSecond(rows: LedgerEntry[], previous: LedgerEntry | undefined): LedgerEntry[] {
  if (rows.length < 2) return rows;
  const left = [...rows];
  const ordered: LedgerEntry[] = [];
  let after = previous?.balanceAfter;
  if (after === undefined) {
    // the first second of a read: its chain starts at the row no other row of that second leads into
    const start = left.find((r) => !left.some((o) => o !== r && links(o.balanceAfter, r)));
    after = start === undefined ? undefined : (balanceBefore(start) ?? undefined);
  }
  while (left.length > 0) {
    const at = after;
    const next = at === undefined ? -1 : left.findIndex((r) => links(at, r));
    if (next === -1) return [...ordered, ...left];
    const [row] = left.splice(next, 1) as [LedgerEntry];
    ordered.push(row);
    after = row.balanceAfter;
  }
  return ordered;
}

function links(balanceAfterPrevious: Micros, row: LedgerEntry): boolean {
  const before = balanceBefore(row);
  return before !== null && Math.abs(before - balanceAfterPrevious) <= CHAIN_TOLERANCE;
}

function balanceBefore(row: Pick<LedgerEntry, "type" | "amount" | "balanceAfter">): Micros | null {
  const signed = signedAmount(row);
  return signed === null ? null : row.balanceAfter - signed;
}

function timeOf(entry: LedgerEntry): number {
  try {
    return parseServerTime(entry.at, "at");
  } catch {
    return Number.MAX_SAFE_INTEGER;
  }
}

/**
 * Appends one read to the agent's mirror in one atomic unit (writers of one agent are serialised by
 * `mirrorHead`). Rows already held are skipped. The rows after the head continue it; a read that does not reach
 * back to the head (and is not the agent's whole ledger) records the balance of the rows missed in between. A read
 * older than the head (a sync that read before another one but committed after it) only fills in rows behind it.
 */
export async function appendToMirror(
  tx: Pick<Executor, "ledger">,
  agentId: string,
  entries: readonly LedgerEntry[],
  now: number,
): Promise<MirrorAppend> {
  const ordered = chainOrder(entries.filter((e) => e.id !== ""));
  const { head, lastSeq } = await tx.ledger.mirrorHead(agentId);
  const held = await tx.ledger.serverRowIds(
    agentId,
    ordered.map((e) => e.id),
  );
  const { behind, ahead } = splitAtHead(ordered, head, held);
  const freshAhead = ahead.filter((e) => !held.has(e.id));
  const freshBehind = behind.filter((e) => !held.has(e.id));
  if (freshAhead.length + freshBehind.length === 0) return { appended: [], gap: null };

  // Rows were missed only when the read continues past the head without reaching back to it.
  const reachesBack = head === undefined || held.has(head.entryId) || entries.length < SERVER_LEDGER_WINDOW;
  const before = freshAhead[0] === undefined ? null : balanceBefore(freshAhead[0]);
  const gap =
    reachesBack || head === undefined || before === null || Math.abs(before - head.balanceAfter) <= CHAIN_TOLERANCE
      ? null
      : before - head.balanceAfter;

  let seq = lastSeq;
  const row = (e: LedgerEntry, behindHead: boolean, gapBefore: Micros | null): ServerRow => ({
    agentId,
    entryId: e.id,
    seq: ++seq,
    type: e.type,
    amount: Math.abs(e.amount),
    balanceAfter: e.balanceAfter,
    reason: e.reason,
    reference: e.reference,
    service: e.service,
    at: timeOf(e),
    gapBefore,
    behindHead,
    seenAt: now,
  });
  const rows = [
    ...freshBehind.map((e) => row(e, true, null)),
    ...freshAhead.map((e, i) => row(e, false, i === 0 ? gap : null)),
  ];
  await tx.ledger.appendServerRows(rows);
  return { appended: rows, gap };
}

/**
 * A read's rows behind the head (at or before it) and ahead of it. A read holding the head splits there; one that
 * holds other rows of the mirror but not the head is older than the head (the window only moves forward); one
 * that holds nothing is ahead of the head unless all of it is older.
 */
function splitAtHead(
  ordered: LedgerEntry[],
  head: ServerRow | undefined,
  held: ReadonlySet<string>,
): { behind: LedgerEntry[]; ahead: LedgerEntry[] } {
  if (head === undefined) return { behind: [], ahead: ordered };
  const at = ordered.findIndex((e) => e.id === head.entryId);
  if (at !== -1) return { behind: ordered.slice(0, at), ahead: ordered.slice(at + 1) };
  const newest = ordered.at(-1);
  if (held.size > 0 || (newest !== undefined && timeOf(newest) < head.at)) return { behind: ordered, ahead: [] };
  return { behind: [], ahead: ordered };
}

/**
 * Whether the mirror saw every row of the agent at or after `from` (server ms): no row from then on follows
 * unseen rows, and the mirror reaches back before `from` (or the last read held the whole ledger).
 */
export async function mirrorCovers(
  storage: Pick<Storage, "ledger">,
  agentId: string,
  from: number,
  wholeLedgerRead: boolean,
): Promise<boolean> {
  const gaps = await storage.ledger.serverRows({ agentId, sinceAt: from, gapsOnly: true });
  if (gaps.length > 0) return false;
  if (wholeLedgerRead) return true;
  return (await storage.ledger.serverRows({ agentId, beforeAt: from, limit: 1 })).length > 0;
}

/** The opening mark as a mirror row, after the rows of the read the opening balance was taken from. */
export function openingMark(
  agentId: string,
  balance: Micros,
  serverAt: number,
  afterSeq: number,
  now: number,
): ServerRow {
  return {
    agentId,
    entryId: OPENING_ROW_ID,
    seq: afterSeq + 1,
    type: "opening",
    amount: 0,
    balanceAfter: balance,
    reason: "opening balance: rows before this are inside it",
    reference: null,
    service: "pf-fleet",
    at: serverAt,
    gapBefore: null,
    behindHead: false,
    seenAt: now,
  };
}

/**
 * Of `entryIds`, those inside the agent's opening balance (held before its opening mark); undefined when the
 * agent has no mark (it joined before the mirror existed: only the time of its opening balance can tell).
 */
export async function heldAtOpening(
  tx: Pick<Executor, "ledger">,
  agentId: string,
  entryIds: readonly string[],
): Promise<Set<string> | undefined> {
  const rows = await tx.ledger.serverRows({ agentId, entryIds: [OPENING_ROW_ID, ...entryIds] });
  const mark = rows.find((r) => r.entryId === OPENING_ROW_ID);
  if (!mark) return undefined;
  return new Set(rows.filter((r) => r.seq < mark.seq).map((r) => r.entryId));
}
