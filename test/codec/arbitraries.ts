// fast-check arbitraries of valid protocol values, for round-trip properties.

import fc from 'fast-check';
import type { CardCertificateBody, IntermediaryCertificateBody } from '../../host/src/codec/certificates.ts';
import { getPublicKey, privateKeyFromScalar, P256_ORDER } from '../../host/src/codec/ecdsa.ts';
import type { Instruction } from '../../host/src/codec/instructions.ts';
import type { DefundConfirmation, PaymentRequest, Report, Transaction } from '../../host/src/codec/messages.ts';
import type { Policy } from '../../host/src/codec/policy.ts';
import { LIMIT, ROLE, STATE } from '../../host/src/codec/protocol-constants.ts';
import type { LogRecord } from '../../host/src/codec/records.ts';
import { MAX_AMOUNT } from '../../host/src/codec/wallet.ts';

export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const u8 = fc.integer({ min: 0, max: 0xff });
export const amount = fc.integer({ min: 1, max: MAX_AMOUNT });
export const balance = fc.integer({ min: 0, max: MAX_AMOUNT });
export const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
export const cardId = bytes(8);
export const reference = bytes(8);
export const challenge = bytes(16);
/** A few fixed points (deriving many keys is slow). */
export const publicKey = fc.constantFrom(...[1n, 2n, 3n, P256_ORDER - 1n, 0xdeadbeefn].map((d) => getPublicKey(privateKeyFromScalar(d))));

export const intermediaryCertificateBody: fc.Arbitrary<IntermediaryCertificateBody> = fc.record({ intermediaryId: u32, publicKey });
export const cardCertificateBody: fc.Arbitrary<CardCertificateBody> = fc.record({
  cardId,
  role: fc.constantFrom(ROLE.USER, ROLE.MERCHANT),
  intermediaryId: u32,
  publicKey,
});
export const request: fc.Arbitrary<PaymentRequest> = fc.record({ recipientId: cardId, recipientIntermediary: u32, requestNo: u32, amount, reference });
export const transaction: fc.Arbitrary<Transaction> = fc.record({
  payerId: cardId,
  payerSeq: u32,
  payerIntermediary: u32,
  recipientId: cardId,
  recipientIntermediary: u32,
  requestNo: u32,
  amount,
  reference,
});
export const report: fc.Arbitrary<Report> = fc.record({
  cardId,
  challenge,
  stateCounter: u32,
  orderSeq: u32,
  balance,
  lastSyncBalance: balance,
  txSeq: u32,
  requestSeq: u32,
  policyVersion: u32,
  state: fc.constantFrom(...Object.values(STATE)),
  recordCount: fc.integer({ min: 0, max: LIMIT.LOG_CAPACITY }),
  recordsDigest: bytes(32),
  openAmount: balance,
});
export const defundConfirmation: fc.Arbitrary<DefundConfirmation> = fc.record({ cardId, challenge, orderSeq: u32, amount, balance, stateCounter: u32 });
export const policy: fc.Arbitrary<Policy> = fc.record({
  version: u32,
  maxPayments: u8,
  maxPaymentAmount: u32,
  maxBalance: u32,
  maxReceivedCount: u8,
  maxReceivedAmount: u32,
  flags: u8,
});
const header = { cardId, challenge, stateCounter: u32 };
export const instruction: fc.Arbitrary<Instruction> = fc.oneof(
  fc.record({ kind: fc.constant('TOP_UP' as const), ...header, orderSeq: u32, amount }),
  fc.record({ kind: fc.constant('DEFUND' as const), ...header, orderSeq: u32, amount }),
  fc.record({ kind: fc.constant('POLICY' as const), ...header, policy }),
  fc.record({ kind: fc.constant('UNBLOCK_PIN' as const), ...header }),
  fc.record({ kind: fc.constant('LIFECYCLE' as const), ...header, state: fc.constantFrom(STATE.ACTIVE, STATE.BLOCKED, STATE.TERMINATED) }),
  fc.record({ kind: fc.constant('SYNC_RESULT' as const), ...header, recordCount: fc.integer({ min: 0, max: LIMIT.LOG_CAPACITY }), newBalance: balance }),
);
const signature = bytes(64);
export const record: fc.Arbitrary<LogRecord> = fc.oneof(
  fc.record({ kind: fc.constant('OUTGOING' as const), voided: fc.boolean(), transaction, signature }),
  fc.record({ kind: fc.constant('INCOMING' as const), voided: fc.constant(false), transaction, signature }),
  fc.record({ kind: fc.constant('DECLINED' as const), voided: fc.constant(false as const), decline: request, signature }),
  fc.record({
    kind: fc.constantFrom('TOP_UP' as const, 'DEFUND' as const),
    voided: fc.constant(false as const),
    orderSeq: u32,
    amount,
    challenge,
    stateCounter: u32,
    signature,
  }),
);
