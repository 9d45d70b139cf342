// `npm run demo`: the pilot's flows end to end, typed as a user would type them. A local network (the central bank
// and two intermediaries, each with its database) starts in a fresh folder; simulated cards run the wallet applet
// on the project's Java Card runtime. Every step is a real `ekrona` command, printed before its output, so the demo
// doubles as a tour of the CLI (docs/CLI.md). The network is stopped and the folder removed at the end, also when a
// step fails (then the demo exits 1 and names the step).
//
//   npm run demo                  the whole tour (about half a minute)
//   npm run demo -- --keep        leave the folder (printed) and the network running, to go on by hand

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIo, processIo } from '../host/src/cli/output.ts';
import { runCli } from '../host/src/cli/run.ts';

export interface DemoOptions {
  /** Where output goes (the process's stdout and stderr by default). */
  io?: CliIo;
  /** Keep the network running and its folder (for going on by hand). */
  keep?: boolean;
}

/** Runs the tour; resolves with the exit code (0 when every step succeeded and the audits balanced). */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const io = options.io ?? processIo();
  const dir = mkdtempSync(join(tmpdir(), 'ekrona-demo-'));
  const say = (text = '') => io.stdout.write(`${text}\n`);
  const heading = (text: string) => say(`\n== ${text}\n`);

  /** Runs one command line as the user types it; its stdout is echoed and returned. A failure ends the demo. */
  const ekrona = async (line: string): Promise<string> => {
    say(`$ ekrona ${line}`);
    let captured = '';
    const tee: CliIo = {
      ...io,
      env: { ...io.env, EKRONA_DIR: dir },
      stdout: { isTTY: false, write: (text: string) => ((captured += text), io.stdout.write(text)) },
    };
    const words = line.match(/"[^"]*"|\S+/g)!.map((w) => w.replace(/^"|"$/g, ''));
    const code = await runCli(words, tee);
    if (code !== 0) throw new Error(`the step 'ekrona ${line}' failed (exit ${code})`);
    say();
    return captured;
  };

  let started = false;
  try {
    heading('A local network: the central bank and two intermediaries (Alfa Bank = 1, Beta Bank = 2)');
    await ekrona('network up --liquidity pending');
    started = true;

    heading('Users and their online wallets');
    await ekrona('user create --name alice --intermediary 1');
    await ekrona('user create --name bob --intermediary 1');
    await ekrona('user create --name charlie --intermediary 2');
    await ekrona('user create --name kaffe --intermediary 1');
    await ekrona('user deposit --user alice --amount SEK:500');

    heading('Cards: key pair generated on card, certified by the intermediary, PIN set, locked');
    await ekrona('card personalise --card alice-card --user alice --pin 1234');
    await ekrona('card personalise --card bob-card --user bob --pin 2345');
    await ekrona('card personalise --card charlie-card --user charlie --pin 3456');
    await ekrona('card personalise --card kaffe-pos --user kaffe --role MERCHANT --pin 9999');

    heading("Top-up: Alice's online wallet -> her card (an instruction signed for the card's fresh challenge)");
    await ekrona('card topup --card alice-card --amount SEK:200');

    heading("The pilot's liquidity problem: Alice pays Bob 80, Bob pays Charlie 50 (at Beta Bank) with that money, offline");
    await ekrona('card pay --from alice-card --to bob-card --amount SEK:80 --pin 1234 --reference LUNCH');
    await ekrona('card pay --from bob-card --to charlie-card --amount SEK:50 --pin 2345 --reference BOOKS');
    say("Charlie syncs first: Bob's shadow wallet is still empty, so Bob's payment waits (pending in for Charlie);");
    say("Charlie's card keeps its value. When Bob syncs, Alice's payment settles into Bob's shadow wallet and Bob's");
    say('payment to Charlie settles with it, by itself.');
    await ekrona('card sync --card charlie-card --pin 3456');
    await ekrona('card sync --card bob-card --pin 2345');
    await ekrona('user show --user charlie');
    await ekrona('card sync --card alice-card --pin 1234');

    heading("A payment at Kaffe's point of sale (the merchant card is the terminal's secure element; three APDUs on Alice's card)");
    await ekrona('card pay --from alice-card --to kaffe-pos --amount SEK:45.50 --pin 1234 --reference SALE-1');

    heading('A declined payment: Bob refuses; Alice\'s card voids it and restores the amount; it never settles');
    await ekrona('card pay --from alice-card --to bob-card --amount SEK:5 --pin 1234 --decline');

    heading('Synchronisation: every card reports its signed log; each payment settles exactly once');
    await ekrona('card sync --card kaffe-pos --pin 9999');
    await ekrona('card sync --card bob-card --pin 2345');
    await ekrona('card sync --card alice-card --pin 1234');
    await ekrona('card status --card alice-card');

    heading("De-fund: card -> Alice's online wallet, confirmed by the card's signature");
    await ekrona('card defund --card alice-card --amount SEK:20 --pin 1234');

    heading('Inverted TOTP: the buyer is online, the merchant is not');
    const keyFile = join(dir, 'kassa-1.json');
    await ekrona(`otp device add --user kaffe --id kassa-1 --description "Till 1" --algorithm TOTP_WITH_PRICE --key-out ${keyFile}`);
    const paid = await ekrona('pay-online --user alice --merchant kaffe --amount SEK:12.50 --device kassa-1');
    const code = /^\s{4}(\d{8})\s*$/m.exec(paid)?.[1];
    if (code === undefined) throw new Error('pay-online printed no confirmation code');
    say("On the merchant's offline device (no network), the code the buyer shows is checked:");
    await ekrona(`otp verify --key-file ${keyFile} --code ${code} --amount SEK:12.50`);

    heading('Audit: money conserved at every service, every card covered by its shadow wallet');
    await ekrona('audit');
    say(`The tour is complete.${options.keep ? ` The network is still running; its folder is ${dir} (EKRONA_DIR=${dir}).` : ''}`);
    return 0;
  } catch (error) {
    io.stderr.write(`demo: ${(error as Error).message}\n`);
    return 1;
  } finally {
    if (!options.keep) {
      if (started) await runCli(['network', 'down', '--dir', dir], { ...io, stdout: { isTTY: false, write: () => true } });
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runDemo({ keep: process.argv.includes('--keep') });
}
