import { discoverAuthorizationServerMetadata } from "@modelcontextprotocol/sdk/client/auth.js";
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { HttpOAuthConfig } from "../config.js";
import type { Logger } from "../log.js";

/**
 * OAuth 2.1 resource-server mode, per the MCP authorization spec (2025-11-25): this server publishes its
 * protected-resource metadata (RFC 9728) naming the operator's authorization server, and accepts access tokens
 * that are JWTs signed by that issuer (its JWKS), issued by it (`iss`), meant for this server (`aud` holds the
 * resource URL, RFC 8707) and current (`exp`/`nbf`). The crypto is the `jose` library's, not ours.
 */

/** clock skew tolerated between the issuer and this machine, seconds */
const CLOCK_TOLERANCE_S = 30;
/** signature algorithms accepted: asymmetric only, so a JWKS can never turn into a shared secret */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
const FETCH_TIMEOUT_MS = 5_000;
/** after a failed discovery, tokens are answered 503 for this long before the issuer is asked again */
const DISCOVERY_RETRY_MS = 10_000;

export type TokenCheck =
  | { ok: true; claims: JWTPayload }
  | { ok: false; status: 401 | 403; error: "invalid_token" | "insufficient_scope"; description: string }
  | { ok: false; status: 503; error: "temporarily_unavailable"; description: string };

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: string[];
  scopes_supported?: string[];
  resource_name: string;
}

export interface OAuthResourceServer {
  /** this server's canonical MCP URL, the audience its tokens must name */
  resourceUrl: string;
  /** where its protected-resource metadata is served (RFC 9728 §3.1: well-known path inserted before the path) */
  metadataUrl: string;
  scopes: string[];
  metadata(): ProtectedResourceMetadata;
  verify(token: string): Promise<TokenCheck>;
  /** resolves the issuer's JWKS now, so a misconfigured issuer shows in the log at startup */
  warmUp(): Promise<void>;
}

export function createOAuthResourceServer(
  config: HttpOAuthConfig,
  resourceUrl: string,
  logger: Logger,
): OAuthResourceServer {
  const resource = new URL(resourceUrl);
  const path = resource.pathname === "/" ? "" : resource.pathname;
  const metadataUrl = `${resource.origin}/.well-known/oauth-protected-resource${path}`;
  const keys = lazyKeySet(config, logger);

  async function verify(token: string): Promise<TokenCheck> {
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        audience: resourceUrl,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ["exp"],
      }));
    } catch (err) {
      return refusal(err, config.issuer, resourceUrl);
    }
    const granted = grantedScopes(claims);
    const missing = config.scopes.filter((s) => !granted.has(s));
    if (missing.length) {
      return {
        ok: false,
        status: 403,
        error: "insufficient_scope",
        description: `the token lacks scope ${missing.join(" ")}`,
      };
    }
    return { ok: true, claims };
  }

  return {
    resourceUrl,
    metadataUrl,
    scopes: config.scopes,
    metadata: () => ({
      resource: resourceUrl,
      authorization_servers: [config.issuer],
      bearer_methods_supported: ["header"],
      ...(config.scopes.length ? { scopes_supported: config.scopes } : {}),
      resource_name: "pf-fleet",
    }),
    verify,
    async warmUp() {
      // A failure is logged where it happens (lazyKeySet) and retried on the next token.
      await keys.resolve().then(
        (url) => logger.info({ issuer: config.issuer, jwks: url }, "OAuth: accepting access tokens from the issuer"),
        () => undefined,
      );
    },
  };
}

