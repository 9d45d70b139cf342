// Synchronisation (docs/PROTOCOL.md sections 6, 7): SELECT, VERIFY PIN, SYNC REPORT, READ RECORDS until all are
// read, [I] verify and settle, SYNC APPLY. On any failure, repeat from SYNC REPORT.

import { readRecordsCommand, syncApplyCommand, syncReportCommand } from '../codec/commands.ts';
import { equalBytes, toHex } from '../codec/hex.ts';
import type { SignedInstruction } from '../codec/instructions.ts';
import type { Report } from '../codec/messages.ts';
import { parseRecordsAnswer, parseReportAnswer, type ReadRecord } from '../codec/responses.ts';
import { recordsDigest } from '../codec/records.ts';
import type { Signed } from '../codec/signed.ts';
import type { CardTransport } from '../transport/card-transport.ts';
import { parseAnswer, runCommand } from './apdu.ts';
import { selectWallet, verifyPin } from './card.ts';
import { FlowError } from './errors.ts';
import { type InstructionFlowOptions, isRetryable, withRetries } from './instructions.ts';
import type { SyncAuthority, SyncSubmission } from './intermediary.ts';

/** The records read do not match the report (count or digest): the log changed, or the card is faulty. */
export class RecordsMismatch extends FlowError {
  override name = 'RecordsMismatch';
}

/** SYNC REPORT (the PIN must be validated, or given here): a fresh challenge and the signed report. */
export async function syncReport(card: CardTransport, options: { pin?: string } = {}): Promise<Signed<Report>> {
  if (options.pin !== undefined) await verifyPin(card, options.pin);
  return parseAnswer('SYNC REPORT', await runCommand(card, syncReportCommand()), parseReportAnswer);
}

/**
 * READ RECORDS from index 0 until the report's record count is read; checks that the card has exactly that many
 * records and that their SHA-256 is the report's digest (RecordsMismatch otherwise).
 */
export async function readAllRecords(card: CardTransport, report: Report | Signed<Report>): Promise<ReadRecord[]> {
  const value: Report = 'value' in report ? report.value : report;
  const records: ReadRecord[] = [];
  while (records.length < value.recordCount) {
    const batch = parseAnswer('READ RECORDS', await runCommand(card, readRecordsCommand(records.length)), parseRecordsAnswer);
    if (batch.length === 0) {
      throw new RecordsMismatch(`The card answered no record at index ${records.length}, but its report counts ${value.recordCount}.`);
    }
    records.push(...batch);
  }
  if (records.length !== value.recordCount) {
    throw new RecordsMismatch(`The card answered ${records.length} records, but its report counts ${value.recordCount}.`);
  }
  const digest = recordsDigest(records.map((r) => r.bytes));
  if (!equalBytes(digest, value.recordsDigest)) {
    throw new RecordsMismatch(`The records' digest ${toHex(digest)} is not the report's ${toHex(value.recordsDigest)}.`);
  }
  return records;
}

/** SYNC APPLY: the intermediary's signed result for the card's last report. */
export async function applySyncResult(card: CardTransport, result: SignedInstruction<'SYNC_RESULT'>): Promise<void> {
  if (result.value.kind !== 'SYNC_RESULT') throw new FlowError(`SYNC APPLY takes a SYNC_RESULT instruction, not ${result.value.kind}.`);
  await runCommand(card, syncApplyCommand(result));
}

export interface SyncOptions extends InstructionFlowOptions {
  pin: string;
}

export interface SyncOutcome extends SyncSubmission {
  result: SignedInstruction<'SYNC_RESULT'>;
}

/** The whole synchronisation, repeated from SYNC REPORT after a stale challenge, a changed state or a lost answer. */
export async function synchronise(card: CardTransport, authority: SyncAuthority, options: SyncOptions): Promise<SyncOutcome> {
  // A log that changed between SYNC REPORT and READ RECORDS is one more reason to start again from SYNC REPORT.
  const retryable = (e: unknown) => isRetryable(e) || e instanceof RecordsMismatch;
  return withRetries(
    options.attempts ?? 3,
    async () => {
      const selected = await selectWallet(card);
      if (!selected.certificate) throw new FlowError('The card answered SELECT without its certificate: it is not personalised.');
      const report = await syncReport(card, { pin: options.pin });
      const records = await readAllRecords(card, report);
      const submission: SyncSubmission = { report, records, certificate: selected.certificate };
      const result = await authority.settle(submission);
      await applySyncResult(card, result);
      return { ...submission, result };
    },
    retryable,
  );
}
