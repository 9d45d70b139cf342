// Writes test/codec/vectors/wallet-structures.json: fixed vectors for every structure of docs/PROTOCOL.md.
//
//   npx tsx test/codec/vectors/generate-wallet-vectors.ts          # rewrite the file
//   npx tsx test/codec/vectors/generate-wallet-vectors.ts --check  # exit 1 when the file is not what it would write
//
// Independence: the bytes of each vector are written here from an explicit field list in the order of the
// protocol document (`layout`, one [field, hex] pair per field), not with the codec's encoders or the generated
// offsets, so the tests compare two implementations of each layout. Signatures are made with the codec's `sign`
// (deterministic, RFC 6979) and the tests check each one again with node:crypto, an independent ECDSA. Keys are
// fixed scalars derived from labels. Once written, the file is the reference: change it only with a reason.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isValidPublicKey, sha256, sign, signatureToDer } from '../../../host/src/codec/ecdsa.ts';
import { toHex } from '../../../host/src/codec/hex.ts';
import { testKeyPair } from '../../support/pki.ts';

type Layout = [string, string][];

const hexU32 = (v: number) => v.toString(16).toUpperCase().padStart(8, '0');
const hexU8 = (v: number) => v.toString(16).toUpperCase().padStart(2, '0');
const join = (layout: Layout) => layout.map(([, h]) => h).join('');
const repeat = (byte: string, n: number) => byte.repeat(n);

const labels = {
  root: 'vectors: central bank root',
  intermediaryA: 'vectors: intermediary A',
  intermediaryB: 'vectors: intermediary B',
  card1: 'vectors: card 1 (user)',
  card2: 'vectors: card 2 (merchant)',
} as const;
type KeyName = keyof typeof labels;
const keys = Object.fromEntries(Object.entries(labels).map(([name, label]) => [name, testKeyPair(label)])) as Record<KeyName, ReturnType<typeof testKeyPair>>;
const pub = (k: KeyName) => toHex(keys[k].publicKey);

interface Valid {
  name: string;
  value: unknown;
  layout: Layout;
  hex: string;
  signer?: KeyName;
  signature?: string;
  der?: string;
}
interface Invalid {
  name: string;
  hex: string;
  field: string;
}

function valid(name: string, value: unknown, layout: Layout, signer?: KeyName): Valid {
  const hex = join(layout);
  const out: Valid = { name, value, layout, hex };
  if (signer) {
    const signature = sign(Buffer.from(hex, 'hex'), keys[signer].privateKey);
    out.signer = signer;
    out.signature = toHex(signature);
    out.der = toHex(signatureToDer(signature));
  }
  return out;
}

/** `hex` with the byte at `offset` replaced. */
function patch(hex: string, offset: number, byteHex: string): string {
  return hex.slice(0, offset * 2) + byteHex + hex.slice(offset * 2 + byteHex.length);
}

// ------------------------------------------------------------------------------------------------ identifiers

const ID_A = 1;
const ID_B = 0x0b0000ff;
const CARD1 = '0000000100000007';
const CARD2 = '0B0000FF00000002';
const REF = '494E562D30303432'; // "INV-0042"
const CHALLENGE = '00112233445566778899AABBCCDDEEFF';
const CHALLENGE2 = 'F0E1D2C3B4A5968778695A4B3C2D1E0F';

// ------------------------------------------------------------------------------------------------ structures

const icert = (name: string, id: number, key: KeyName) =>
  valid(name, { intermediaryId: id, publicKey: pub(key) }, [
    ['tag', '11'],
    ['version', '01'],
    ['intermediaryId', hexU32(id)],
    ['publicKey', pub(key)],
  ], 'root');

const ccert = (name: string, cardId: string, role: number, id: number, key: KeyName, signer: KeyName) =>
  valid(name, { cardId, role, intermediaryId: id, publicKey: pub(key) }, [
    ['tag', '12'],
    ['version', '01'],
    ['cardId', cardId],
    ['role', hexU8(role)],
    ['intermediaryId', hexU32(id)],
    ['publicKey', pub(key)],
  ], signer);