/** The JWKS, found once from the issuer's metadata (RFC 8414, then OpenID discovery) unless configured. */
function lazyKeySet(config: HttpOAuthConfig, logger: Logger): JWTVerifyGetKey & { resolve(): Promise<string> } {
  let keySet: ReturnType<typeof createRemoteJWKSet> | undefined;
  let jwksUrl: Promise<string> | undefined;
  let failedAt = 0;

  function resolve(): Promise<string> {
    if (failedAt && Date.now() - failedAt >= DISCOVERY_RETRY_MS) {
      jwksUrl = undefined;
      failedAt = 0;
    }
    jwksUrl ??= (config.jwksUrl ? Promise.resolve(config.jwksUrl) : discoverJwksUrl(config.issuer)).then(
      (url) => {
        failedAt = 0;
        keySet ??= createRemoteJWKSet(new URL(url), { timeoutDuration: FETCH_TIMEOUT_MS });
        return url;
      },
      (err: unknown) => {
        failedAt = Date.now();
        logger.warn({ issuer: config.issuer, err: String(err) }, "OAuth: issuer discovery failed");
        throw err;
      },
    );
    return jwksUrl;
  }

  const getKey = (async (header, token) => {
    await resolve();
    return (keySet as ReturnType<typeof createRemoteJWKSet>)(header, token);
  }) as JWTVerifyGetKey & { resolve(): Promise<string> };
  getKey.resolve = resolve;
  return getKey;
}

export class IssuerUnavailable extends Error {}

async function discoverJwksUrl(issuer: string): Promise<string> {
  const fetchFn = (url: string | URL, init?: RequestInit) =>
    fetch(url, { ...init, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  let metadata: Awaited<ReturnType<typeof discoverAuthorizationServerMetadata>>;
  try {
    metadata = await discoverAuthorizationServerMetadata(issuer, { fetchFn });
  } catch (err) {
    throw new IssuerUnavailable(`issuer metadata of ${issuer} could not be read: ${String(err)}`);
  }
  if (!metadata) {
    throw new IssuerUnavailable(
      `no authorization server metadata found for ${issuer} (tried oauth-authorization-server and openid-configuration); set PF_HTTP_OAUTH_JWKS_URL`,
    );
  }
  // RFC 8414 §3.3: metadata that names another issuer must not be used.
  if (metadata.issuer !== issuer) {
    throw new IssuerUnavailable(
      `the metadata at ${issuer} names issuer ${metadata.issuer}; PF_HTTP_OAUTH_ISSUER must match it`,
    );
  }
  const jwksUri: unknown = metadata.jwks_uri;
  if (typeof jwksUri !== "string" || !jwksUri) {
    throw new IssuerUnavailable(`${issuer}'s metadata has no jwks_uri; set PF_HTTP_OAUTH_JWKS_URL`);
  }
  return jwksUri;
}

function grantedScopes(claims: JWTPayload): Set<string> {
  const scope = claims.scope ?? claims.scp;
  if (typeof scope === "string") return new Set(scope.split(" ").filter(Boolean));
  if (Array.isArray(scope)) return new Set(scope.filter((s): s is string => typeof s === "string"));
  return new Set();
}

/** Why a token was refused, in words that name the expectation but never echo the token's own values. */
function refusal(err: unknown, issuer: string, resourceUrl: string): TokenCheck {
  const invalid = (description: string): TokenCheck => ({
    ok: false,
    status: 401,
    error: "invalid_token",
    description,
  });
  if (err instanceof errors.JWTExpired) return invalid("the token has expired");
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "iss") return invalid(`the token was not issued by ${issuer}`);
    if (err.claim === "aud")
      return invalid(`the token is not for this server (its audience must include ${resourceUrl})`);
    if (err.claim === "nbf") return invalid("the token is not valid yet");
    return invalid(`the token's ${err.claim} claim is not acceptable`);
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWSSignatureVerificationFailed) {
    return invalid(`the token is not signed by a key of ${issuer}`);
  }
  if (
    err instanceof IssuerUnavailable ||
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    !(err instanceof errors.JOSEError) ||
    err.code === "ERR_JOSE_GENERIC"
  ) {
    return {
      ok: false,
      status: 503,
      error: "temporarily_unavailable",
      description: "the authorization server's keys cannot be fetched right now; retry shortly",
    };
  }
  return invalid("the token is not a valid signed JWT");
}
