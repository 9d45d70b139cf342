// Calls to other services, signed with this service's key (./service-auth.ts): the sending half of docs/NETWORK.md
// section 4, used by the outbox and by direct look-ups (a foreign card's certificate, the directory).

import { randomUUID } from 'node:crypto';
import type { SigningKey } from '../signatures.ts';
import { connectionPool, type JsonResponse, requestJson } from './json-http.ts';
import { signServiceRequest } from './service-auth.ts';

export class PeerCaller {
  private readonly pool = connectionPool();

  constructor(
    private readonly key: SigningKey,
    /** This service's sender name: `central-bank` or `im:<id>`. */
    readonly sender: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** A signed request to `baseUrl + path`; the body is sent (and signed) exactly as given. */
  async call(baseUrl: string, method: 'GET' | 'POST', path: string, body = '', idempotencyKey: string = randomUUID(), timeoutMs = this.timeoutMs): Promise<JsonResponse> {
    const headers = signServiceRequest(this.key, this.sender, method, path, body, idempotencyKey);
    return requestJson({ method, url: `${baseUrl.replace(/\/$/, '')}${path}`, headers, ...(method === 'POST' ? { body } : {}), timeoutMs, pool: this.pool });
  }
}