const requestLike = (tag: string, name: string, v: { recipientId: string; recipientIntermediary: number; requestNo: number; amount: number; reference: string }, signer: KeyName) =>
  valid(name, v, [
    ['tag', tag],
    ['version', '01'],
    ['recipientId', v.recipientId],
    ['recipientIntermediary', hexU32(v.recipientIntermediary)],
    ['requestNo', hexU32(v.requestNo)],
    ['amount', hexU32(v.amount)],
    ['reference', v.reference],
  ], signer);

interface Tx { payerId: string; payerSeq: number; payerIntermediary: number; recipientId: string; recipientIntermediary: number; requestNo: number; amount: number; reference: string }
const txLayout = (v: Tx): Layout => [
  ['tag', '22'],
  ['version', '01'],
  ['payerId', v.payerId],
  ['payerSeq', hexU32(v.payerSeq)],
  ['payerIntermediary', hexU32(v.payerIntermediary)],
  ['recipientId', v.recipientId],
  ['recipientIntermediary', hexU32(v.recipientIntermediary)],
  ['requestNo', hexU32(v.requestNo)],
  ['amount', hexU32(v.amount)],
  ['reference', v.reference],
];

interface Pol { version: number; maxPayments: number; maxPaymentAmount: number; maxBalance: number; maxReceivedCount: number; maxReceivedAmount: number; flags: number }
const policyLayout = (p: Pol): Layout => [
  ['version', hexU32(p.version)],
  ['maxPayments', hexU8(p.maxPayments)],
  ['maxPaymentAmount', hexU32(p.maxPaymentAmount)],
  ['maxBalance', hexU32(p.maxBalance)],
  ['maxReceivedCount', hexU8(p.maxReceivedCount)],
  ['maxReceivedAmount', hexU32(p.maxReceivedAmount)],
  ['flags', hexU8(p.flags)],
];
const USER_DEFAULT: Pol = { version: 0, maxPayments: 5, maxPaymentAmount: 300000, maxBalance: 300000, maxReceivedCount: 12, maxReceivedAmount: 300000, flags: 1 };
const MERCHANT_DEFAULT: Pol = { version: 0, maxPayments: 5, maxPaymentAmount: 2000000, maxBalance: 2000000, maxReceivedCount: 12, maxReceivedAmount: 2000000, flags: 0 };
const POLICY_7: Pol = { version: 7, maxPayments: 10, maxPaymentAmount: 50000, maxBalance: 1000000, maxReceivedCount: 14, maxReceivedAmount: 0x7fffffff, flags: 1 };

const header = (tag: string, cardId: string, challenge: string, stateCounter: number): Layout => [
  ['tag', tag],
  ['version', '01'],
  ['cardId', cardId],
  ['challenge', challenge],
  ['stateCounter', hexU32(stateCounter)],
];

const TX1: Tx = { payerId: CARD1, payerSeq: 0, payerIntermediary: ID_A, recipientId: CARD2, recipientIntermediary: ID_B, requestNo: 3, amount: 12550, reference: REF };
const TX2: Tx = { payerId: CARD2, payerSeq: 0xfffffffe, payerIntermediary: ID_B, recipientId: CARD1, recipientIntermediary: ID_A, requestNo: 0xffffffff, amount: 0x7fffffff, reference: '0000000000000000' };
const REQ1 = { recipientId: CARD2, recipientIntermediary: ID_B, requestNo: 3, amount: 12550, reference: REF };
const REQ2 = { recipientId: CARD1, recipientIntermediary: ID_A, requestNo: 0, amount: 1, reference: 'FFFFFFFFFFFFFFFF' };

const sig = (v: Valid) => v.signature!;

const transactions = [valid('card 1 pays card 2, first payment', TX1, txLayout(TX1), 'card1'), valid('largest amount and counters', TX2, txLayout(TX2), 'card2')];
const declines = [requestLike('23', 'card 2 declines request 3', REQ1, 'card2')];

