// The error class of the flows layer.
//
// Refusals by the card are CardError (codec, with the status word); failures of the connection are the
// transport's TransportError. FlowError is for what neither says: a card answer that is not a valid protocol
// structure, an answer that does not match what was asked (a transaction for another request, a records digest
// that is not the report's), an intermediary that returned the wrong instruction, retries exhausted.

export class FlowError extends Error {
  override name = 'FlowError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
