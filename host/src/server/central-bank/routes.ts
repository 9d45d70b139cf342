// The central bank's HTTP API (docs/NETWORK.md "Endpoints"): public directory, admin endpoints (bearer admin token),
// and the register and pool endpoints that only intermediaries call, with signed requests.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type BatchAnswer, type BatchedRequest, type DeclineItem, MAX_BATCHED_REQUESTS, REGISTER_PATHS, type RegisterPath, type SignedTransactionJson } from '../api.ts';
import { LEN } from '../../codec/protocol-constants.ts';
import { badRequest, forbidden, unauthorized } from '../errors.ts';
import { DEFAULT_BODY_LIMIT, refusalOf, requireAdmin } from '../http/app.ts';
import { amount, hex, httpUrl, intermediaryId, items, name, object, signedTransaction, u32, uuid } from '../http/schemas.ts';
import { intermediaryIdOfSender, readServiceHeaders, verifyServiceRequest } from '../http/service-auth.ts';
import type { CentralBankService } from './service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The intermediary that signed the request (register and pool endpoints), set before validation. */
    intermediary?: { id: number; key: string; raw: string };
  }
}

const idParams = object({ id: { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } });

export function centralBankRoutes(app: FastifyInstance, service: CentralBankService, adminToken: string): void {
  const admin = async (request: FastifyRequest) => requireAdmin(request, adminToken);

  /** The calling intermediary of a signed request, checked against its registered key. */
  const intermediaryCaller = async (request: FastifyRequest): Promise<{ id: number; key: string; raw: string }> => {
    const headers = readServiceHeaders(request.headers);
    if (typeof headers === 'string') throw unauthorized(headers);
    const id = intermediaryIdOfSender(headers.sender);
    if (id === undefined) throw forbidden('Only intermediaries call this endpoint.');
    const key = await service.intermediaryKey(id);
    if (!key) throw unauthorized(`The sender ${headers.sender} is not a registered intermediary.`);
    if (!verifyServiceRequest(key, request.method, request.url, request.rawBody, headers)) throw unauthorized('The request signature does not verify with the sender\'s key.');
    return { id, key: headers.idempotencyKey, raw: request.rawBody };
  };

  const signed = async (request: FastifyRequest) => {
    request.intermediary = await intermediaryCaller(request);
  };

  app.get('/info', async () => service.info());
  app.get('/directory', async () => ({ intermediaries: await service.directory() }));
  app.get('/directory/:id', { schema: { params: idParams } }, async (request) => service.directoryEntry(Number((request.params as { id: string }).id)));

  app.post(
    '/admin/intermediaries',
    { preValidation: admin, schema: { body: object({ id: intermediaryId, name, url: httpUrl, publicKey: hex(LEN.PUBLIC_KEY) }) } },
    async (request) => service.registerIntermediary(request.body as { id: number; name: string; url: string; publicKey: string }),
  );
  app.post('/admin/issue', { preValidation: admin, schema: { body: object({ intermediaryId, amount }) } }, async (request) => {
    const body = request.body as { intermediaryId: number; amount: number };
    return service.issue(body.intermediaryId, body.amount);
  });
  app.get('/audit', { preValidation: admin }, async () => service.audit());
  app.get('/audit/network', { preValidation: admin }, async () => service.networkAudit());
  app.post('/admin/outbox/drain', { preValidation: admin }, async () => ({ remaining: (await service.outbox.drain()).remaining.length }));

  // The register and pool endpoints, each alone and several in one signed request (POST /register/batch).
  const operations = registerOperations(service);
  for (const [path, operation] of Object.entries(operations)) {
    app.post(path, { preValidation: signed, schema: { body: operation.schema } }, async (request) => {
      const caller = request.intermediary!;
      return operation.run(caller.id, request.body, caller);
    });
  }
  app.post('/register/batch', { preValidation: signed, schema: { body: batchSchema } }, async (request): Promise<BatchAnswer> => {
    const caller = request.intermediary!;
    const { requests } = request.body as { requests: BatchedRequest[] };
    // Each as if it came alone, signed by the same caller under its own idempotency key, all at once: their
    // database transactions share the group commits.
    const answers = await Promise.all(
      requests.map(async (sub) => {
        try {
          const operation = operations[sub.path];
          let body: unknown;
          try {
            body = JSON.parse(sub.body);
          } catch {
            throw badRequest('invalid-json', `The body of ${sub.path} is not valid JSON.`);
          }
          const validate = request.compileValidationSchema(operation.schema);
          if (!validate(body)) {
            const first = validate.errors?.[0];
            throw badRequest('invalid-request', `The request is invalid: body${first?.instancePath ?? ''} ${first?.message ?? 'does not match its schema'}`);
          }
          return { status: 200, body: await operation.run(caller.id, body, { key: sub.idempotencyKey, raw: sub.body }) };
        } catch (error) {
          const refusal = refusalOf(error);
          if (refusal.status === 500) app.reportInternalError(error, request);
          return refusal;
        }
      }),
    );
    return { answers };
  });
}

interface RegisterOperation {
  schema: Record<string, unknown>;
  run: (callerId: number, body: unknown, request: { key: string; raw: string }) => Promise<object>;
}

const batchSchema = object({
  requests: {
    type: 'array',
    minItems: 1,
    maxItems: MAX_BATCHED_REQUESTS,
    items: object({ path: { type: 'string', enum: REGISTER_PATHS }, idempotencyKey: uuid, body: { type: 'string', maxLength: DEFAULT_BODY_LIMIT } }),
  },
});

function registerOperations(service: CentralBankService): Record<RegisterPath, RegisterOperation> {
  return {
    '/register/settle': {
      schema: items(signedTransaction),
      run: (callerId, body, request) => service.settle(callerId, (body as { items: SignedTransactionJson[] }).items, request),
    },
    '/pool/advance': {
      schema: items(signedTransaction),
      run: (callerId, body, request) => service.advance(callerId, (body as { items: SignedTransactionJson[] }).items, request),
    },
    '/pool/repay': {
      schema: items(object({ txId: hex(LEN.CARD_ID + LEN.SEQ) })),
      run: (callerId, body, request) => service.repay(callerId, (body as { items: Array<{ txId: string }> }).items.map((i) => i.txId), request),
    },
    '/register/decline': {
      schema: items(
        object({
          recipientCard: hex(LEN.CARD_ID),
          requestNo: u32,
          recipientIntermediary: intermediaryId,
          source: { type: 'string', enum: ['decline', 'void'] },
          evidence: hex(LEN.RECORD),
        }),
      ),
      run: (callerId, body, request) => service.decline(callerId, (body as { items: DeclineItem[] }).items, request),
    },
  };
}
