// The simulator runner as the host sees it: how long a runner JVM takes from spawn to its first APDU answer,
// and the round trip of a trivial APDU over stdio.
import { SimulatorRunner } from '../host/src/transport/simulator.ts';

const TEST_APPLET_CLASS = 'ekrona.testapplet.TestApplet';
const TEST_APPLET_AID = 'F000000E4B5401';
const SELECT = Uint8Array.from([0x00, 0xa4, 0x04, 0x00, 0x07, 0xf0, 0x00, 0x00, 0x0e, 0x4b, 0x54, 0x01]);
const ECHO_4 = Uint8Array.from([0x80, 0x01, 0x00, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04, 0x00]);

const STARTS = Number(process.env.BENCH_RUNNER_STARTS ?? 7);
const ROUND_TRIPS = Number(process.env.BENCH_RUNNER_RTT ?? 2000);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Spawn to first APDU answer: start the JVM, create a card, install the test applet, power on, SELECT. */
async function startOnce(): Promise<number> {
  const started = performance.now();
  const runner = await SimulatorRunner.start();
  try {
    const card = await runner.card('bench');
    await card.install(TEST_APPLET_CLASS, TEST_APPLET_AID);
    await card.powerOn();
    const response = await card.exchange(SELECT);
    const elapsed = performance.now() - started;
    if (response[response.length - 2] !== 0x90) throw new Error('SELECT of the test applet failed');
    return elapsed;
  } finally {
    await runner.close();
  }
}

export default async function bench(): Promise<Record<string, number>> {
  await startOnce(); // warm the file cache and the JIT's class data
  const starts: number[] = [];
  for (let i = 0; i < STARTS; i++) starts.push(await startOnce());

  const runner = await SimulatorRunner.start();
  try {
    const card = await runner.card('rtt');
    await card.install(TEST_APPLET_CLASS, TEST_APPLET_AID);
    await card.powerOn();
    await card.exchange(SELECT);
    for (let i = 0; i < 500; i++) await card.exchange(ECHO_4); // warm-up
    const rtts: number[] = [];
    const runnerUs: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const t = performance.now();
      await card.exchange(ECHO_4);
      rtts.push((performance.now() - t) * 1000);
      runnerUs.push(card.lastExchangeStats?.us ?? 0);
    }
    return {
      'runner.startup_ms': round(median(starts)),
      'runner.startup_ms_min': round(Math.min(...starts)),
      'runner.apdu_rtt_us_median': round(median(rtts)),
      'runner.apdu_rtt_us_p99': round(percentile(rtts, 99)),
      'runner.apdu_runner_us_median': round(median(runnerUs)),
    };
  } finally {
    await runner.close();
  }
}
