/**
 * This process's egress: the public IP its calls leave from, by name (`PF_EGRESS_ID`). The real API limits calls
 * per agent (global: every process draws on one bucket) and per IP (local: each egress has its own bucket). A
 * claim marked `perEgress` is drawn under this egress's own key, so N machines with N IPs get N budgets.
 *
 * When this egress's budget is spent, a job is left where it is for a process on another egress to take, instead
 * of being put off for everyone; this process remembers until when its own budget is spent and does not ask the
 * database again before then.
 */
import type { RateLimitClaim } from "./types.js";

export class Egress {
  readonly id: string;
  /** this egress's spent keys, until when */
  readonly #spent = new Map<string, number>();

  constructor(id: string) {
    this.id = id;
  }

  /** the claims as this process draws them: per-IP ones under this egress's own key */
  localize(claims: readonly RateLimitClaim[]): RateLimitClaim[] {
    return claims.map((c) => (c.perEgress ? { ...c, key: `${c.key}@egress:${this.id}` } : c));
  }

  isLocal(key: string): boolean {
    return key.endsWith(`@egress:${this.id}`);
  }

  /** `key` (a local one) admits nothing more before `until` */
  spend(key: string, until: number): void {
    this.#spent.set(key, Math.max(until, this.#spent.get(key) ?? 0));
  }

  /** the first of `claims` (localized) this egress has spent at `now`, and for how long, without asking the database */
  spentFor(claims: readonly RateLimitClaim[], now: number): { key: string; waitMs: number } | undefined {
    for (const { key } of claims) {
      const until = this.#spent.get(key);
      if (until === undefined) continue;
      if (until > now) return { key, waitMs: until - now };
      this.#spent.delete(key);
    }
    return undefined;
  }

  /** when the earliest spent key admits again; undefined when none is spent */
  nextFreeAt(now: number): number | undefined {
    let next: number | undefined;
    for (const [key, until] of this.#spent) {
      if (until <= now) this.#spent.delete(key);
      else if (next === undefined || until < next) next = until;
    }
    return next;
  }
}
