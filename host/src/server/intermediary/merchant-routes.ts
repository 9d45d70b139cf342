// The merchants' endpoints of an intermediary (docs/NETWORK.md "Endpoints", docs/TOTP.md):
//
//   [/instances/{userId}]/private/otp-devices[/{deviceId}]   the offline device registry, as GNU Taler's merchant
//                                                              backend has it (POST, GET, PATCH, DELETE)
//   /online-payments[/{paymentId}]                           a buyer pays a merchant from its online wallet
//
// "Private" is the merchant's own: a merchant is a user of this intermediary, authenticated by its user token, and
// `/private/...` is that user's registry. The admin token acts for any merchant through Taler's instance prefix,
// `/instances/{userId}/private/...` (a user token may use that prefix with its own user id only).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../errors.ts';
import { bearerToken, idempotencyKeyOf } from '../http/app.ts';
import { amount, object, uuid } from '../http/schemas.ts';
import { sameToken } from '../keys.ts';
import type { OnlinePaymentRequest, OtpDeviceAddDetails, OtpDevicePatchDetails } from '../merchant-api.ts';
import { MerchantService } from './merchant.ts';
import type { IntermediaryService } from './service.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The user acting on a merchant endpoint (undefined userId: the admin), set before validation. */
    merchantActor?: { userId: string | undefined };
  }
}

/** Device ids: 1 to 64 of the characters a URL path segment carries as they are, starting with a letter or digit. */
export const OTP_DEVICE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$';
export const otpDeviceId = { type: 'string', minLength: 1, maxLength: 64, pattern: OTP_DEVICE_ID_PATTERN } as const;
const description = { type: 'string', maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } as const;
// Key and algorithm are only bounded here: their content is checked by the service, which names what is wrong.
const otpKey = { type: 'string', minLength: 1, maxLength: 128 } as const;
const otpAlgorithm = { anyOf: [{ type: 'integer' }, { type: 'string', minLength: 1, maxLength: 32 }] } as const;
const otpCtr = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

const addBody = object(
  { otp_device_id: otpDeviceId, otp_device_description: description, otp_key: otpKey, otp_algorithm: otpAlgorithm, otp_ctr: otpCtr },
  ['otp_device_description', 'otp_key', 'otp_ctr'],
);
const patchBody = object(
  { otp_device_description: description, otp_key: otpKey, otp_algorithm: otpAlgorithm, otp_ctr: otpCtr },
  ['otp_device_description', 'otp_key', 'otp_algorithm', 'otp_ctr'],
);
const deviceQuery = object({ faketime: { type: 'string', pattern: '^[0-9]{1,15}$' }, price: { type: 'string', minLength: 1, maxLength: 40 } }, ['faketime', 'price']);
const paymentBody = object({ merchant: uuid, amount, otp_device_id: otpDeviceId }, ['otp_device_id']);

export function merchantRoutes(app: FastifyInstance, merchants: MerchantService, service: IntermediaryService, adminToken: string): void {
  // Credentials are checked before the body is validated, as on every endpoint.
  const user = async (request: FastifyRequest) => {
    const token = bearerToken(request);
    if (token === undefined) throw unauthorized('This endpoint needs a bearer token (a user token, or the admin token).');
    if (sameToken(token, adminToken)) {
      request.merchantActor = { userId: undefined };
      return;
    }
    const userId = await service.userByToken(token);
    if (userId === undefined) throw unauthorized('The bearer token is not a user of this intermediary.');
    request.merchantActor = { userId };
  };
  const merchantOf = (request: FastifyRequest) =>
    MerchantService.actFor(request.merchantActor!.userId, (request.params as { merchantId?: string }).merchantId);
  const deviceIdOf = (request: FastifyRequest) => (request.params as { deviceId: string }).deviceId;
  const noContent = (reply: FastifyReply) => reply.code(204).send();

  for (const prefix of ['', '/instances/:merchantId'] as const) {
    const withMerchant = (params: Record<string, unknown> = {}) => object(prefix === '' ? params : { merchantId: uuid, ...params });
    const deviceParams = withMerchant({ deviceId: otpDeviceId });

    app.post(`${prefix}/private/otp-devices`, { preValidation: user, schema: { params: withMerchant(), body: addBody } }, async (request, reply) => {
      const generated = await merchants.addDevice(merchantOf(request), request.body as OtpDeviceAddDetails);
      return generated === undefined ? noContent(reply) : generated;
    });
    app.get(`${prefix}/private/otp-devices`, { preValidation: user, schema: { params: withMerchant() } }, async (request) => merchants.listDevices(merchantOf(request)));
    app.get(`${prefix}/private/otp-devices/:deviceId`, { preValidation: user, schema: { params: deviceParams, querystring: deviceQuery } }, async (request) =>
      merchants.device(merchantOf(request), deviceIdOf(request), request.query as { faketime?: string; price?: string }),
    );
    app.patch(`${prefix}/private/otp-devices/:deviceId`, { preValidation: user, schema: { params: deviceParams, body: patchBody } }, async (request, reply) => {
      await merchants.patchDevice(merchantOf(request), deviceIdOf(request), request.body as OtpDevicePatchDetails);
      return noContent(reply);
    });
    app.delete(`${prefix}/private/otp-devices/:deviceId`, { preValidation: user, schema: { params: deviceParams } }, async (request, reply) => {
      await merchants.deleteDevice(merchantOf(request), deviceIdOf(request));
      return noContent(reply);
    });
  }

  app.post('/online-payments', { preValidation: user, schema: { body: paymentBody } }, async (request) => {
    const buyer = request.merchantActor!.userId;
    if (buyer === undefined) throw forbidden("An online payment is made by its buyer: use the buyer's user token, not the admin token.");
    return merchants.pay(buyer, request.body as OnlinePaymentRequest, idempotencyKeyOf(request), request.rawBody);
  });
  app.get('/online-payments/:paymentId', { preValidation: user, schema: { params: object({ paymentId: uuid }) } }, async (request) =>
    merchants.payment((request.params as { paymentId: string }).paymentId, request.merchantActor!.userId),
  );
}
