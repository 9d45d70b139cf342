// The error class of the server layer.
//
// A ServiceError is a refusal the service answers to its caller: an HTTP status (4xx for the caller's mistake, 409
// for a conflict with the state, 503 for a peer that could not be reached), a short machine-readable code
// ("bad-signature") and a one-sentence reason. It is raised before anything changes, or inside a database
// transaction, which it then rolls back: a refused request never half-applies.

export class ServiceError extends Error {
  override name = 'ServiceError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

export const badRequest = (code: string, reason: string) => new ServiceError(400, code, reason);
export const unauthorized = (reason: string) => new ServiceError(401, 'unauthorized', reason);
export const forbidden = (reason: string) => new ServiceError(403, 'forbidden', reason);
export const notFound = (code: string, reason: string) => new ServiceError(404, code, reason);
export const conflict = (code: string, reason: string) => new ServiceError(409, code, reason);
export const unavailable = (code: string, reason: string, cause?: unknown) => new ServiceError(503, code, reason, { cause });

/** The JSON body of every refusal: `{ "error": code, "reason": "One sentence." }`. */
export interface ErrorBody {
  error: string;
  reason: string;
}
