import type { Mode } from "../config.js";
import type { Db } from "../db.js";
import { FleetError } from "../errors.js";

/**
 * Binds a database to the mode that created it. Sandbox agents hold keys only the embedded sandbox knows and
 * sandbox PnL is play money: mixing either into a live fleet (or the reverse) would corrupt the ledger and
 * the limits, so opening a database in the other mode is refused.
 */
export function assertDatabaseMode(db: Db, mode: Mode, dbPath: string): void {
  db.prepare("INSERT INTO fleet_meta (key, value) VALUES ('mode', ?) ON CONFLICT (key) DO NOTHING").run(mode);
  const recorded = db.prepare("SELECT value FROM fleet_meta WHERE key = 'mode'").pluck().get() as string;
  if (recorded !== mode) {
    throw new FleetError(
      "CONFLICT",
      `the database ${dbPath} belongs to ${recorded} mode, but pf-fleet was started in ${mode} mode`,
      { hint: `give ${mode} mode its own database with PF_DB (or --db); sandbox and live data never share a file` },
    );
  }
}
