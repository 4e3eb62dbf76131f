import type { Mode } from "../config.js";
import { FleetError } from "../errors.js";
import type { Storage } from "../storage/types.js";

/**
 * Binds a database to the mode that created it. Sandbox agents hold keys only the embedded sandbox knows and
 * sandbox PnL is play money: mixing either into a live fleet (or the reverse) would corrupt the ledger and
 * the limits, so opening a database in the other mode is refused.
 */
export async function assertDatabaseMode(storage: Pick<Storage, "fleet" | "location">, mode: Mode): Promise<void> {
  const recorded = await storage.fleet.claimMode(mode);
  if (recorded !== mode) {
    throw new FleetError(
      "CONFLICT",
      `the database ${storage.location} belongs to ${recorded} mode, but pf-fleet was started in ${mode} mode`,
      { hint: `give ${mode} mode its own database with PF_DB (or --db); sandbox and live data never share a file` },
    );
  }
}
