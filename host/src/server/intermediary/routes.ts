// An intermediary's HTTP API (docs/NETWORK.md "Endpoints"): admin endpoints (bearer admin token), user endpoints
// (bearer user token; the admin token may act for any user), and the interbank endpoints that only the central bank
// and other intermediaries call, with signed requests.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CentralBankMovement, SignedTransactionJson } from '../api.ts';
import { LEN, LIMIT } from '../../codec/protocol-constants.ts';
import type { Policy } from '../../codec/policy.ts';
import { forbidden, unauthorized } from '../errors.ts';
import { bearerToken, idempotencyKeyOf, requireAdmin } from '../http/app.ts';
import { amount, cardIdParams, challengeAnswer, hex, items, name, object, policy, signedTransaction, uuid } from '../http/schemas.ts';
import { intermediaryIdOfSender, readServiceHeaders, verifyServiceRequest } from '../http/service-auth.ts';
import { sameToken } from '../keys.ts';
import type { ChallengeJson, IntermediaryService } from './service.ts';

const orderParams = object({ cardId: hex(LEN.CARD_ID), orderId: { type: 'string', pattern: '^[1-9][0-9]{0,12}$' } });
const userParams = object({ userId: uuid });
const instructionParams = object({ cardId: hex(LEN.CARD_ID), kind: { type: 'string', enum: ['lifecycle', 'policy', 'unblock-pin', 'next'] } });
const challengeBody = object({ challenge: challengeAnswer });

declare module 'fastify' {
  interface FastifyRequest {
    /** The user acting (undefined userId: the admin), set before validation on user endpoints. */
    actor?: { userId: string | undefined };
    /** The service that signed the request, set before validation on interbank endpoints. */
    caller?: { sender: string; key: string; raw: string };
  }
}

const movement = {
  type: 'object',
  required: ['id', 'kind', 'amount'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 80, pattern: '^[a-z-]+:[0-9A-Fa-f]+$|^issue:[0-9]+$' },
    kind: { type: 'string', enum: ['issue', 'credit', 'reversal-credit', 'reversal-debit', 'advance-cancelled'] },
    amount,
    txId: hex(LEN.CARD_ID + LEN.SEQ),
    transaction: signedTransaction,
    fundedBy: { type: 'string', enum: ['shadow', 'pool'] },
  },
  allOf: [
    { if: { properties: { kind: { const: 'credit' } } }, then: { required: ['txId', 'transaction', 'fundedBy'] } },
    { if: { properties: { kind: { enum: ['reversal-credit', 'reversal-debit', 'advance-cancelled'] } } }, then: { required: ['txId'] } },
  ],
} as const;

