/**
 * A TCP proxy in front of PostgreSQL that cuts a connection at COMMIT: the fault "the database connection died
 * during COMMIT" on demand. It follows the frontend protocol just enough (typed messages: Parse names a statement,
 * Bind runs one, Query carries COMMIT) to know which transaction wrote to `table`; when armed, the COMMIT of the
 * next such transaction is either forwarded and its answer lost ("landed"), or never forwarded ("lost"), and the
 * client's socket is destroyed either way.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export type CommitCut = "landed" | "lost";

export interface CommitCutter {
  /** the proxy's port on 127.0.0.1 */
  port: number;
  /** cut the COMMIT of the next transaction that writes `table` */
  arm(table: string, how: CommitCut): void;
  /** how many COMMITs were cut */
  readonly cuts: number;
  close(): Promise<void>;
}

export async function startCommitCutter(target: { host: string; port: number }): Promise<CommitCutter> {
  let armed: { table: RegExp; how: CommitCut } | undefined;
  let cuts = 0;
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const statements = new Map<string, string>();
    let writesTable = false;
    let buffered = Buffer.alloc(0);
    let startup = true;
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
    upstream.on("data", (d) => client.write(d));

    client.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        // the startup (and SSL request) message has no type byte
        const header = startup ? 4 : 5;
        if (buffered.length < header) return;
        const length = startup ? buffered.readInt32BE(0) : buffered.readInt32BE(1) + 1;
        if (buffered.length < length) return;
        const message = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        if (startup) {
          // an SSLRequest (80877103) is answered 'N' by the server and followed by the real startup message
          if (message.readInt32BE(4) !== 80877103) startup = false;
          upstream.write(message);
          continue;
        }
        const type = String.fromCharCode(message[0] as number);
        const body = message.subarray(5);
        if (type === "P") {
          const [name = "", text = ""] = body.toString("utf8").split("\0");
          statements.set(name, text);
          if (armed?.table.test(text)) writesTable = true;
        } else if (type === "B") {
          const [, name = ""] = body.toString("utf8").split("\0");
          if (armed?.table.test(statements.get(name) ?? "")) writesTable = true;
        } else if (type === "Q") {
          const text = body.toString("utf8").replace(/\0$/, "").trim().toUpperCase();
          if (text === "COMMIT" && writesTable && armed) {
            const { how } = armed;
            armed = undefined;
            cuts++;
            if (how === "landed") upstream.write(message);
            // the answer to a forwarded COMMIT must not reach the client: stop relaying first
            upstream.removeAllListeners("data");
            setTimeout(end, how === "landed" ? 50 : 0);
            return;
          }
          if (text === "COMMIT" || text === "ROLLBACK" || text === "BEGIN") writesTable = false;
        }
        upstream.write(message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy did not bind a TCP port");
  return {
    port: address.port,
    arm(table, how) {
      armed = { table: new RegExp(`INSERT INTO ${table}\\b`, "i"), how };
    },
    get cuts() {
      return cuts;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