// records: body in bytes 2..47, signature in 48..111
const record = (name: string, kind: string, status: string, value: unknown, body: Layout, padBytes: number, signature: string) =>
  valid(name, value, [['kind', kind], ['status', status], ...body, ...(padBytes > 0 ? ([['padding', repeat('00', padBytes)]] as Layout) : []), ['signature', signature]]);

const orderBody = (orderSeq: number, amount: number, challenge: string, stateCounter: number): Layout => [
  ['orderSeq', hexU32(orderSeq)],
  ['amount', hexU32(amount)],
  ['challenge', challenge],
  ['stateCounter', hexU32(stateCounter)],
];

const topUpInstr = valid('top-up of SEK 500, order 0', { kind: 'TOP_UP', cardId: CARD1, challenge: CHALLENGE, stateCounter: 0, orderSeq: 0, amount: 50000 }, [
  ...header('41', CARD1, CHALLENGE, 0),
  ['orderSeq', hexU32(0)],
  ['amount', hexU32(50000)],
], 'intermediaryA');
const defundInstr = valid('de-fund of SEK 100, order 5', { kind: 'DEFUND', cardId: CARD1, challenge: CHALLENGE2, stateCounter: 9, orderSeq: 5, amount: 10000 }, [
  ...header('42', CARD1, CHALLENGE2, 9),
  ['orderSeq', hexU32(5)],
  ['amount', hexU32(10000)],
], 'intermediaryA');

const records = [
  record('outgoing payment', '01', '00', { kind: 'OUTGOING', voided: false, transaction: TX1, signature: sig(transactions[0]) }, txLayout(TX1), 0, sig(transactions[0])),
  record('outgoing payment, voided', '01', '01', { kind: 'OUTGOING', voided: true, transaction: TX1, signature: sig(transactions[0]) }, txLayout(TX1), 0, sig(transactions[0])),
  record('incoming payment', '02', '00', { kind: 'INCOMING', voided: false, transaction: TX2, signature: sig(transactions[1]) }, txLayout(TX2), 0, sig(transactions[1])),
  record('declined request', '03', '00', { kind: 'DECLINED', voided: false, decline: REQ1, signature: sig(declines[0]) }, declines[0].layout, 16, sig(declines[0])),
  record('applied top-up', '04', '00', { kind: 'TOP_UP', voided: false, orderSeq: 0, amount: 50000, challenge: CHALLENGE, stateCounter: 0, signature: sig(topUpInstr) }, orderBody(0, 50000, CHALLENGE, 0), 18, sig(topUpInstr)),
  record('applied de-fund', '05', '00', { kind: 'DEFUND', voided: false, orderSeq: 5, amount: 10000, challenge: CHALLENGE2, stateCounter: 9, signature: sig(defundInstr) }, orderBody(5, 10000, CHALLENGE2, 9), 18, sig(defundInstr)),
];

const digestOf = (hexes: string[]) => toHex(sha256(Buffer.from(hexes.join(''), 'hex')));

