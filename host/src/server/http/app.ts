// The HTTP frame shared by both services: a Fastify instance that accepts JSON only, validates every body against
// its schema (no extra properties, no type coercion), limits sizes, and answers every refusal as
// `{ "error": code, "reason": "One sentence." }` with a 4xx status. Nothing a client sends can crash the process:
// every error ends in the error handler, and an unexpected one answers 500 without details.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { DatabaseError, type TransactionRunner } from '../db/sqlite.ts';
import { badRequest, conflict, type ErrorBody, ServiceError, unauthorized } from '../errors.ts';
import type { IdempotencyRepository } from '../ledger.ts';
import { sameToken } from '../keys.ts';
import { sha256Hex } from './service-auth.ts';

/** Bodies above this are refused with 413 before they are parsed. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received: service request signatures cover these bytes. */
    rawBody: string;
  }
  interface FastifyInstance {
    /** Hands an error that is the service's fault (answered 500) to `AppOptions.onInternalError`. */
    reportInternalError(error: unknown, request: FastifyRequest): void;
  }
}

export interface AppOptions {
  bodyLimit?: number;
  /** Called with errors that are the service's fault (answered 500). */
  onInternalError?: (error: unknown, request: FastifyRequest) => void;
}

function sentence(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

export function createApp(options: AppOptions = {}): FastifyInstance {
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logger: false,
    return503OnClosing: true,
    requestTimeout: 30_000,
    keepAliveTimeout: 65_000,
    routerOptions: { maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });

  app.decorateRequest('rawBody', '');
  app.decorate('reportInternalError', (error: unknown, request: FastifyRequest) => options.onInternalError?.(error, request));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    request.rawBody = text;
    if (text.length === 0) {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new ServiceError(400, 'invalid-json', 'The request body is not valid JSON.'), undefined);
    }
  });

  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const refusal = refusalOf(error);
    if (refusal.status === 500) app.reportInternalError(error, request);
    void reply.code(refusal.status).send(refusal.body);
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not-found', reason: `There is no endpoint ${request.method} ${request.url.split('?')[0]}.` });
  });
  return app;
}

/** The status and `{ error, reason }` body that answer an error thrown while handling a request. */
export function refusalOf(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ServiceError) return { status: error.statusCode, body: { error: error.code, reason: sentence(error.message) } };
  const e = error as { validation?: unknown; statusCode?: number; code?: string; message?: string };
  if (e.validation) return { status: 400, body: { error: 'invalid-request', reason: sentence(`The request is invalid: ${e.message ?? 'it does not match its schema'}`) } };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = e.statusCode === 413 ? 'too-large' : e.statusCode === 415 ? 'unsupported-media-type' : 'bad-request';
    return { status: e.statusCode, body: { error: code, reason: sentence(e.message ?? 'The request was refused') } };
  }
  if (error instanceof DatabaseError && /SQLITE_FULL|SQLITE_IOERR/.test(error.message)) {
    return { status: 503, body: { error: 'storage', reason: 'The service cannot write to its database now; nothing was applied, try again later.' } };
  }
  return { status: 500, body: { error: 'internal', reason: 'The service failed on this request; every request can be repeated safely.' } };
}

/** The bearer token of a request, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{16,200})$/.exec(header);
  return match ? match[1] : undefined;
}

/** Refuses a request that does not carry the admin token. */
/**
 * A request's optional idempotency-key header (8 to 64 of A-Za-z0-9_-); a malformed one is refused rather than
 * ignored, since ignoring it would make a retry do the work twice.
 */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(key)) throw badRequest('invalid-idempotency-key', 'The idempotency-key header must be 8 to 64 of A-Z a-z 0-9 _ -.');
  return key;
}

export function requireAdmin(request: FastifyRequest, adminToken: string): void {
  const token = bearerToken(request);
  if (token === undefined || !sameToken(token, adminToken)) throw unauthorized('This endpoint needs the admin bearer token.');
}

/**
 * Runs `work` once per (scope, idempotency key) in one database transaction: a repeated key answers the stored
 * answer; the same key with another request is refused (409). Only successful answers are stored: a refused
 * request changed nothing and may be sent again.
 */
export async function idempotent<R extends { idempotency: IdempotencyRepository }, T>(
  runner: TransactionRunner<R>,
  entry: { scope: string; key: string; request: string; now: number },
  work: (repositories: R) => Promise<T>,
): Promise<T> {
  const requestHash = sha256Hex(entry.request);
  return runner.transaction(async (r) => {
    const prior = await r.idempotency.find(entry.scope, entry.key);
    if (prior) {
      if (prior.requestHash !== requestHash) throw conflict('idempotency-key-reused', 'This idempotency key was used before with another request.');
      return JSON.parse(prior.response) as T;
    }
    const answer = await work(r);
    await r.idempotency.save({ scope: entry.scope, key: entry.key, requestHash, status: 200, response: JSON.stringify(answer), at: entry.now });
    return answer;
  });
}
