import type { SandboxWorld } from "../world.js";
import { BetEngine } from "./bet-engine.js";
import { BetStore } from "./bet-store.js";
import { SeedStore } from "./seeds.js";

/** What the casino's route modules share. */
export interface CasinoContext {
  world: SandboxWorld;
  seeds: SeedStore;
  bets: BetStore;
  engine: BetEngine;
}

export function createCasinoContext(world: SandboxWorld): CasinoContext {
  const seeds = new SeedStore(world.db, world.clock);
  const bets = new BetStore(world.db);
  return { world, seeds, bets, engine: new BetEngine(world, seeds, bets) };
}