const reportValue = (recordHexes: string[], v: { stateCounter: number; orderSeq: number; balance: number; lastSyncBalance: number; txSeq: number; requestSeq: number; policyVersion: number; state: number; challenge: string; openAmount: number }) => ({
  cardId: CARD1,
  challenge: v.challenge,
  stateCounter: v.stateCounter,
  orderSeq: v.orderSeq,
  balance: v.balance,
  lastSyncBalance: v.lastSyncBalance,
  txSeq: v.txSeq,
  requestSeq: v.requestSeq,
  policyVersion: v.policyVersion,
  state: v.state,
  recordCount: recordHexes.length,
  recordsDigest: digestOf(recordHexes),
  openAmount: v.openAmount,
});
const reportLayout = (r: ReturnType<typeof reportValue>): Layout => [
  ['tag', '24'],
  ['version', '01'],
  ['cardId', r.cardId],
  ['challenge', r.challenge],
  ['stateCounter', hexU32(r.stateCounter)],
  ['orderSeq', hexU32(r.orderSeq)],
  ['balance', hexU32(r.balance)],
  ['lastSyncBalance', hexU32(r.lastSyncBalance)],
  ['txSeq', hexU32(r.txSeq)],
  ['requestSeq', hexU32(r.requestSeq)],
  ['policyVersion', hexU32(r.policyVersion)],
  ['state', hexU8(r.state)],
  ['recordCount', hexU8(r.recordCount)],
  ['recordsDigest', r.recordsDigest],
  ['openAmount', hexU32(r.openAmount)],
];
const emptyReport = reportValue([], { stateCounter: 0, orderSeq: 0, balance: 0, lastSyncBalance: 0, txSeq: 0, requestSeq: 0, policyVersion: 0, state: 2, challenge: CHALLENGE, openAmount: 0 });
// Consistent with the balance rule: 0 + 50000 (top-up) - 12550 (outgoing) = 37450 (a decline moves nothing).
const fullReport = reportValue([records[4].hex, records[0].hex, records[3].hex], {
  stateCounter: 3, orderSeq: 1, balance: 37450, lastSyncBalance: 0, txSeq: 1, requestSeq: 0, policyVersion: 7, state: 3, challenge: CHALLENGE2, openAmount: 20000,
});

const confirmation = { cardId: CARD1, challenge: CHALLENGE2, orderSeq: 5, amount: 10000, balance: 2500, stateCounter: 10 };

const structures = {
  intermediaryCertificateBody: {
    valid: [icert('intermediary A (id 1)', ID_A, 'intermediaryA'), icert('intermediary B (id 0B0000FF)', ID_B, 'intermediaryB')],
  },
  cardCertificateBody: {
    valid: [
      ccert('user card of intermediary A', CARD1, 1, ID_A, 'card1', 'intermediaryA'),
      ccert('merchant card of intermediary B', CARD2, 2, ID_B, 'card2', 'intermediaryB'),
    ],
  },
  request: {
    valid: [requestLike('21', 'request 3 of card 2, SEK 125.50', REQ1, 'card2'), requestLike('21', 'request 0 of card 1, 1 öre', REQ2, 'card1')],
  },
  decline: { valid: declines },
  transaction: { valid: transactions },
  report: {
    valid: [
      valid('empty log, new card', emptyReport, reportLayout(emptyReport), 'card1'),
      valid('three records, blocked card', fullReport, reportLayout(fullReport), 'card1'),
    ],
  },
  defundConfirmation: {
    valid: [
      valid('de-fund of order 5', confirmation, [
        ['tag', '25'],
        ['version', '01'],
        ['cardId', CARD1],
        ['challenge', CHALLENGE2],
        ['orderSeq', hexU32(5)],
        ['amount', hexU32(10000)],
        ['balance', hexU32(2500)],
        ['stateCounter', hexU32(10)],
      ], 'card1'),
    ],
  },
  policy: {
    valid: [
      valid('USER default', USER_DEFAULT, policyLayout(USER_DEFAULT)),
      valid('MERCHANT default', MERCHANT_DEFAULT, policyLayout(MERCHANT_DEFAULT)),
      valid('version 7', POLICY_7, policyLayout(POLICY_7)),
    ],
  },
  instruction: {
    valid: [
      topUpInstr,
      defundInstr,
      valid('policy version 7', { kind: 'POLICY', cardId: CARD2, challenge: CHALLENGE, stateCounter: 0x01020304, policy: POLICY_7 }, [
        ...header('43', CARD2, CHALLENGE, 0x01020304),
        ...policyLayout(POLICY_7),
      ], 'intermediaryB'),
      valid('PIN unblock', { kind: 'UNBLOCK_PIN', cardId: CARD1, challenge: CHALLENGE, stateCounter: 4 }, header('44', CARD1, CHALLENGE, 4), 'intermediaryA'),
      valid('block', { kind: 'LIFECYCLE', cardId: CARD1, challenge: CHALLENGE, stateCounter: 4, state: 3 }, [...header('45', CARD1, CHALLENGE, 4), ['state', '03']], 'intermediaryA'),
      valid('terminate', { kind: 'LIFECYCLE', cardId: CARD1, challenge: CHALLENGE2, stateCounter: 5, state: 4 }, [...header('45', CARD1, CHALLENGE2, 5), ['state', '04']], 'intermediaryA'),
      valid('sync result, 3 records', { kind: 'SYNC_RESULT', cardId: CARD1, challenge: CHALLENGE2, stateCounter: 3, recordCount: 3, newBalance: 0x7fffffff }, [
        ...header('46', CARD1, CHALLENGE2, 3),
        ['recordCount', '03'],
        ['newBalance', hexU32(0x7fffffff)],
      ], 'intermediaryA'),
      valid('sync result, empty log, zero balance', { kind: 'SYNC_RESULT', cardId: CARD1, challenge: CHALLENGE, stateCounter: 0, recordCount: 0, newBalance: 0 }, [
        ...header('46', CARD1, CHALLENGE, 0),
        ['recordCount', '00'],
        ['newBalance', hexU32(0)],
      ], 'intermediaryA'),
    ],
  },
  record: { valid: records },
} as Record<string, { valid: Valid[]; invalid?: Invalid[] }>;

