// The trace, record and replay transports on a simulated card, and a recorded transcript (data file) that a
// fresh card must answer byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../host/src/codec/hex.ts';
import { CardPowerLost } from '../../host/src/transport/card-transport.ts';
import { transmit } from '../../host/src/transport/iso7816.ts';
import { ReplayTransport } from '../../host/src/transport/replay.ts';
import { RecordingTransport, Transcript, TracingTransport } from '../../host/src/transport/trace.ts';
import { itWith, useCardEnv } from '../support/backend.ts';
import { TestAppletClient, WRITE_MODE } from '../support/test-applet.ts';

const env = useCardEnv();
const transcriptFile = new URL('./transcripts/test-applet-basics.apdu', import.meta.url);

describe('a recorded transcript', () => {
  itWith(['canCreateCards', 'rollsBackTransactions', 'refusesUnknownSelect'], 'is answered byte for byte by a fresh test applet', async () => {
    const transcript = Transcript.parse(readFileSync(transcriptFile, 'utf8'));
    expect(transcript.steps.length).toBeGreaterThan(5);
    const { card } = await env.freshCard({ name: 'transcript', select: false });
    for (const [i, step] of transcript.steps.entries()) {
      const response = await card.exchange(step.command);
      expect(`${i + 1}: => ${toHex(step.command)} <= ${toHex(response)}`).toBe(
        `${i + 1}: => ${toHex(step.command)} <= ${step.response === 'power-lost' ? 'power-lost' : toHex(step.response)}`,
      );
    }
  });
});

describe('recording and replaying a session with the card', () => {
  it('replays a recorded session with the same answers and no APDU left over', async () => {
    const { card } = await env.freshCard({ name: 'record', select: false });
    const recorder = new RecordingTransport(card);
    const live = new TestAppletClient(recorder);
    await live.select();
    await live.write(WRITE_MODE.TRANSACTION, 0, fromHex('0102030405'));
    await live.transfer(7);
    const liveState = await live.read();
    const liveSig = await live.generateKeyPair();

    const replay = new ReplayTransport(recorder.transcript.toString());
    const replayed = new TestAppletClient(replay);
    expect((await replayed.select()).sw).toBe(0x9000);
    await replayed.write(WRITE_MODE.TRANSACTION, 0, fromHex('0102030405'));
    await replayed.transfer(7);
    expect(await replayed.read()).toEqual(liveState);
    expect((await replayed.generateKeyPair()).data).toEqual(liveSig.data);
    await replay.close();
  });

  it('fails a replay when the host sends something else than what was recorded', async () => {
    const { card } = await env.freshCard({ name: 'record-diff' });
    const recorder = new RecordingTransport(card);
    await new TestAppletClient(recorder).transfer(7);
    const replayed = new TestAppletClient(new ReplayTransport(recorder.transcript.toString()));
    await expect(replayed.transfer(8)).rejects.toThrow('but the transcript expects => 801200000200');
  });

  itWith(['canTear'], 'records a power loss as power-lost and replays it as CardPowerLost', async () => {
    const { card, sim } = await env.freshCard({ name: 'record-tear' });
    const recorder = new RecordingTransport(card);
    await sim.armTear(1);
    await expect(new TestAppletClient(recorder).transfer(1)).rejects.toBeInstanceOf(CardPowerLost);
    expect(recorder.transcript.toString()).toBe('=> 80120000020001\n<= power-lost\n');
    const replay = new ReplayTransport(recorder.transcript);
    await expect(new TestAppletClient(replay).transfer(1)).rejects.toBeInstanceOf(CardPowerLost);
  });
});

describe('tracing', () => {
  it('logs each APDU and its answer with the time it took', async () => {
    const { card } = await env.freshCard({ name: 'trace' });
    const lines: string[] = [];
    const traced = new TracingTransport(card, (line) => lines.push(line));
    await transmit(traced, '8001000003AABBCC00');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('=> 8001000003AABBCC00');
    expect(lines[1]).toMatch(/^<= AABBCC9000 \(\d+\.\d\d ms\)$/);
  });
});
