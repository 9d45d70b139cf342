// The wallet protocol codec in one import: keys and signatures, signed structures, commands and answers.
// Pure: no I/O, no transport. The protocol's numbers come from ./protocol-constants.ts (generated).

export * from './errors.ts';
export * from './ecdsa.ts';
export * from './signed.ts';
export * from './ids.ts';
export * from './certificates.ts';
export * from './messages.ts';
export * from './policy.ts';
export * from './instructions.ts';
export * from './records.ts';
export * from './commands.ts';
export * from './responses.ts';
export { MAX_AMOUNT } from './fields.ts';
export * from './protocol-constants.ts';
