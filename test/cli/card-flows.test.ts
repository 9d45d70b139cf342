// The pilot's flows from the command line, as a user types them (docs/CLI.md): `ekrona network up` starts the real
// services, `ekrona user ...` and `ekrona card ...` drive them and simulated cards kept in the network folder, and
// `ekrona audit` checks conservation. Bad input gets one line naming what is wrong, exit 2 (usage) or 1 (refused),
// and changes nothing: the same flow then succeeds.

import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { memoryIo } from '../../host/src/cli/output.ts';
import { runCli } from '../../host/src/cli/run.ts';
import { IntermediaryClient } from '../../host/src/server/client.ts';
import { runDemo } from '../../scripts/demo.ts';

let dir: string;

async function ekrona(line: string, env: Record<string, string> = {}) {
  const io = memoryIo({ env: { EKRONA_DIR: dir, ...env } });
  const code = await runCli(line.split(' '), io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** Runs a command that must succeed; answers its stdout. */
async function ok(line: string): Promise<string> {
  const result = await ekrona(line);
  if (result.code !== 0) throw new Error(`'ekrona ${line}' failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

const cardJson = async (name: string) => JSON.parse(await ok(`card status --card ${name} --json`)) as { card: { balance: number; payments: number; policy: object }; intermediary: { shadow: number } };
const cardIdOf = (name: string) => (JSON.parse(readFileSync(join(dir, 'cards', `${name}.json`), 'utf8')) as { cardId: string }).cardId;
const adminOf = async (intermediary: number) => {
  const network = JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as { intermediaries: Array<{ id: number; url: string; adminToken: string }> };
  const entry = network.intermediaries.find((i) => i.id === intermediary)!;
  return new IntermediaryClient(entry.url, { token: entry.adminToken });
};
const onlineOf = async (user: string) => (JSON.parse(await ok(`user show --user ${user} --json`)) as { online: number }).online;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ekrona-cli-flows-'));
  await ok('network up');
  await ok('user create --name alice --intermediary 1');
  await ok('user create --name bob --intermediary 2');
  await ok('user create --name shop --intermediary 2');
  await ok('user deposit --user alice --amount SEK:300');
  await ok('card personalise --card alice-card --user alice --pin 1234');
  await ok('card personalise --card bob-card --user bob --pin 2345');
  await ok('card personalise --card till --user shop --role MERCHANT --pin 9999');
}, 60_000);

afterAll(async () => {
  if (dir && existsSync(join(dir, 'network.json'))) await ekrona('network down');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ekrona network, user and card', () => {
  it('network status finds the three services up', async () => {
    const out = await ok('network status');
    expect(out.match(/ up$/gm)).toHaveLength(3);
  });

  it('user create saves the token owner-only, and refuses a name already taken without creating anyone', async () => {
    const file = join(dir, 'users', 'alice.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const before = readFileSync(file, 'utf8');
    const again = await ekrona('user create --name alice --intermediary 2');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the user 'alice' already exists/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('two user create of one name at once: one creates the user, the other is refused before it creates anyone', async () => {
    const both = await Promise.all([ekrona('user create --name twin --intermediary 1'), ekrona('user create --name twin --intermediary 1')]);
    expect(both.map((r) => r.code).sort()).toEqual([0, 1]);
    expect(both.find((r) => r.code === 1)!.stderr).toMatch(/the user 'twin' already exists|'ekrona user create --name twin' is running already/);
    expect(await onlineOf('twin')).toBe(0);
    const db = new Database(join(dir, 'intermediary-1', 'db.sqlite'), { readonly: true });
    try {
      expect(db.prepare("SELECT COUNT(*) AS n FROM users WHERE name = 'twin'").get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it('two card personalise of one name at once: one makes the card, the other is refused and leaves it whole', async () => {
    const both = await Promise.all([ekrona('card personalise --card pair --user bob --pin 2468'), ekrona('card personalise --card pair --user bob --pin 2468')]);
    expect(both.map((r) => r.code).sort()).toEqual([0, 1]);
    expect(both.find((r) => r.code === 1)!.stderr).toMatch(/^ekrona: the card 'pair' already exists in /);
    expect(existsSync(join(dir, 'cards', 'pair.state'))).toBe(true);
    const status = await ekrona('card status --card pair');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^pair: USER card [0-9A-F]{16}, ACTIVE, owner bob/);
  }, 60_000);

  it('an empty user file (left by an older user create that did not finish) is refused in one line that says what to do', async () => {
    writeFileSync(join(dir, 'users', 'unfinished.json'), '', { mode: 0o600 });
    const refused = await ekrona('user show --user unfinished');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^ekrona: the user file of 'unfinished' .* is empty: the command that writes it did not finish .*; delete it and run that command again\n$/);
    const create = await ekrona('user create --name unfinished --intermediary 1');
    expect(create.code).toBe(1);
    expect(create.stderr).toMatch(/^ekrona: the user file .*unfinished\.json is empty: an older 'ekrona user create' did not finish; delete it and run the command again\n$/);
  });

  describe('a user create killed after the intermediary made the user', () => {
    const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
    const pendingFile = (name: string, pending: { creationKey: string; intermediary: number; pid: number }) => {
      const path = join(dir, 'users', `${name}.json`);
      writeFileSync(path, `${JSON.stringify({ pending })}\n`, { mode: 0o600 });
      return path;
    };
    const usersNamed = (name: string) => {
      const db = new Database(join(dir, 'intermediary-1', 'db.sqlite'), { readonly: true });
      try {
        return db.prepare('SELECT id FROM users WHERE name = ?').all(name) as Array<{ id: string }>;
      } finally {
        db.close();
      }
    };

    it('is finished by running it again: the same user, no second one, with a token that works', async () => {
      // What the killed command left: its claim with the key, and the user made at the intermediary.
      const made = await (await adminOf(1)).createUser('resumed', 'resume-key-0001');
      pendingFile('resumed', { creationKey: 'resume-key-0001', intermediary: 1, pid: deadPid() });
      expect((await ekrona('user show --user resumed')).stderr).toMatch(/^ekrona: the creation of user 'resumed' was interrupted before its token was saved: finish it with 'ekrona user create --name resumed --intermediary 1'\n$/);

      const out = await ok('user create --name resumed --intermediary 1');
      expect(out).toMatch(new RegExp(`^finished creating user resumed \\(${made.userId}\\) at intermediary 1`));
      expect(usersNamed('resumed')).toEqual([{ id: made.userId }]);
      expect(await onlineOf('resumed')).toBe(0);
      expect((await ekrona('user create --name resumed --intermediary 1')).stderr).toMatch(/the user 'resumed' already exists/);
    });

    it('is finished even when the intermediary never got the request', async () => {
      pendingFile('never-sent', { creationKey: 'resume-key-0002', intermediary: 1, pid: deadPid() });
      expect(await ok('user create --name never-sent --intermediary 1')).toMatch(/^finished creating user never-sent /);
      expect(usersNamed('never-sent')).toHaveLength(1);
      expect(await onlineOf('never-sent')).toBe(0);
    });

    it('keeps its claim when the intermediary took the request but never answered, so that the repeat finishes it', async () => {
      // Intermediary 1 behind a server that reads the request and drops the connection: the user may exist there.
      const dropped = createServer((socket) => socket.once('data', () => socket.destroy()));
      await new Promise<void>((r) => dropped.listen(0, '127.0.0.1', r));
      onTestFinished(() => new Promise<void>((r) => dropped.close(() => r())));
      const elsewhere = mkdtempSync(join(tmpdir(), 'ekrona-cli-dropped-'));
      onTestFinished(() => rmSync(elsewhere, { recursive: true, force: true }));
      const network = JSON.parse(readFileSync(join(dir, 'network.json'), 'utf8')) as { intermediaries: Array<{ url: string }> };
      network.intermediaries[0].url = `http://127.0.0.1:${(dropped.address() as AddressInfo).port}`;
      writeFileSync(join(elsewhere, 'network.json'), JSON.stringify(network), { mode: 0o600 });

      const lost = await ekrona(`user create --name dropped --intermediary 1 --dir ${elsewhere}`);
      expect(lost.code).toBe(1);
      expect(lost.stderr).toMatch(/^ekrona: intermediary 1 did not answer the creation of dropped \(.*\): run the same command again to finish it\n$/);
      const claim = JSON.parse(readFileSync(join(elsewhere, 'users', 'dropped.json'), 'utf8')) as { pending: { creationKey: string; intermediary: number } };
      expect(claim.pending).toMatchObject({ creationKey: expect.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), intermediary: 1 });
      // The repeat takes the claim over (the first run is over) and sends the same key again.
      const repeat = await ekrona(`user create --name dropped --intermediary 1 --dir ${elsewhere}`);
      expect(repeat.stderr).toMatch(/^ekrona: intermediary 1 did not answer the creation of dropped /);
      expect(JSON.parse(readFileSync(join(elsewhere, 'users', 'dropped.json'), 'utf8')).pending.creationKey).toBe(claim.pending.creationKey);
    });

    it('is not taken over while the command that claimed the name still runs, nor at another intermediary', async () => {
      const running = pendingFile('in-flight', { creationKey: 'resume-key-0003', intermediary: 1, pid: process.ppid });
      const before = readFileSync(running, 'utf8');
      expect((await ekrona('user create --name in-flight --intermediary 1')).stderr).toMatch(new RegExp(`^ekrona: 'ekrona user create --name in-flight' is running already \\(pid ${process.ppid}\\); wait for it to end\n$`));
      pendingFile('elsewhere', { creationKey: 'resume-key-0004', intermediary: 2, pid: deadPid() });
      expect((await ekrona('user create --name elsewhere --intermediary 1')).stderr).toMatch(/^ekrona: the creation of 'elsewhere' at intermediary 2 was interrupted: finish it with 'ekrona user create --name elsewhere --intermediary 2'\n$/);
      expect(readFileSync(running, 'utf8')).toBe(before);
      expect(usersNamed('in-flight')).toHaveLength(0);
    });
  });

  it('user deposit refuses a malformed amount, too many decimals and another currency (exit 2), moving nothing', async () => {
    const before = await onlineOf('alice');
    for (const [amount, reason] of [
      ['12,50', /--amount/],
      ['SEK:1.005', /too many decimals|at most 2 decimals|decimals/],
      ['EUR:10', /must be in SEK/],
    ] as const) {
      const result = await ekrona(`user deposit --user alice --amount ${amount}`);
      expect(result.code, amount).toBe(2);
      expect(result.stderr.trim().split('\n'), amount).toHaveLength(1);
      expect(result.stderr, amount).toMatch(reason);
    }
    expect(await onlineOf('alice')).toBe(before);
  });

  it('card topup beyond the online wallet is refused and changes neither the card nor the wallet', async () => {
    const online = await onlineOf('alice');
    const card = await cardJson('alice-card');
    const result = await ekrona('card topup --card alice-card --amount SEK:2000');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ekrona: the top-up of SEK 2 000.00 failed: The online wallet does not hold that much \(409 online-short\)/);
    expect(await onlineOf('alice')).toBe(online);
    expect((await cardJson('alice-card')).card.balance).toBe(card.card.balance);
  });

  it("card topup beyond the card's maximum balance is refused before anything is ordered", async () => {
    await ok('user deposit --user alice --amount SEK:3000');
    const online = await onlineOf('alice');
    const result = await ekrona('card topup --card alice-card --amount SEK:3000.01');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/more than its policy's maximum of SEK 3 000.00: it holds SEK 0.00; nothing was ordered/);
    expect(await onlineOf('alice')).toBe(online);
  });

  it('card topup loads the card from the online wallet', async () => {
    const online = await onlineOf('alice');
    expect(await ok('card topup --card alice-card --amount SEK:200')).toMatch(/topped up SEK 200.00: alice-card holds SEK 200.00/);
    expect(await onlineOf('alice')).toBe(online - 200_00);
  });

  it('card topup resumes an open order of the same amount, and cancels an unsigned one of another amount', async () => {
    const user = JSON.parse(readFileSync(join(dir, 'users', 'bob.json'), 'utf8')) as { intermediaryUrl: string; token: string };
    const bob = new IntermediaryClient(user.intermediaryUrl, { token: user.token });
    await ok('user deposit --user bob --amount SEK:50');
    const cardId = (JSON.parse(await ok('card status --card bob-card --json')) as { card: { cardId: string } }).card.cardId;
    // An interrupted run left an order that was never signed: another amount cancels it, its money back online.
    const interrupted = await bob.createOrder(cardId, 'TOP_UP', 7_00);
    const other = await ekrona('card topup --card bob-card --amount SEK:20');
    expect(other.code).toBe(0);
    expect(other.stderr).toMatch(new RegExp(`cancelled the card's unsigned top-up order of SEK 7.00 \\(order ${interrupted.orderId}\\)`));
    expect(other.stdout).toMatch(/topped up SEK 20.00: bob-card holds SEK 20.00/);
    // The same amount resumes the open order instead of ordering twice.
    const open = await bob.createOrder(cardId, 'TOP_UP', 10_00);
    expect(await ok('card topup --card bob-card --amount SEK:10')).toMatch(/bob-card holds SEK 30.00/);
    expect((await bob.orders(cardId)).filter((o) => o.state === 'open').map((o) => o.orderId)).toEqual([open.orderId]); // applied, closed at the next sync
    // Applied orders are not resumed: the same amount again is a new top-up.
    expect(await ok('card topup --card bob-card --amount SEK:10')).toMatch(/bob-card holds SEK 40.00/);
    expect(await onlineOf('bob')).toBe(10_00);
  });

  it('card pay with a wrong PIN is refused with the status word and pays nothing; with the right PIN it pays', async () => {
    const wrong = await ekrona('card pay --from alice-card --to bob-card --amount SEK:30 --pin 0000');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/63C2|PIN/);
    expect((await cardJson('alice-card')).card.balance).toBe(200_00);
    expect((await cardJson('bob-card')).card.balance).toBe(40_00);
    expect(await ok('card pay --from alice-card --to bob-card --amount SEK:30 --pin 1234 --reference GIFT')).toMatch(/alice-card paid SEK 30.00 to bob-card offline: alice-card holds SEK 170.00, bob-card holds SEK 70.00/);
  });

  it('card pay to a merchant card runs the point-of-sale flow', async () => {
    expect(await ok('card pay --from alice-card --to till --amount SEK:45.50 --pin 1234 --reference SALE-1')).toMatch(/holds SEK 124.50, till holds SEK 45.50/);
  });

  it('card pay --decline: the recipient refuses, the payer card gets the amount back', async () => {
    expect(await ok('card pay --from alice-card --to bob-card --amount SEK:5 --pin 1234 --decline')).toMatch(/bob-card declined .* alice-card voided it and holds SEK 124.50 again/);
    expect((await cardJson('bob-card')).card.balance).toBe(70_00);
  });

  it('card defund is refused while payments are not synchronised, and changes nothing', async () => {
    const online = await onlineOf('alice');
    const result = await ekrona('card defund --card alice-card --amount SEK:10 --pin 1234');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the card holds 3 offline payments not yet synchronised: run 'ekrona card sync --card alice-card' first; nothing was ordered/);
    expect((await cardJson('alice-card')).card.balance).toBe(124_50);
    expect(await onlineOf('alice')).toBe(online);
  });

  it('card sync settles every payment once, then de-fund works, and the audit balances', async () => {
    for (const [card, pin] of [
      ['till', '9999'],
      ['bob-card', '2345'],
      ['alice-card', '1234'],
    ]) {
      expect(await ok(`card sync --card ${card} --pin ${pin}`)).toMatch(/synchronised/);
    }
    expect((await cardJson('alice-card')).intermediary.shadow).toBe(124_50);
    expect((await cardJson('bob-card')).intermediary.shadow).toBe(70_00);
    expect((await cardJson('till')).intermediary.shadow).toBe(45_50);
    const online = await onlineOf('alice');
    expect(await ok('card defund --card alice-card --amount SEK:24.50 --pin 1234')).toMatch(/alice-card holds SEK 100.00/);
    expect(await onlineOf('alice')).toBe(online + 24_50);
    const audit = await ok('audit');
    expect(audit).toMatch(/2 offline payments settled \(SEK 75.50\), 1 declined/);
    expect(audit).toMatch(/money is conserved and every card is covered/);
  });

  it('one card at a time: request, pay-request and receive hand each other files; a second receive is refused', async () => {
    const request = join(dir, 'request.json');
    const payment = join(dir, 'payment.json');
    expect(await ok(`card request --card bob-card --amount SEK:10 --reference BOOK --out ${request}`)).toMatch(/bob-card asks for SEK 10.00 \(request \d+\): give .*request.json to the payer/);
    expect(await ok(`card pay-request --card alice-card --request ${request} --pin 1234 --out ${payment}`)).toMatch(/alice-card paid SEK 10.00 \(holds SEK 90.00\)/);
    expect(await ok(`card receive --card bob-card --payment ${payment}`)).toMatch(/bob-card received SEK 10.00: it holds SEK 80.00/);
    const again = await ekrona(`card receive --card bob-card --payment ${payment}`);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/RECEIVE refused: 9C/);
    expect((await cardJson('bob-card')).card.balance).toBe(80_00);
  });

  it('a request file whose signed bytes were altered is refused by the payer card, which pays nothing', async () => {
    const request = join(dir, 'request-2.json');
    await ok(`card request --card bob-card --amount SEK:3 --out ${request}`);
    const file = JSON.parse(readFileSync(request, 'utf8')) as { signed: string };
    const altered = file.signed.slice(0, 40) + (file.signed[40] === '0' ? '1' : '0') + file.signed.slice(41);
    writeFileSync(request, JSON.stringify({ ...file, signed: altered }));
    const result = await ekrona(`card pay-request --card alice-card --request ${request} --pin 1234 --out ${join(dir, 'never.json')}`);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/PAY refused: 9C/);
    expect(existsSync(join(dir, 'never.json'))).toBe(false);
    expect((await cardJson('alice-card')).card.balance).toBe(90_00);
    const notAFile = await ekrona(`card pay-request --card alice-card --request ${join(dir, 'users', 'alice.json')} --pin 1234 --out ${join(dir, 'never.json')}`);
    expect(notAFile.code).toBe(1);
    expect(notAFile.stderr).toMatch(/is not an ekrona offline step file/);
  });

  it('one card at a time: decline and apply-decline give the payer its money back', async () => {
    const request = join(dir, 'request-3.json');
    await ok(`card request --card bob-card --amount SEK:4 --out ${request}`);
    await ok(`card pay-request --card alice-card --request ${request} --pin 1234 --out ${join(dir, 'payment-3.json')}`);
    expect((await cardJson('alice-card')).card.balance).toBe(86_00);
    expect(await ok(`card decline --card bob-card --request ${request} --out ${join(dir, 'decline-3.json')}`)).toMatch(/bob-card declined request \d+/);
    expect(await ok(`card apply-decline --card alice-card --decline ${join(dir, 'decline-3.json')}`)).toMatch(/alice-card voided its payment for request \d+: it holds SEK 90.00/);
    const overwrite = await ekrona(`card request --card bob-card --amount SEK:1 --out ${request}`);
    expect(overwrite.code).toBe(2);
    expect(overwrite.stderr).toMatch(/exists; name another file/);
  });

  it('card change-pin needs the current PIN; three wrong tries block it; unblock-pin sets a new one', async () => {
    const wrong = await ekrona('card change-pin --card bob-card --pin 0000 --new-pin 1111');
    expect(wrong.code).toBe(1);
    expect(await ok('card change-pin --card bob-card --pin 2345 --new-pin 1111')).toMatch(/bob-card: PIN changed/);
    for (let i = 0; i < 3; i++) expect((await ekrona('card change-pin --card bob-card --pin 0000 --new-pin 2222')).code).toBe(1);
    const blocked = await ekrona('card change-pin --card bob-card --pin 1111 --new-pin 2222');
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/6983|blocked/i);
    expect(await ok('card unblock-pin --card bob-card --new-pin 2345')).toMatch(/bob-card: PIN unblocked and set/);
    expect(await ok('card change-pin --card bob-card --pin 2345 --new-pin 2345')).toMatch(/PIN changed/);
  });

  it('card block takes effect at the next sync and the card refuses to pay; card unblock and a sync let it pay again', async () => {
    expect(await ok('card block --card alice-card')).toMatch(/alice-card: BLOCKED at intermediary 1; the card takes it at its next sync/);
    expect(await ok('card sync --card alice-card --pin 1234')).toMatch(/alice-card/);
    const refused = await ekrona('card pay --from alice-card --to bob-card --amount SEK:1 --pin 1234');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/9C20/);
    expect((await cardJson('alice-card')).card.balance).toBe(90_00);
    expect(await ok('card unblock --card alice-card')).toMatch(/ACTIVE at intermediary 1; the card takes it at its next sync/);
    await ok('card sync --card alice-card --pin 1234');
    expect(await ok('card pay --from alice-card --to bob-card --amount SEK:1 --pin 1234')).toMatch(/alice-card holds SEK 89.00/);
  });

  it('card policy refuses no field, a count above 255 (exit 2) and a policy the card would refuse (exit 1), storing nothing', async () => {
    const admin = await adminOf(1);
    const cardId = cardIdOf('alice-card');
    const none = await ekrona('card policy --card alice-card');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/name at least one field to change: --max-payments/);
    const big = await ekrona('card policy --card alice-card --max-payments 300');
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/--max-payments must be a whole number from 0 to 255/);
    const overLog = await ekrona('card policy --card alice-card --max-payments 20 --max-received-count 20');
    expect(overLog.code).toBe(1);
    expect(overLog.stderr).toMatch(/the card would refuse this policy: .*log capacity/);
    expect((await admin.card(cardId)).pendingPolicy).toBeNull();
  });

  it('card policy reaches the card at its next sync: one payment allowed, the second refused (9C02) until the policy is raised again', async () => {
    expect(await ok('card policy --card alice-card --max-payments 1 --spend-received no')).toMatch(
      /alice-card: policy version 1: 1 payment of at most SEK 3 000.00, balance at most SEK 3 000.00, .* received money may not be spent offline\nthe card takes it at its next sync/,
    );
    expect(await ok('card sync --card alice-card --pin 1234')).toMatch(/alice-card took its new policy, version 1: 1 payment/);
    expect(await ok('card status --card alice-card')).toMatch(/policy v1: at most 1 offline payment of up to /);
    expect((await cardJson('alice-card')).card.policy).toMatchObject({ version: 1, maxPayments: 1, flags: 0 });
    await ok('card pay --from alice-card --to bob-card --amount SEK:1 --pin 1234');
    const second = await ekrona('card pay --from alice-card --to bob-card --amount SEK:1 --pin 1234');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/9C02/);
    expect((await cardJson('alice-card')).card.balance).toBe(88_00);
    expect(await ok('card policy --card alice-card --max-payments 5')).toMatch(/version 2: 5 payments/);
    expect(await ok('card sync --card alice-card --pin 1234')).toMatch(/took its new policy, version 2/);
    expect(await ok('card sync --card alice-card --pin 1234')).not.toMatch(/new policy/);
  });

  it('card terminate needs --yes; the next sync settles the card, moves its money online, and the card refuses to pay', async () => {
    await ok('card personalise --card old-card --user alice --pin 4321');
    await ok('card topup --card old-card --amount SEK:20');
    const online = await onlineOf('alice');
    const unconfirmed = await ekrona('card terminate --card old-card');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/add --yes to confirm/);
    expect((await (await adminOf(1)).card(cardIdOf('old-card'))).pendingLifecycle).toBeNull();
    expect(await ok('card terminate --card old-card --yes')).toMatch(/old-card: TERMINATED at intermediary 1; its next sync/);
    expect(await ok('card sync --card old-card --pin 4321')).toMatch(/old-card terminated: its payments are settled and its money is in alice's online wallet/);
    expect(await onlineOf('alice')).toBe(online + 20_00);
    const refused = await ekrona('card pay --from old-card --to bob-card --amount SEK:1 --pin 4321');
    expect(refused.code).toBe(1);
    const again = await ekrona('card terminate --card old-card --yes');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/terminated/);
    expect(await ok('audit')).toMatch(/money is conserved/);
  });

  it('card lost blocks the card at its next sync and keeps its money in the shadow wallet until the grace period ends', async () => {
    await ok('user deposit --user bob --amount SEK:30');
    await ok('card personalise --card spare --user bob --pin 5555');
    await ok('card topup --card spare --amount SEK:30');
    const online = await onlineOf('bob');
    expect(await ok('card lost --card spare')).toMatch(/spare: reported lost; blocked at its next contact; its shadow wallet \(SEK 30.00\) goes to bob's online wallet when the grace period ends/);
    expect(await ok('card lost --card spare')).toMatch(/spare: reported lost/);
    expect(await ok('card sync --card spare --pin 5555')).toMatch(/spare/);
    const refused = await ekrona('card pay --from spare --to alice-card --amount SEK:1 --pin 5555');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/9C20/);
    expect(await onlineOf('bob')).toBe(online);
    expect(await (await adminOf(2)).refundLostCards()).toEqual([]);
  });

  it('card commands run at once on the same card take turns: every payment is on the card, none is lost', async () => {
    await ok('user deposit --user alice --amount SEK:5');
    await ok('card personalise --card rush --user alice --pin 7777');
    await ok('card personalise --card rush-a --user bob --pin 7777');
    await ok('card personalise --card rush-b --user bob --pin 7777');
    await ok('card topup --card rush --amount SEK:5');
    // One payer, two recipients, four commands at once: without turns, two commands would both spend the same
    // balance and the last to save the payer card would erase the other's payment, which its recipient still holds.
    const paid = await Promise.all(['rush-a', 'rush-b', 'rush-a', 'rush-b'].map((to) => ekrona(`card pay --from rush --to ${to} --amount SEK:1 --pin 7777`)));
    for (const result of paid) expect(result.code, result.stderr).toBe(0);
    const rush = (await cardJson('rush')).card;
    expect(rush.balance).toBe(1_00);
    expect(rush.payments).toBe(4);
    expect((await cardJson('rush-a')).card.balance).toBe(2_00);
    expect((await cardJson('rush-b')).card.balance).toBe(2_00);
  }, 60_000);

  it('names an unknown card, and a folder without a network, in one line (exit 1)', async () => {
    const unknown = await ekrona('card status --card nobody');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^ekrona: there is no card 'nobody' in .* \(cards: .*alice-card/);
    const empty = await ekrona(`audit --dir ${join(dir, 'nothing-here')}`);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/there is no network in .*: start one with 'ekrona network up/);
  });

  it('refuses a damaged card file in one line naming the file and its defect (exit 1), and uses the card again once it is whole', async () => {
    const path = join(dir, 'cards', 'bob-card.json');
    const whole = readFileSync(path, 'utf8');
    const card = JSON.parse(whole) as Record<string, unknown>;
    try {
      for (const [text, reason] of [
        [whole.slice(0, 20), /is damaged: .*JSON/],
        ['[]', /is damaged: not a JSON object/],
        [JSON.stringify({ ...card, cardId: 'XYZ' }), /is damaged: cardId is not 8 bytes of hex/],
        [JSON.stringify({ ...card, role: 'ADMIN' }), /is damaged: role is neither USER nor MERCHANT/],
        [JSON.stringify({ ...card, intermediary: '2' }), /is damaged: intermediary is not an intermediary id/],
        [JSON.stringify({ ...card, name: 'alice-card' }), /is damaged: its name is "alice-card", not 'bob-card'/],
      ] as const) {
        writeFileSync(path, text);
        const refused = await ekrona('card status --card bob-card');
        expect(refused.code, text).toBe(1);
        expect(refused.stderr, text).toMatch(reason);
        expect(refused.stderr.trim().split('\n'), text).toHaveLength(1);
        expect(refused.stderr, text).toContain(path);
      }
    } finally {
      writeFileSync(path, whole);
    }
    expect((await ekrona('card status --card bob-card')).code).toBe(0);
  });

  it('a damaged network.json is refused in one line; network down still stops the services; a stopped network says so', async () => {
    const other = join(dir, 'second-network');
    const run = (line: string) => ekrona(`${line} --dir ${other}`);
    expect((await run('network up')).code).toBe(0);
    const networkJson = join(other, 'network.json');
    const whole = readFileSync(networkJson, 'utf8');
    onTestFinished(async () => {
      // Whatever failed, no service of this network outlives the test.
      if (!existsSync(networkJson)) writeFileSync(networkJson, whole, { mode: 0o600 });
      await run('network down');
    });
    writeFileSync(networkJson, '{"dir": "cut sh');
    const status = await run('network status');
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/^ekrona: .*network\.json is damaged \(not JSON: .*\)\. 'ekrona network up' writes it: 'ekrona network down' still stops/);
    expect(status.stderr.trim().split('\n')).toHaveLength(1);
    const up = await run('network up');
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/the network did not start: .*network\.json is damaged/);
    const down = await run('network down');
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/^stopped 3 services$/m);
    expect(existsSync(networkJson)).toBe(false);
    const again = await run('network down');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/the network in .* is not running: nothing to stop/);
    const audit = await run('audit');
    expect(audit.code).toBe(1);
    expect(audit.stderr).toMatch(/the network in .* is stopped \(its data is kept\): start it again with 'ekrona network up --dir /);
    const nowhere = await ekrona(`network down --dir ${join(dir, 'nothing-here')}`);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/there is no network in .*: start one with 'ekrona network up/);
  }, 60_000);

  it('network status names a service that does not answer and how to restart the network, whether some or all are down', async () => {
    const other = join(dir, 'third-network');
    const run = (line: string) => ekrona(`${line} --dir ${other}`);
    const pids = () => JSON.parse(readFileSync(join(other, 'network.json'), 'utf8')) as { centralBank: { pid: number }; intermediaries: Array<{ pid: number }> };
    const isAlive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    /** SIGKILL, as a crash would, and wait until the process is gone. */
    const killed = async (pid: number) => {
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await new Promise((r) => setTimeout(r, 20));
    };
    expect((await run('network up')).code).toBe(0);
    onTestFinished(async () => {
      await run('network down');
    });
    await killed(pids().intermediaries[1].pid);
    const unanswered = await run('user create --name ghost --intermediary 2');
    expect(unanswered.code).toBe(1);
    expect(existsSync(join(other, 'users', 'ghost.json')), 'a failed user create gives its name back').toBe(false);
    const some = await run('network status');
    expect(some.code).toBe(1);
    expect(some.stdout).toMatch(/^intermediary 2 +http:\S+ +down$/m);
    expect(some.stderr).toMatch(/^ekrona: 1 service does not answer: 'ekrona network down', then 'ekrona network up', restarts the network \(its data is kept\)$/m);
    expect((await run('network up')).stderr).toMatch(/already running/);
    expect((await run('network down')).stdout).toMatch(/^stopped 2 services; 1 was not running$/m);
    expect((await run('network up')).code).toBe(0);
    const all = pids();
    for (const pid of [all.centralBank.pid, ...all.intermediaries.map((i) => i.pid)]) await killed(pid);
    const none = await run('network status');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^ekrona: 3 services do not answer: 'ekrona network up' starts them again$/m);
    expect((await run('network up')).code).toBe(0);
    expect((await run('network status')).code).toBe(0);
  }, 90_000);

  it('refuses a card name that is not a file name, and the same card on both sides (exit 2)', async () => {
    expect((await ekrona('card status --card ../alice')).code).toBe(2);
    const same = await ekrona('card pay --from alice-card --to alice-card --amount SEK:1 --pin 1234');
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/two different cards/);
  });
});

describe('npm run demo', () => {
  it('tours every flow through the CLI, ends with a balanced audit, and stops its network', async () => {
    const io = memoryIo({});
    expect(await runDemo({ io })).toBe(0);
    const out = io.stdoutText();
    expect(out).toMatch(/\$ ekrona card sync --card charlie-card --pin 3456\ncharlie-card synchronised: .*pending in SEK 50.00/);
    expect(out).toMatch(/accepted: \d{8} is the code/);
    expect(out).toMatch(/money is conserved and every card is covered/);
    expect(io.stderrText()).toBe('');
    const folder = /data in (\S+);/.exec(out)![1];
    expect(existsSync(folder)).toBe(false);
  }, 120_000);
});
