// Delivery of outbox messages: signed, idempotent requests to other services, retried until they are answered.
//
// A message is written in the same database transaction as the change that needs it, so it exists exactly when
// the change does. Delivery sends it (signed, with its fixed idempotency key: a repeated send is answered with the
// receiver's stored answer), then applies the answer and removes the message in one transaction (the outbox holds
// only what is still to deliver; ids are never used again, deliveries under way are known by them); when two
// deliveries of one message race, only the one that removes it applies its answer. Messages the answer creates
// (a credit that funds a waiting payment) are delivered right after, in the same call.
//
// Any answer but 2xx (and any network failure) leaves the message for a later attempt, with exponential backoff
// up to a minute: money messages are never dropped. The audit lists what is undelivered.
//
// Group sending: messages the `batch` option accepts (an intermediary's messages to the central bank's register)
// wait while a request to their target is under way and then go together in one signed request, each with its own
// path, body and idempotency key and its own answer, exactly as if sent alone (docs/NETWORK.md section 4,
// `POST /register/batch`). One request at a time per target: under load they fill up, alone they leave at once.

import type { TransactionRunner } from '../db/sqlite.ts';
import type { OutboxMessage, OutboxRepository } from '../ledger.ts';
import { HttpFailure, type JsonResponse } from './json-http.ts';

export interface OutboxDeliveryOptions<R extends { outbox: OutboxRepository }> {
  runner: TransactionRunner<R>;
  /** Sends the message (signed) to its target. */
  send: (message: OutboxMessage) => Promise<JsonResponse>;
  /** Applies a 2xx answer, inside the transaction that removes the message; returns new outbox messages to deliver now. */
  apply: (repositories: R, message: OutboxMessage, answer: unknown) => Promise<Array<number | OutboxMessage> | void>;
  now?: () => number;
  /** Called when a delivery fails (for logs). */
  onFailure?: (message: OutboxMessage, reason: string) => void;
  /** Group sending (see the header); without it every message is a request of its own. */
  batch?: OutboxBatching;
}

export interface OutboxBatching {
  /** True for a message that may travel with others to its target. */
  accepts: (message: OutboxMessage) => boolean;
  /** Sends several messages to one target in one request; answers one response per message, in order. */
  send: (target: string, messages: readonly OutboxMessage[]) => Promise<JsonResponse[]>;
  /** Most messages, and most bytes of their bodies, in one request. */
  maxMessages: number;
  maxBytes: number;
}

interface Waiting {
  message: OutboxMessage;
  resolve: (response: JsonResponse) => void;
  reject: (error: unknown) => void;
}

export class OutboxDelivery<R extends { outbox: OutboxRepository }> {
  private readonly inFlight = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;
  /** Per target: the messages waiting for the request under way to end (present while one is). */
  private readonly groups = new Map<string, Waiting[]>();

  constructor(private readonly options: OutboxDeliveryOptions<R>) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Delivers these messages now (and whatever their answers create). Never throws: failures wait for a retry.
   * A message given as the object just written is sent without reading it back.
   */
  async deliver(messages: ReadonlyArray<number | OutboxMessage>): Promise<void> {
    await Promise.all(messages.map((m) => this.deliverOne(m)));
  }

  private deliverOne(m: number | OutboxMessage): Promise<void> {
    const id = typeof m === 'number' ? m : m.id;
    const running = this.inFlight.get(id);
    if (running) return running;
    // Whatever fails (the peer, the database, booking the answer) leaves the message for a later attempt; the
    // promise never rejects, so a delivery started in the background can never bring the process down.
    const delivery = this.attempt(m)
      .catch((error: unknown) => this.options.onFailure?.({ id } as OutboxMessage, `the delivery failed: ${(error as Error).message}`))
      .finally(() => this.inFlight.delete(id));
    this.inFlight.set(id, delivery);
    return delivery;
  }

