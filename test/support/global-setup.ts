/**
 * Vitest global setup: a throwaway PostgreSQL cluster for the PostgreSQL leg, unless `PF_TEST_PG_URL` already
 * names one (`.ci/run` starts its own). Without PostgreSQL on the machine the leg is skipped and says so.
 */
// @ts-expect-error: a plain .mjs script, shared with .ci/run
import { pgBinDir, startCluster, stopCluster } from "./pg-cluster.mjs";

export default async function setup(): Promise<(() => void) | undefined> {
  if (process.env.PF_TEST_PG_URL) return undefined;
  if (!pgBinDir()) {
    console.warn("PostgreSQL is not installed: the PostgreSQL tests are skipped (apt-get install postgresql)");
    return undefined;
  }
  const cluster = (await startCluster()) as { url: string; dir: string };
  process.env.PF_TEST_PG_URL = cluster.url;
  return () => stopCluster(cluster.dir);
}
