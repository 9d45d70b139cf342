// The central bank's HTTP API (docs/NETWORK.md "Endpoints"): public directory, admin endpoints (bearer admin token),
// and the register and pool endpoints that only intermediaries call, with signed requests.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DeclineItem, SignedTransactionJson } from '../api.ts';
import { LEN } from '../../codec/protocol-constants.ts';
import { forbidden, unauthorized } from '../errors.ts';
import { requireAdmin } from '../http/app.ts';
import { amount, hex, httpUrl, intermediaryId, items, name, object, signedTransaction, u32 } from '../http/schemas.ts';
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

  app.post('/register/settle', { preValidation: signed, schema: { body: items(signedTransaction) } }, async (request) => {
    const caller = request.intermediary!;
    return service.settle(caller.id, (request.body as { items: SignedTransactionJson[] }).items, caller);
  });
  app.post('/pool/advance', { preValidation: signed, schema: { body: items(signedTransaction) } }, async (request) => {
    const caller = request.intermediary!;
    return service.advance(caller.id, (request.body as { items: SignedTransactionJson[] }).items, caller);
  });
  app.post('/pool/repay', { preValidation: signed, schema: { body: items(object({ txId: hex(LEN.CARD_ID + LEN.SEQ) })) } }, async (request) => {
    const caller = request.intermediary!;
    return service.repay(caller.id, (request.body as { items: Array<{ txId: string }> }).items.map((i) => i.txId), caller);
  });
  app.post(
    '/register/decline',
    {
      preValidation: signed,
      schema: {
        body: items(
          object({
            recipientCard: hex(LEN.CARD_ID),
            requestNo: u32,
            recipientIntermediary: intermediaryId,
            source: { type: 'string', enum: ['decline', 'void'] },
            evidence: hex(LEN.RECORD),
          }),
        ),
      },
    },
    async (request) => {
      const caller = request.intermediary!;
      return service.decline(caller.id, (request.body as { items: DeclineItem[] }).items, caller);
    },
  );
}
