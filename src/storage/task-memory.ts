/**
 * What the tasks remember beyond job rows (which are pruned) and the ledger (which holds money only): which chord
 * a batch job submitted, which agents have used their one faucet claim, and the server seeds the casino has
 * revealed. Writers also run through a money job's `ReceiptWriter`, so they commit with the job's success.
 */

/** claimed (by pf-fleet), already_claimed (before or elsewhere), has_deposits (never eligible) */
export type FaucetOutcome = "claimed" | "already_claimed" | "has_deposits";

export interface FaucetMemory {
  agentId: string;
  outcome: FaucetOutcome;
  claimId: string | null;
  at: number;
}

/** A seed is public once the casino reveals it; kept so bets can be re-verified later. */
export interface RevealedSeed {
  agentId: string;
  seedHash: string;
  seed: string;
  at: number;
}

export interface TaskMemoryRepo {
  /** the chord a batch job submitted, if it did */
  submittedChord(jobId: string): Promise<string | undefined>;
  rememberSubmission(jobId: string, chordId: string, at: number): Promise<void>;
  faucetMemory(agentId: string): Promise<FaucetMemory | undefined>;
  /** the first answer wins: an agent that claimed stays "claimed" whatever a later attempt hears */
  rememberFaucet(memory: FaucetMemory): Promise<void>;
  /** the first reveal of a seed hash wins */
  rememberRevealedSeed(seed: RevealedSeed): Promise<void>;
  /** the agent's revealed seeds, oldest first */
  revealedSeeds(agentId: string): Promise<Array<{ seedHash: string; seed: string }>>;
}
