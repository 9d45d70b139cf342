// JSON over HTTP/1.1 with kept-alive connections (node:http): what the services use to call each other and what
// the typed client uses to call the services. One request, one JSON answer (or none), a timeout, and errors
// turned into one-sentence HttpFailure messages.

import { Agent, request as httpRequest } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 });

/**
 * Kept-alive connections for one caller. Each service calls its peers through its own agents, so that callers
 * sharing a process (tests, the in-process network) never wait for each other's sockets.
 */
export function connectionPool(maxSockets = 64): { http: Agent; https: HttpsAgent } {
  return { http: new Agent({ keepAlive: true, maxSockets }), https: new HttpsAgent({ keepAlive: true, maxSockets }) };
}

/** The request did not get an HTTP answer (connection refused, reset, timed out). */
export class HttpFailure extends Error {
  override name = 'HttpFailure';
}

export interface JsonResponse {
  status: number;
  /** The parsed JSON answer; undefined for an empty one; the raw text when it is not JSON. */
  body: unknown;
}

export interface JsonRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Full URL: `http://127.0.0.1:8040/cards/...`. */
  url: string;
  headers?: Record<string, string>;
  /** Sent exactly as given (the signature of a service request covers these bytes). */
  body?: string;
  timeoutMs?: number;
  /** The connections to use (default: a pool shared by the process). */
  pool?: { http: Agent; https: HttpsAgent };
}

/** Sends one request and resolves with the status and the parsed answer, whatever the status. */
export function requestJson(req: JsonRequest): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      reject(new HttpFailure(`The URL ${req.url} is not valid.`));
      return;
    }
    const secure = url.protocol === 'https:';
    const headers: Record<string, string | number> = { accept: 'application/json', ...(req.headers ?? {}) };
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(req.body);
    }
    const send = secure ? httpsRequest : httpRequest;
    const outgoing = send(
      url,
      { method: req.method, headers, agent: secure ? (req.pool?.https ?? httpsAgent) : (req.pool?.http ?? agent), timeout: req.timeoutMs ?? 10_000 },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', (error) => reject(new HttpFailure(`The answer from ${url.host} broke off: ${error.message}`)));
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = undefined;
          if (text.length > 0) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status: incoming.statusCode ?? 0, body });
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${req.timeoutMs ?? 10_000} ms`)));
    outgoing.on('error', (error) => reject(new HttpFailure(`${req.method} ${url.pathname} on ${url.host} failed: ${error.message}`, { cause: error })));
    if (req.body !== undefined) outgoing.write(req.body);
    outgoing.end();
  });
}
