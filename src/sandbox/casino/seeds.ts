import { randomBytes } from "node:crypto";
import { BETS_PER_SEED, seedHash } from "../../purpleflea/fairness.js";
import type { Db } from "../../storage/sqlite/connection.js";
import type { SandboxClock } from "../clock.js";

export interface ServerSeed {
  id: number;
  agent_id: string;
  seed: string;
  seed_hash: string;
  current_nonce: number;
  active: number;
  revealed_at: number | null;
  created_at: number;
}

/**
 * Per-agent server seeds: 32 random bytes as 64 hex chars, committed to by SHA-256 of that text. The nonce runs
 * from 0 per seed; the seed rotates (is revealed and replaced) after BETS_PER_SEED bets or on request.
 */
export class SeedStore {
  readonly #active;
  readonly #insert;
  readonly #setNonce;
  readonly #reveal;
  readonly #byHash;
  readonly #list;

  constructor(
    private readonly db: Db,
    private readonly clock: SandboxClock,
  ) {
    this.#active = db.prepare<[string], ServerSeed>(
      "SELECT * FROM sb_server_seeds WHERE agent_id = ? AND active = 1 ORDER BY id DESC LIMIT 1",
    );
    this.#insert = db.prepare(
      `INSERT INTO sb_server_seeds (agent_id, seed, seed_hash, current_nonce, active, created_at)
       VALUES (?, ?, ?, 0, 1, ?)`,
    );
    this.#setNonce = db.prepare("UPDATE sb_server_seeds SET current_nonce = ? WHERE id = ?");
    this.#reveal = db.prepare("UPDATE sb_server_seeds SET active = 0, revealed_at = ? WHERE id = ?");
    this.#byHash = db.prepare<[string], ServerSeed>("SELECT * FROM sb_server_seeds WHERE seed_hash = ?");
    this.#list = db.prepare<[string], ServerSeed>("SELECT * FROM sb_server_seeds WHERE agent_id = ? ORDER BY id");
  }

  /** The active seed, without creating one. */
  findActive(agentId: string): ServerSeed | undefined {
    return this.#active.get(agentId);
  }

  /** The active seed, created on first use. */
  active(agentId: string): ServerSeed {
    const existing = this.findActive(agentId);
    if (existing) return existing;
    this.#create(agentId);
    return this.findActive(agentId) as ServerSeed;
  }

  /** The nonce for the next bet on `seed`; rotates the seed once it has served BETS_PER_SEED bets. */
  takeNonce(seed: ServerSeed): number {
    const nonce = seed.current_nonce;
    this.#setNonce.run(nonce + 1, seed.id);
    if (nonce + 1 >= BETS_PER_SEED) this.rotate(seed);
    return nonce;
  }

  /** Reveals `seed` and puts a fresh one in its place. */
  rotate(seed: ServerSeed): void {
    this.db.transaction(() => {
      this.#reveal.run(this.clock.nowSeconds(), seed.id);
      this.#create(seed.agent_id);
    })();
  }

  byHash(hash: string): ServerSeed | undefined {
    return this.#byHash.get(hash);
  }

  list(agentId: string): ServerSeed[] {
    return this.#list.all(agentId);
  }

  #create(agentId: string): void {
    const seed = randomBytes(32).toString("hex");
    this.#insert.run(agentId, seed, seedHash(seed), this.clock.nowSeconds());
  }
}