// ------------------------------------------------------------------------------------------ answers (decode only)

const statusValue = {
  protocolVersion: 1, role: 1, state: 2, cardId: CARD1, intermediaryId: ID_A, balance: 37450, spendable: 37450, stateCounter: 3, txSeq: 1, orderSeq: 1,
  payments: 1, receivedCount: 0, receivedAmount: 0, logCount: 2, logCapacity: 32, openRequests: 1, openAmount: 990, pinTries: 3, policy: USER_DEFAULT,
};
const statusLayout = (s: typeof statusValue): Layout => [
  ['protocolVersion', hexU8(s.protocolVersion)],
  ['role', hexU8(s.role)],
  ['state', hexU8(s.state)],
  ['cardId', s.cardId],
  ['intermediaryId', hexU32(s.intermediaryId)],
  ['balance', hexU32(s.balance)],
  ['spendable', hexU32(s.spendable)],
  ['stateCounter', hexU32(s.stateCounter)],
  ['txSeq', hexU32(s.txSeq)],
  ['orderSeq', hexU32(s.orderSeq)],
  ['payments', hexU8(s.payments)],
  ['receivedCount', hexU8(s.receivedCount)],
  ['receivedAmount', hexU32(s.receivedAmount)],
  ['logCount', hexU8(s.logCount)],
  ['logCapacity', hexU8(s.logCapacity)],
  ['openRequests', hexU8(s.openRequests)],
  ['openAmount', hexU32(s.openAmount)],
  ['pinTries', hexU8(s.pinTries)],
  ...policyLayout(s.policy),
];
const blankStatus = { ...statusValue, role: 0, state: 1, cardId: '0000000000000000', intermediaryId: 0, balance: 0, spendable: 0, stateCounter: 0, txSeq: 0, orderSeq: 0, payments: 0, logCount: 0, openRequests: 0, openAmount: 0, policy: { version: 0, maxPayments: 0, maxPaymentAmount: 0, maxBalance: 0, maxReceivedCount: 0, maxReceivedAmount: 0, flags: 0 } };
const merchantStatus = { ...statusValue, role: 2, cardId: CARD2, intermediaryId: ID_B, balance: 2000000, spendable: 0, payments: 0, receivedCount: 12, receivedAmount: 2000000, logCount: 12, openRequests: 4, openAmount: 0, pinTries: 0, state: 3, policy: MERCHANT_DEFAULT };

const challengeValue = { challenge: CHALLENGE, cardId: CARD1, stateCounter: 7, orderSeq: 2, balance: 300000 };

