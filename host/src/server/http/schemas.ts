// JSON schema pieces for request bodies: every field typed, bounded and patterned, no extra properties.
// Byte strings travel as hex (either case); amounts as integers of öre.

import { LEN } from '../../codec/protocol-constants.ts';

export const MAX_AMOUNT = 0x7fffffff;
export const MAX_U32 = 0xffffffff;

/** Exactly `bytes` bytes of hex. */
export const hex = (bytes: number) => ({ type: 'string', pattern: `^[0-9A-Fa-f]{${bytes * 2}}$` }) as const;

export const amount = { type: 'integer', minimum: 1, maximum: MAX_AMOUNT } as const;
export const u32 = { type: 'integer', minimum: 0, maximum: MAX_U32 } as const;
export const intermediaryId = { type: 'integer', minimum: 1, maximum: MAX_U32 } as const;
export const uuid = { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' } as const;
export const name = { type: 'string', minLength: 1, maxLength: 80, pattern: '^[^\\u0000-\\u001f]*$' } as const;
export const httpUrl = { type: 'string', maxLength: 200, pattern: '^https?://[A-Za-z0-9.\\-\\[\\]:]+(:[0-9]{1,5})?/?$' } as const;

/** An object schema: the listed properties, all required unless named in `optional`, nothing else. */
export function object(properties: Record<string, unknown>, optional: string[] = []): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
  };
}

export const cardIdParams = object({ cardId: hex(LEN.CARD_ID) });

/** The answer of GET CHALLENGE, as the flows hand it to an instruction signer. */
export const challengeAnswer = object({
  challenge: hex(LEN.CHALLENGE),
  cardId: hex(LEN.CARD_ID),
  stateCounter: u32,
  orderSeq: u32,
  balance: { type: 'integer', minimum: 0, maximum: MAX_AMOUNT },
});

export const policy = object({
  version: u32,
  maxPayments: { type: 'integer', minimum: 0, maximum: 255 },
  maxPaymentAmount: { type: 'integer', minimum: 0, maximum: MAX_AMOUNT },
  maxBalance: { type: 'integer', minimum: 0, maximum: MAX_AMOUNT },
  maxReceivedCount: { type: 'integer', minimum: 0, maximum: 255 },
  maxReceivedAmount: { type: 'integer', minimum: 0, maximum: MAX_AMOUNT },
  flags: { type: 'integer', minimum: 0, maximum: 255 },
});

/** A signed transaction as it travels between services: body (46 bytes) and the payer's signature (64). */
export const signedTransaction = object({ body: hex(LEN.TX), signature: hex(LEN.SIGNATURE) });

/** At most this many items in one service request. */
export const MAX_ITEMS = 128;

export const items = (item: Record<string, unknown>) => object({ items: { type: 'array', minItems: 1, maxItems: MAX_ITEMS, items: item } });
