import { createHmac, randomBytes } from "node:crypto";
import { tokenMatches } from "../transports/access.js";

/**
 * The console's CSRF tokens (synchronizer pattern): an HMAC of the browser's login session under a secret that
 * lives only in this process, handed out in `/api/overview` (which another origin cannot read) and required
 * back in `x-csrf-token` on every action. Bound to the session, so a token seen by one login is worthless to
 * another; the session cookie is SameSite=Strict as well, and actions also check Origin/Sec-Fetch-Site.
 */
export class CsrfTokens {
  readonly #secret = randomBytes(32);

  /** `principal`: the login session id, or a fixed name for bearer-token and open (loopback, no token) access */
  issue(principal: string): string {
    return createHmac("sha256", this.#secret).update(principal).digest("base64url");
  }

  verify(principal: string, presented: string | undefined): boolean {
    return tokenMatches(this.issue(principal), presented);
  }
}
