/**
 * A refusal on the wire: an HTTP status plus the services' error body `{error, message, ...extra}`. This is the
 * sandbox speaking the Purple Flea protocol, not a pf-fleet failure, so it is not a FleetError.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }

  body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.extra };
  }
}