  private async attempt(m: number | OutboxMessage): Promise<void> {
    const message = typeof m === 'number' ? await this.options.runner.transaction((r) => r.outbox.get(m)) : m;
    if (!message) return; // delivered meanwhile
    let response: JsonResponse;
    try {
      response = await this.transmit(message);
    } catch (error) {
      const reason = error instanceof HttpFailure ? error.message : `sending failed: ${(error as Error).message}`;
      await this.failed(message, reason);
      return;
    }
    if (response.status < 200 || response.status >= 300) {
      const reason = typeof response.body === 'object' && response.body !== null && 'reason' in response.body ? String((response.body as { reason: unknown }).reason) : `HTTP ${response.status}`;
      await this.failed(message, `${response.status}: ${reason}`);
      return;
    }
    let followUps: Array<number | OutboxMessage>;
    try {
      followUps = await this.options.runner.transaction(async (r) => {
        if (!(await r.outbox.delivered(message.id))) return [];
        return (await this.options.apply(r, message, response.body)) ?? [];
      });
    } catch (error) {
      // The answer could not be booked (a claw-back short of money, a database error): nothing of it was kept; the
      // message is sent again later and its stored answer booked then.
      await this.failed(message, `its answer could not be booked: ${(error as Error).message}`);
      return;
    }
    if (followUps.length > 0) await this.deliver(followUps);
  }

  /** Sends one message, alone or in its target's next group. */
  private transmit(message: OutboxMessage): Promise<JsonResponse> {
    const batch = this.options.batch;
    if (!batch || !batch.accepts(message) || message.body.length > batch.maxBytes) return this.options.send(message);
    return new Promise<JsonResponse>((resolve, reject) => {
      const waiting = this.groups.get(message.target);
      if (waiting) {
        waiting.push({ message, resolve, reject });
        return;
      }
      const group: Waiting[] = [{ message, resolve, reject }];
      this.groups.set(message.target, group);
      // The messages of this turn of the event loop (the answers of one commit) leave together.
      setImmediate(() => void this.sendGroups(message.target, batch, group));
    });
  }

  private async sendGroups(target: string, batch: OutboxBatching, waiting: Waiting[]): Promise<void> {
    while (waiting.length > 0) {
      let bytes = 0;
      let count = 0;
      while (count < waiting.length && count < batch.maxMessages && bytes + waiting[count].message.body.length <= batch.maxBytes) {
        bytes += waiting[count].message.body.length;
        count += 1;
      }
      const group = waiting.splice(0, Math.max(1, count));
      try {
        const responses = group.length === 1 ? [await this.options.send(group[0].message)] : await batch.send(target, group.map((w) => w.message));
        if (responses.length !== group.length) throw new HttpFailure(`the batch was answered with ${responses.length} answers for ${group.length} requests`);
        group.forEach((w, i) => w.resolve(responses[i]));
      } catch (error) {
        for (const w of group) w.reject(error);
      }
    }
    this.groups.delete(target);
  }

  private async failed(message: OutboxMessage, reason: string): Promise<void> {
    this.options.onFailure?.(message, reason);
    const backoff = Math.min(60_000, 250 * 2 ** Math.min(message.attempts, 8));
    await this.options.runner.transaction((r) => r.outbox.markFailed(message.id, reason, this.now() + backoff));
  }

  /** Delivers every due message once. */
  async deliverDue(limit = 500): Promise<void> {
    const due = await this.options.runner.transaction((r) => r.outbox.due(this.now(), limit));
    await this.deliver(due.map((m) => m.id));
  }

  /**
   * Tries every undelivered message, due or not, until none is left or a round delivers nothing new; answers how
   * many remain (for the audit).
   */
  async drain(rounds = 5): Promise<{ remaining: OutboxMessage[] }> {
    let remaining = await this.options.runner.transaction((r) => r.outbox.undelivered());
    for (let round = 0; round < rounds && remaining.length > 0; round++) {
      await this.deliver(remaining.map((m) => m.id));
      const next = await this.options.runner.transaction((r) => r.outbox.undelivered());
      const progressed = next.length < remaining.length || next.some((m) => !remaining.find((o) => o.id === m.id));
      remaining = next;
      if (!progressed) break;
    }
    return { remaining };
  }

  /** Delivers due messages every `intervalMs` until stopped. */
  start(intervalMs = 500): void {
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      try {
        await this.deliverDue();
      } catch (error) {
        this.options.onFailure?.({ id: 0 } as OutboxMessage, `the outbox worker failed: ${(error as Error).message}`);
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), intervalMs);
    };
    this.timer = setTimeout(() => void tick(), intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
