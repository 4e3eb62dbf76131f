import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ServiceUrls } from "../../src/config.js";

/**
 * A real HTTP server on 127.0.0.1 whose every answer the test scripts: any status and body, a hang, a
 * reset before or after reading the request body. Used to pin down how the client classifies failures.
 */

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** Decides the answer; `body` is the full request body, already read (except for `resetBeforeBody`). */
export type Script = (req: Received, res: ServerResponse, socket: Socket) => void;

export interface ScriptedServer {
  base: string;
  /** the five service base URLs, all on this server, with production-shaped path prefixes */
  urls: ServiceUrls;
  received: Received[];
  /** replaces the script for the following requests */
  script(handler: Script | { beforeBody: (req: IncomingMessage, socket: Socket) => void }): void;
  close(): Promise<void>;
}

export async function startScriptedServer(): Promise<ScriptedServer> {
  const received: Received[] = [];
  let current: Script | { beforeBody: (req: IncomingMessage, socket: Socket) => void } = (_req, res) =>
    json(res, 404, { error: "not_found" });
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    const handler = current;
    if ("beforeBody" in handler) {
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "" });
      handler.beforeBody(req, req.socket);
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(r);
      handler(r, res, req.socket);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    base,
    urls: {
      casino: `${base}/api/v1`,
      escrow: base,
      faucet: base,
      domains: `${base}/v1`,
      wallet: `${base}/wallet-v1`,
    },
    received,
    script(handler) {
      current = handler;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export function text(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType });
  res.end(body);
}

/** The `_info` object every Purple Flea JSON response carries; responses must tolerate it. */
export const INFO = { _info: { service: "agent-casino", docs: "https://example.test/docs", version: "1" } };

/** A settled-bet body shaped like production's, for the given stake/multiplier/outcome. */
export function betBody(opts: {
  game?: string;
  amount: number;
  multiplier: number;
  won: boolean;
  newBalance: number;
  clientSeed?: string;
  nonce?: number;
  roll?: number;
}): Record<string, unknown> {
  return {
    bet_id: `bet_${opts.nonce ?? 0}-0000-4000-8000-000000000000`,
    game: opts.game ?? "coin_flip",
    amount_bet: opts.amount,
    result: { side_chosen: "heads", outcome: opts.won ? "heads" : "tails", roll: opts.roll ?? 12.34 },
    won: opts.won,
    payout_multiplier: opts.multiplier,
    amount_won: opts.won ? Math.round(opts.amount * opts.multiplier * 100) / 100 : 0,
    new_balance: opts.newBalance,
    proof: {
      server_seed_hash: "ab".repeat(32),
      client_seed: opts.clientSeed ?? "seed-1",
      nonce: opts.nonce ?? 0,
      result_hash: "cd".repeat(32),
    },
    kelly: {
      bankroll: opts.newBalance,
      risk_factor: 0.25,
      max_bet_this_game: 0.12,
      bets_until_ruin: 8,
      suggested_bet: 0.06,
    },
    ...INFO,
  };
}