const answers = {
  status: {
    valid: [
      valid('personalised user card', statusValue, statusLayout(statusValue)),
      valid('blank card before personalisation', blankStatus, statusLayout(blankStatus)),
      valid('blocked merchant card with a full receipt allowance', merchantStatus, statusLayout(merchantStatus)),
    ],
  },
  challengeAnswer: {
    valid: [
      valid('challenge for card 1', challengeValue, [
        ['challenge', CHALLENGE],
        ['cardId', CARD1],
        ['stateCounter', hexU32(7)],
        ['orderSeq', hexU32(2)],
        ['balance', hexU32(300000)],
      ]),
    ],
  },
} as Record<string, { valid: Valid[]; invalid?: Invalid[] }>;

// ------------------------------------------------------------------------------------------------ refusals

const first = (group: Record<string, { valid: Valid[] }>, key: string, i = 0) => group[key].valid[i].hex;
// Keys in certificates are checked for form only (04, X and Y below p): PROTOCOL-CHANGES 2026-11-23.
const P_HEX = 'FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF';
const xNotBelowP = '04' + 'FF'.repeat(32) + pub('card1').slice(66);
const yEqualToP = pub('card1').slice(0, 66) + P_HEX;
if (isValidPublicKey(Buffer.from(xNotBelowP, 'hex')) || isValidPublicKey(Buffer.from(yEqualToP, 'hex'))) throw new Error('not invalid');

