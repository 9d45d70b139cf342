// The wallet's flows: ordered command sequences with the recovery docs/PROTOCOL.md allows. They depend on the codec
// and on the CardTransport interface only; the intermediary's part goes through the interfaces of
// ./intermediary.ts.

export * from './errors.ts';
export * from './intermediary.ts';
export { exchangeCommand, runCommand, type CardAnswer } from './apdu.ts';
export * from './card.ts';
export * from './personalise.ts';
export * from './payment.ts';
export * from './instructions.ts';
export * from './sync.ts';
