/** What the PostgreSQL benchmarks share: the throwaway cluster, a database per run, and medians. */

export interface PgClusterScript {
  startCluster(opts: { durable: boolean; listen?: string; hba?: string[] }): Promise<{ url: string; dir: string }>;
  stopCluster(dir: string): void;
}

/** the throwaway-cluster script the tests and .ci/run share (plain .mjs, not compiled: found from dist/bench/) */
export function pgCluster(): Promise<PgClusterScript> {
  return import(new URL("../../test/support/pg-cluster.mjs", import.meta.url).href) as Promise<PgClusterScript>;
}

/** a new database `name` on the cluster at `adminUrl`; its URL */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