{
  const body = first(structures, 'intermediaryCertificateBody');
  structures.intermediaryCertificateBody.invalid = [
    { name: 'one byte short', hex: body.slice(0, -2), field: 'intermediaryCertificate body' },
    { name: 'card certificate tag', hex: patch(body, 0, '12'), field: 'intermediaryCertificate.tag' },
    { name: 'format version 02', hex: patch(body, 1, '02'), field: 'intermediaryCertificate.version' },
    { name: 'compressed-point prefix 03', hex: patch(body, 6, '03'), field: 'intermediaryCertificate.publicKey' },
    { name: 'X of the key not below p', hex: body.slice(0, 12) + xNotBelowP, field: 'intermediaryCertificate.publicKey' },
    { name: 'Y of the key equal to p', hex: body.slice(0, 12) + yEqualToP, field: 'intermediaryCertificate.publicKey' },
  ];
}
{
  const body = first(structures, 'cardCertificateBody');
  structures.cardCertificateBody.invalid = [
    { name: 'one byte too long', hex: body + '00', field: 'cardCertificate body' },
    { name: 'intermediary certificate tag', hex: patch(body, 0, '11'), field: 'cardCertificate.tag' },
    { name: 'format version 00', hex: patch(body, 1, '00'), field: 'cardCertificate.version' },
    { name: 'role 00', hex: patch(body, 10, '00'), field: 'cardCertificate.role' },
    { name: 'role 03', hex: patch(body, 10, '03'), field: 'cardCertificate.role' },
    { name: 'X of the key not below p', hex: body.slice(0, 30) + xNotBelowP, field: 'cardCertificate.publicKey' },
    { name: 'key of 65 zero bytes', hex: body.slice(0, 30) + '00'.repeat(65), field: 'cardCertificate.publicKey' },
  ];
}
{
  const body = first(structures, 'request');
  structures.request.invalid = [
    { name: 'one byte short', hex: body.slice(0, -2), field: 'request' },
    { name: 'decline tag', hex: patch(body, 0, '23'), field: 'request.tag' },
    { name: 'format version 02', hex: patch(body, 1, '02'), field: 'request.version' },
    { name: 'amount zero', hex: patch(body, 18, '00000000'), field: 'request.amount' },
    { name: 'amount 0x80000000', hex: patch(body, 18, '80000000'), field: 'request.amount' },
  ];
  const decline = first(structures, 'decline');
  structures.decline.invalid = [
    { name: 'request tag', hex: patch(decline, 0, '21'), field: 'decline.tag' },
    { name: 'amount zero', hex: patch(decline, 18, '00000000'), field: 'decline.amount' },
    { name: 'one byte too long', hex: decline + 'FF', field: 'decline' },
  ];
}
{
  const body = first(structures, 'transaction');
  structures.transaction.invalid = [
    { name: 'one byte too long', hex: body + '00', field: 'transaction' },
    { name: 'request tag', hex: patch(body, 0, '21'), field: 'transaction.tag' },
    { name: 'format version 02', hex: patch(body, 1, '02'), field: 'transaction.version' },
    { name: 'amount zero', hex: patch(body, 34, '00000000'), field: 'transaction.amount' },
    { name: 'amount 0xFFFFFFFF', hex: patch(body, 34, 'FFFFFFFF'), field: 'transaction.amount' },
  ];
}
{
  const body = first(structures, 'report');
  structures.report.invalid = [
    { name: 'the old 96-byte report', hex: body + repeat('00', 8), field: 'report' },
    { name: 'transaction tag', hex: patch(body, 0, '22'), field: 'report.tag' },
    { name: 'format version 02', hex: patch(body, 1, '02'), field: 'report.version' },
    { name: 'state 00', hex: patch(body, 54, '00'), field: 'report.state' },
    { name: 'state 05', hex: patch(body, 54, '05'), field: 'report.state' },
    { name: 'record count above the log capacity', hex: patch(body, 55, '21'), field: 'report.recordCount' },
    { name: 'balance 0x80000000', hex: patch(body, 34, '80000000'), field: 'report.balance' },
    { name: 'last sync balance 0xFFFFFFFF', hex: patch(body, 38, 'FFFFFFFF'), field: 'report.lastSyncBalance' },
  ];
}
{
  const body = first(structures, 'defundConfirmation');
  structures.defundConfirmation.invalid = [
    { name: 'one byte short', hex: body.slice(0, -2), field: 'defundConfirmation' },
    { name: 'report tag', hex: patch(body, 0, '24'), field: 'defundConfirmation.tag' },
    { name: 'format version 02', hex: patch(body, 1, '02'), field: 'defundConfirmation.version' },
    { name: 'amount zero', hex: patch(body, 30, '00000000'), field: 'defundConfirmation.amount' },
    { name: 'balance 0x80000000', hex: patch(body, 34, '80000000'), field: 'defundConfirmation.balance' },
  ];
}
{
  const body = first(structures, 'policy');
  structures.policy.invalid = [
    { name: 'one byte short', hex: body.slice(0, -2), field: 'policy' },
    { name: 'one byte too long', hex: body + '00', field: 'policy' },
  ];
}
{
  const topUp = first(structures, 'instruction', 0);
  const lifecycle = first(structures, 'instruction', 4);
  const sync = first(structures, 'instruction', 6);
  const policy = first(structures, 'instruction', 2);
  structures.instruction.invalid = [
    { name: 'shorter than a header', hex: topUp.slice(0, 29 * 2), field: 'instruction' },
    { name: 'unknown tag 47', hex: patch(topUp, 0, '47'), field: 'instruction.tag' },
    { name: 'a card message tag (transaction)', hex: patch(topUp, 0, '22'), field: 'instruction.tag' },
    { name: 'top-up one byte short', hex: topUp.slice(0, -2), field: 'instruction' },
    { name: 'top-up bytes under the policy tag (wrong length for a policy)', hex: patch(topUp, 0, '43'), field: 'instruction' },
    { name: 'format version 02', hex: patch(topUp, 1, '02'), field: 'instruction.version' },
    { name: 'top-up amount zero', hex: patch(topUp, 34, '00000000'), field: 'instruction.amount' },
    { name: 'top-up amount 0x80000000', hex: patch(topUp, 34, '80000000'), field: 'instruction.amount' },
    { name: 'lifecycle to PERSONALISING', hex: patch(lifecycle, 30, '01'), field: 'instruction.state' },
    { name: 'lifecycle to state 05', hex: patch(lifecycle, 30, '05'), field: 'instruction.state' },
    { name: 'sync result with 33 records', hex: patch(sync, 30, '21'), field: 'instruction.recordCount' },
    { name: 'sync result balance 0x80000000', hex: patch(sync, 31, '80000000'), field: 'instruction.newBalance' },
    { name: 'policy one byte short', hex: policy.slice(0, -2), field: 'instruction' },
  ];
}
{
  const out = first(structures, 'record', 0);
  const incoming = first(structures, 'record', 2);
  const declined = first(structures, 'record', 3);
  const order = first(structures, 'record', 4);
  structures.record.invalid = [
    { name: 'one byte short', hex: out.slice(0, -2), field: 'record' },
    { name: 'kind 00', hex: patch(out, 0, '00'), field: 'record.kind' },
    { name: 'kind 06', hex: patch(out, 0, '06'), field: 'record.kind' },
    { name: 'status 02', hex: patch(out, 1, '02'), field: 'record.status' },
    { name: 'VOID on an incoming payment', hex: patch(incoming, 1, '01'), field: 'record.status' },
    { name: 'VOID on a top-up', hex: patch(order, 1, '01'), field: 'record.status' },
    { name: 'outgoing record whose body is a request', hex: patch(out, 2, '21'), field: 'transaction.tag' },
    { name: 'declined record whose body is a request', hex: patch(declined, 2, '21'), field: 'decline.tag' },
    { name: 'declined record with a non-zero padding byte', hex: patch(declined, 47, '01'), field: 'record padding' },
    { name: 'order record with a non-zero padding byte', hex: patch(order, 30, '80'), field: 'record padding' },
    { name: 'order record with amount zero', hex: patch(order, 6, '00000000'), field: 'record.amount' },
  ];
}
{
  const status = first(answers, 'status');
  answers.status.invalid = [
    { name: 'one byte short', hex: status.slice(0, -2), field: 'status' },
    { name: 'role 03', hex: patch(status, 1, '03'), field: 'status.role' },
    { name: 'state 00', hex: patch(status, 2, '00'), field: 'status.state' },
    { name: 'state 05', hex: patch(status, 2, '05'), field: 'status.state' },
    { name: 'balance 0x80000000', hex: patch(status, 15, '80000000'), field: 'status.balance' },
    { name: 'log count 33', hex: patch(status, 41, '21'), field: 'status.logCount' },
    { name: 'open requests 5', hex: patch(status, 43, '05'), field: 'status.openRequests' },
    { name: 'PIN tries 4', hex: patch(status, 48, '04'), field: 'status.pinTries' },
  ];
  const challenge = first(answers, 'challengeAnswer');
  answers.challengeAnswer.invalid = [
    { name: 'one byte short', hex: challenge.slice(0, -2), field: 'challenge answer' },
    { name: 'balance 0x80000000', hex: patch(challenge, 32, '80000000'), field: 'challenge answer.balance' },
  ];
}

const keyTable = Object.fromEntries(
  (Object.keys(labels) as KeyName[]).map((name) => [name, { label: labels[name], privateKey: toHex(keys[name].privateKey), publicKey: pub(name) }]),
);

const document = {
  $comment:
    'Fixed vectors of the wallet structures (docs/PROTOCOL.md). Written by test/codec/vectors/generate-wallet-vectors.ts; layout lists each field in the order of the protocol document, hex is their concatenation. Signatures are raw r||s by the named key (RFC 6979, SHA-256), der the same in DER.',
  keys: keyTable,
  structures,
  answers,
};

const path = fileURLToPath(new URL('./wallet-structures.json', import.meta.url));
const text = `${JSON.stringify(document, null, 1)}\n`;
if (process.argv.includes('--check')) {
  const current = readFileSync(path, 'utf8');
  if (current !== text) {
    console.error(`${path} is not what the generator writes.`);
    process.exit(1);
  }
  console.log(`${path} is up to date.`);
} else {
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
}
