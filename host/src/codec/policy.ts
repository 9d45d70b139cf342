// The card's policy (19 bytes, docs/PROTOCOL.md section 4): its format, its validity rule and the pilot defaults.
//
// The format is just fields (any u32 / u8 decodes); whether a policy is *valid* is a separate rule, the one the
// card answers 9C1A for, checked by `policyProblems`.

import { CodecError } from './errors.ts';
import { MAX_AMOUNT, exactLength, readU32, u8, writeU32 } from './fields.ts';
import { LEN, LIMIT, OFF_POL, POLICY_FLAG, ROLE } from './protocol-constants.ts';

export interface Policy {
  /** Strictly increasing across SET POLICY. */
  version: number;
  /** Offline payments between syncs (u8). */
  maxPayments: number;
  maxPaymentAmount: number;
  maxBalance: number;
  /** Offline receipts between syncs (u8). */
  maxReceivedCount: number;
  maxReceivedAmount: number;
  /** POLICY_FLAG.* bits (u8). */
  flags: number;
}

/** The 19-byte policy. */
export function encodePolicy(policy: Policy): Uint8Array {
  const out = new Uint8Array(LEN.POLICY);
  writeU32(out, OFF_POL.VERSION, policy.version, 'policy.version');
  out[OFF_POL.MAX_PAYMENTS] = u8(policy.maxPayments, 'policy.maxPayments');
  writeU32(out, OFF_POL.MAX_PAYMENT_AMOUNT, policy.maxPaymentAmount, 'policy.maxPaymentAmount');
  writeU32(out, OFF_POL.MAX_BALANCE, policy.maxBalance, 'policy.maxBalance');
  out[OFF_POL.MAX_RECEIVED_COUNT] = u8(policy.maxReceivedCount, 'policy.maxReceivedCount');
  writeU32(out, OFF_POL.MAX_RECEIVED_AMOUNT, policy.maxReceivedAmount, 'policy.maxReceivedAmount');
  out[OFF_POL.FLAGS] = u8(policy.flags, 'policy.flags');
  return out;
}

/** Decodes the 19 bytes (format only: see `policyProblems` for validity). */
export function decodePolicy(bytes: Uint8Array): Policy {
  exactLength(bytes, 'policy', LEN.POLICY);
  return {
    version: readU32(bytes, OFF_POL.VERSION),
    maxPayments: bytes[OFF_POL.MAX_PAYMENTS],
    maxPaymentAmount: readU32(bytes, OFF_POL.MAX_PAYMENT_AMOUNT),
    maxBalance: readU32(bytes, OFF_POL.MAX_BALANCE),
    maxReceivedCount: bytes[OFF_POL.MAX_RECEIVED_COUNT],
    maxReceivedAmount: readU32(bytes, OFF_POL.MAX_RECEIVED_AMOUNT),
    flags: bytes[OFF_POL.FLAGS],
  };
}

/**
 * Why the card would refuse `policy` as invalid (9C1A), one sentence each; empty when it is valid:
 * MAX_PAYMENTS + MAX_RECEIVED_COUNT + LIMIT_MAX_OPEN_REQUESTS + LIMIT_ORDER_RESERVE <= LIMIT_LOG_CAPACITY, and
 * every amount at most 0x7FFFFFFF.
 */
export function policyProblems(policy: Policy): string[] {
  const problems: string[] = [];
  const records = policy.maxPayments + policy.maxReceivedCount + LIMIT.MAX_OPEN_REQUESTS + LIMIT.ORDER_RESERVE;
  if (records > LIMIT.LOG_CAPACITY) {
    problems.push(
      `maxPayments + maxReceivedCount + ${LIMIT.MAX_OPEN_REQUESTS} open requests + ${LIMIT.ORDER_RESERVE} reserved order records is ${records}, above the log capacity ${LIMIT.LOG_CAPACITY}.`,
    );
  }
  for (const field of ['maxPaymentAmount', 'maxBalance', 'maxReceivedAmount'] as const) {
    if (policy[field] > MAX_AMOUNT) problems.push(`${field} ${policy[field]} is above the largest amount ${MAX_AMOUNT}.`);
  }
  return problems;
}

export function isValidPolicy(policy: Policy): boolean {
  return policyProblems(policy).length === 0;
}

/** Throws a CodecError (field `policy`) listing the problems of an invalid policy. */
export function assertValidPolicy(policy: Policy): Policy {
  encodePolicy(policy); // format first: every field representable
  const problems = policyProblems(policy);
  if (problems.length > 0) throw new CodecError('policy', `policy is invalid: ${problems.join(' ')}`);
  return policy;
}

/** The pilot's defaults (version 0), set by the card when its certificate is stored. */
export const DEFAULT_POLICIES: Readonly<Record<'USER' | 'MERCHANT', Readonly<Policy>>> = Object.freeze({
  USER: Object.freeze({
    version: 0,
    maxPayments: 5,
    maxPaymentAmount: 300_000,
    maxBalance: 300_000,
    maxReceivedCount: 12,
    maxReceivedAmount: 300_000,
    flags: POLICY_FLAG.SPEND_RECEIVED,
  }),
  MERCHANT: Object.freeze({
    version: 0,
    maxPayments: 5,
    maxPaymentAmount: 2_000_000,
    maxBalance: 2_000_000,
    maxReceivedCount: 12,
    maxReceivedAmount: 2_000_000,
    flags: 0,
  }),
});

/** The default policy of a role value (ROLE.USER or ROLE.MERCHANT). */
export function defaultPolicy(role: number): Policy {
  if (role === ROLE.USER) return { ...DEFAULT_POLICIES.USER };
  if (role === ROLE.MERCHANT) return { ...DEFAULT_POLICIES.MERCHANT };
  throw new CodecError('role', `role must be 01 (USER) or 02 (MERCHANT), got ${role}.`);
}