export function intermediaryRoutes(app: FastifyInstance, service: IntermediaryService, adminToken: string): void {
  const admin = async (request: FastifyRequest) => requireAdmin(request, adminToken);

  /** The user acting: a user's token gives that user; the admin token gives `undefined` (any card). */
  const actor = async (request: FastifyRequest): Promise<{ userId: string | undefined }> => {
    const token = bearerToken(request);
    if (token === undefined) throw unauthorized('This endpoint needs a bearer token (a user token, or the admin token).');
    if (sameToken(token, adminToken)) return { userId: undefined };
    const userId = await service.userByToken(token);
    if (userId === undefined) throw unauthorized('The bearer token is not a user of this intermediary.');
    return { userId };
  };

  const signedBy = async (request: FastifyRequest, allowed: 'central-bank' | 'intermediary'): Promise<{ sender: string; key: string; raw: string }> => {
    const headers = readServiceHeaders(request.headers);
    if (typeof headers === 'string') throw unauthorized(headers);
    if (allowed === 'central-bank' && headers.sender !== 'central-bank') throw forbidden('Only the central bank calls this endpoint.');
    if (allowed === 'intermediary' && intermediaryIdOfSender(headers.sender) === undefined) throw forbidden('Only intermediaries call this endpoint.');
    const key = await service.senderKey(headers.sender);
    if (!key) throw unauthorized(`The sender ${headers.sender} is not in the central bank's directory.`);
    if (!verifyServiceRequest(key, request.method, request.url, request.rawBody, headers)) throw unauthorized("The request signature does not verify with the sender's key.");
    return { sender: headers.sender, key: headers.idempotencyKey, raw: request.rawBody };
  };

  const cardId = (request: FastifyRequest) => (request.params as { cardId: string }).cardId.toUpperCase();
  // Credentials are checked before the body is validated: a caller without them learns nothing about the body.
  const user = async (request: FastifyRequest) => {
    request.actor = await actor(request);
  };
  const fromIntermediary = async (request: FastifyRequest) => {
    request.caller = await signedBy(request, 'intermediary');
  };
  const fromCentralBank = async (request: FastifyRequest) => {
    request.caller = await signedBy(request, 'central-bank');
  };
  const userId = (request: FastifyRequest) => request.actor!.userId;

  app.get('/info', async () => service.info());

  // --------------------------------------------------------------------------------------------------- admin
  app.put('/admin/certificate', { preValidation: admin, schema: { body: object({ certificate: hex(LEN.INTERMEDIARY_CERT) }) } }, async (request) =>
    service.installCertificate((request.body as { certificate: string }).certificate),
  );
  app.post('/admin/users', { preValidation: admin, schema: { body: object({ name }) } }, async (request) => service.createUser((request.body as { name: string }).name, idempotencyKeyOf(request)));
  app.post('/admin/users/:userId/deposit', { preValidation: admin, schema: { params: userParams, body: object({ amount }) } }, async (request) =>
    service.deposit((request.params as { userId: string }).userId, (request.body as { amount: number }).amount, idempotencyKeyOf(request)),
  );
  for (const [action, state] of [
    ['block', 'BLOCKED'],
    ['unblock', 'ACTIVE'],
    ['terminate', 'TERMINATED'],
  ] as const) {
    app.post(`/admin/cards/:cardId/${action}`, { preValidation: admin, schema: { params: cardIdParams } }, async (request) => service.setTargetLifecycle(cardId(request), state));
  }
  app.put('/admin/cards/:cardId/policy', { preValidation: admin, schema: { params: cardIdParams, body: object({ policy }) } }, async (request) =>
    service.setTargetPolicy(cardId(request), (request.body as { policy: Policy }).policy),
  );
  app.post('/admin/lost-cards/refund', { preValidation: admin }, async () => ({ refunded: await service.refundLostCards() }));
  app.post('/admin/outbox/drain', { preValidation: admin }, async () => ({ remaining: (await service.outbox.drain()).remaining.length }));
  app.get('/admin/anomalies', { preValidation: admin }, async () => ({ anomalies: await service.anomalies() }));
  app.get('/audit', { preValidation: admin }, async () => service.audit());

  // ---------------------------------------------------------------------------------------------------- users
  app.get('/me', { preValidation: user }, async (request) => {
    const id = userId(request);
    if (id === undefined) throw forbidden('GET /me needs a user token, not the admin token.');
    return service.userView(id);
  });
  app.post('/cards', { preValidation: user, schema: { body: object({ publicKey: hex(LEN.PUBLIC_KEY), role: { type: 'string', enum: ['USER', 'MERCHANT'] } }) } }, async (request) => {
    const id = userId(request);
    if (id === undefined) throw forbidden("A card is certified for a user: use that user's token.");
    const body = request.body as { publicKey: string; role: 'USER' | 'MERCHANT' };
    return service.certifyCard(id, body.publicKey, body.role);
  });
  app.get('/cards/:cardId', { preValidation: user, schema: { params: cardIdParams } }, async (request) => service.cardView(cardId(request), userId(request)));
  app.get('/cards/:cardId/orders', { preValidation: user, schema: { params: cardIdParams } }, async (request) => service.orders(cardId(request), userId(request)));
  app.post(
    '/cards/:cardId/orders',
    { preValidation: user, schema: { params: cardIdParams, body: object({ kind: { type: 'string', enum: ['TOP_UP', 'DEFUND'] }, amount }) } },
    async (request) => {
      const body = request.body as { kind: 'TOP_UP' | 'DEFUND'; amount: number };
      return service.createOrder(cardId(request), userId(request), body.kind, body.amount, idempotencyKeyOf(request));
    },
  );
  app.post('/cards/:cardId/orders/:orderId/instruction', { preValidation: user, schema: { params: orderParams, body: challengeBody } }, async (request) => {
    const orderId = Number((request.params as { orderId: string }).orderId);
    return service.signOrder(cardId(request), userId(request), orderId, (request.body as { challenge: ChallengeJson }).challenge);
  });
  app.post(
    '/cards/:cardId/orders/:orderId/confirmation',
    { preValidation: user, schema: { params: orderParams, body: object({ confirmation: hex(LEN.DEFUND_CONFIRM + LEN.SIGNATURE) }) } },
    async (request) => {
      const orderId = Number((request.params as { orderId: string }).orderId);
      return service.confirmDefund(cardId(request), userId(request), orderId, (request.body as { confirmation: string }).confirmation);
    },
  );
  app.delete('/cards/:cardId/orders/:orderId', { preValidation: user, schema: { params: orderParams } }, async (request) =>
    service.cancelOrder(cardId(request), userId(request), Number((request.params as { orderId: string }).orderId)),
  );
  app.post(
    '/cards/:cardId/sync',
    {
      preValidation: user,
      schema: {
        params: cardIdParams,
        body: object({ report: hex(LEN.REPORT + LEN.SIGNATURE), records: { type: 'array', maxItems: LIMIT.LOG_CAPACITY, items: hex(LEN.RECORD) } }),
      },
    },
    async (request) => {
      const body = request.body as { report: string; records: string[] };
      return service.sync(cardId(request), userId(request), body.report, body.records);
    },
  );
  app.post('/cards/:cardId/instructions/:kind', { preValidation: user, schema: { params: instructionParams, body: challengeBody } }, async (request) => {
    const kind = (request.params as { kind: 'lifecycle' | 'policy' | 'unblock-pin' | 'next' }).kind;
    return service.instructionFor(cardId(request), userId(request), kind, (request.body as { challenge: ChallengeJson }).challenge);
  });
  app.post('/cards/:cardId/lost', { preValidation: user, schema: { params: cardIdParams } }, async (request) => service.reportLost(cardId(request), userId(request)));

  // ------------------------------------------------------------------------------------------------ interbank
  app.get('/interbank/cards/:cardId/certificate', { preValidation: fromIntermediary, schema: { params: cardIdParams } }, async (request) => {
    return { certificate: await service.cardCertificate(cardId(request)) };
  });
  app.post('/interbank/claims', { preValidation: fromIntermediary, schema: { body: items(signedTransaction) } }, async (request) => {
    const caller = request.caller!;
    return service.receiveClaims(intermediaryIdOfSender(caller.sender)!, (request.body as { items: SignedTransactionJson[] }).items, caller);
  });
  app.post('/interbank/movements', { preValidation: fromCentralBank, schema: { body: object({ movements: { type: 'array', minItems: 1, maxItems: 256, items: movement } }) } }, async (request) => {
    const caller = request.caller!;
    return service.receiveMovements((request.body as { movements: CentralBankMovement[] }).movements, caller);
  });
  app.post('/interbank/audit', { preValidation: fromCentralBank, schema: { body: object({}) } }, async () => service.drainedAudit());
}
