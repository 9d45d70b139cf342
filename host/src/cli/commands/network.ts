// `ekrona network up|down|status`, `ekrona serve`, `ekrona audit`: the local network of docs/NETWORK.md section 7
// (the central bank and two intermediaries as background processes on loopback, data under --dir), one service in
// the foreground, and the network-wide audit (conservation of money and every card's coverage).

import { existsSync } from 'node:fs';
import type { Command, Group } from '../command.ts';
import { CliError, UsageError } from '../errors.ts';
import { formatOre, parseSekAmount } from '../money.ts';
import { countOf } from '../output.ts';
import { formatDuration } from '../../codec/duration.ts';
import { parseDuration } from '../time.ts';
import { DIR_OPTION, noNetworkIn, readNetwork, workspaceDir } from '../workspace.ts';

export const networkGroup: Group = { path: ['network'], summary: 'start, stop and inspect a local network (central bank and two intermediaries)' };

function parseLiquidity(text: string, label: string): 'pending' | 'pool' {
  if (text !== 'pending' && text !== 'pool') throw new UsageError(`${label} must be pending or pool, got '${text}'`);
  return text;
}

export const networkUp: Command = {
  path: ['network', 'up'],
  summary: 'start the central bank and two intermediaries in the background',
  description:
    'Starts the services as background processes listening on 127.0.0.1, each with its database and key under --dir ' +
    "(the first start creates them: keys, certificates, the intermediaries' registration and their first e-krona). " +
    'network.json (owner-only: it holds the admin tokens) records their addresses and processes. Starting again on ' +
    'the same folder reuses its data. The first start fixes --liquidity, --pool-limit and --lost-card-grace (in the ' +
    "services' config.json); a later start that asks for other values is refused.",
  options: [
    DIR_OPTION,
    {
      name: 'liquidity',
      type: 'string',
      placeholder: 'mode',
      description: "what happens when a payer's shadow wallet cannot pay yet: pending (wait; the default) or pool (the central bank advances it)",
    },
    { name: 'pool-limit', type: 'string', placeholder: 'SEK', description: 'most the pool may have advanced and not been repaid at once (default SEK:10000000)' },
    {
      name: 'lost-card-grace',
      type: 'string',
      placeholder: 'duration',
      description: "how long after a card is reported lost its shadow wallet is refunded to its user's online wallet: 14d (the default), 36h, 90m, 0s...",
    },
  ],
  examples: [{ command: 'ekrona network up --dir .ekrona --liquidity pool' }, { command: 'ekrona network up --dir demo --lost-card-grace 1h' }],
  async run(ctx) {
    const liquidity = ctx.parsed('liquidity', parseLiquidity);
    const poolLimit = ctx.parsed('pool-limit', (text, label) => parseSekAmount(text, label).ore);
    const lostCardGraceMs = ctx.parsed('lost-card-grace', parseDuration);
    const dir = workspaceDir(ctx);
    const { networkUp: up } = await import('../../server/network.ts');
    let file;
    try {
      file = await up({ dir, liquidity, poolLimit, lostCardGraceMs });
    } catch (error) {
      throw new CliError(`the network did not start: ${(error as Error).message}`, { cause: error });
    }
    const { readServiceSettings } = await import('../../server/services.ts');
    ctx.out.line(`central bank     ${file.centralBank.url}  (pid ${file.centralBank.pid}, liquidity ${file.liquidity})`);
    for (const im of file.intermediaries) {
      const settings = readServiceSettings(im.dir);
      const grace = settings.service === 'intermediary' ? `, lost cards refunded after ${formatDuration(settings.lostCardGraceMs)}` : '';
      ctx.out.line(`intermediary ${im.id}   ${im.url}  (pid ${im.pid}, ${im.name}${grace})`);
    }
    ctx.out.line(`data in ${dir}; stop with 'ekrona network down --dir ${dir}'`);
  },
};

export const networkDown: Command = {
  path: ['network', 'down'],
  summary: 'stop the services started by network up (their data stays)',
  description:
    'Stops the processes network.json names, after checking that each still runs that service; a network already ' +
    "stopped is left as it is (exit 0). When network.json is damaged, the services are found from each service folder's " +
    'service.json instead.',
  options: [DIR_OPTION],
  examples: [{ command: 'ekrona network down' }],
  async run(ctx) {
    const dir = workspaceDir(ctx);
    const { hasNetworkData, networkDown: down, NetworkError, networkFilePath } = await import('../../server/network.ts');
    if (!existsSync(networkFilePath(dir))) {
      if (!hasNetworkData(dir)) throw noNetworkIn(dir);
      ctx.out.line(`the network in ${dir} is not running: nothing to stop`);
      return;
    }
    let result;
    try {
      result = await down(dir);
    } catch (error) {
      if (error instanceof NetworkError) throw new CliError(`the network was not stopped: ${error.message}`, { cause: error });
      throw error;
    }
    const notRunning = result.notRunning.length;
    ctx.out.line(`stopped ${countOf(result.stopped.length, 'service')}${notRunning ? `; ${notRunning} ${notRunning === 1 ? 'was' : 'were'} not running` : ''}`);
  },
};

export const networkStatus: Command = {
  path: ['network', 'status'],
  summary: 'show whether each service of the network answers',
  options: [DIR_OPTION],
  async run(ctx) {
    const network = readNetwork(workspaceDir(ctx));
    let down = 0;
    const probe = async (label: string, url: string) => {
      try {
        const response = await fetch(`${url}/info`, { signal: AbortSignal.timeout(3000) });
        ctx.out.line(`${label.padEnd(16)} ${url}  ${response.ok ? 'up' : `answers ${response.status}`}`);
      } catch {
        down++;
        ctx.out.line(`${label.padEnd(16)} ${url}  down`);
      }
    };
    await probe('central bank', network.centralBank.url);
    for (const im of network.intermediaries) await probe(`intermediary ${im.id}`, im.url);
    if (down > 0) {
      // network up refuses to start over services that still run: with some up, they must be stopped first.
      const total = 1 + network.intermediaries.length;
      const remedy = down === total ? "'ekrona network up' starts them again" : "'ekrona network down', then 'ekrona network up', restarts the network (its data is kept)";
      throw new CliError(`${down} service${down === 1 ? ' does' : 's do'} not answer: ${remedy}`);
    }
  },
};

export const serve: Command = {
  path: ['serve'],
  summary: 'run one service (a folder made by network up, or configured alone) in the foreground',
  description:
    "Runs the service whose config.json is in the folder (for instance .ekrona/central-bank or .ekrona/intermediary-1 " +
    'after a network up and down) until Ctrl-C or SIGTERM.',
  options: [{ name: 'service-dir', type: 'string', placeholder: 'folder', description: "the service's folder (config.json, key.pem, db.sqlite)", required: true, example: '.ekrona/intermediary-1' }],
  examples: [{ command: 'ekrona serve --service-dir .ekrona/central-bank' }],
  async run(ctx) {
    const dir = ctx.string('service-dir')!;
    const { startService } = await import('../../server/services.ts');
    let service;
    try {
      service = await startService(dir, { onInternalError: (e) => ctx.out.note(`internal error: ${(e as Error).stack ?? String(e)}`) });
    } catch (error) {
      throw new CliError(`the service in ${dir} did not start: ${(error as Error).message}`, { cause: error });
    }
    ctx.out.line(`${service.kind} listening on ${service.url} (pid ${process.pid}); Ctrl-C stops it`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await service.close();
    ctx.out.line('stopped');
  },
};

export const audit: Command = {
  path: ['audit'],
  summary: 'check conservation of money and every card against its own signed report, network-wide',
  description:
    "Asks the central bank to deliver every service's pending messages, then to audit itself and every " +
    'intermediary: e-krona issued = the positions; at each intermediary treasury + online + shadow + clearing = its ' +
    "position; and every card's balance, from its last signed report, covered by its shadow wallet and pending " +
    'payments. Exits 1 when anything does not hold.',
  options: [DIR_OPTION, { name: 'json', type: 'boolean', description: 'print the whole audit as JSON' }],
  examples: [{ command: 'ekrona audit' }],
  async run(ctx) {
    const network = readNetwork(workspaceDir(ctx));
    const { CentralBankClient } = await import('../../server/client.ts');
    const bank = new CentralBankClient(network.centralBank.url, { adminToken: network.centralBank.adminToken });
    const result = await bank.networkAudit();
    if (ctx.flag('json')) ctx.out.json(result);
    else {
      const cb = result.centralBank;
      ctx.out.line(`central bank: issued ${formatOre(cb.issued)}, pool outstanding ${formatOre(cb.poolOutstanding)}, ${countOf(cb.register.settled, 'offline payment')} settled (${formatOre(cb.register.amountSettled)}), ${cb.register.declines} declined, ${cb.register.reversed} reversed`);
      for (const im of result.intermediaries) {
        ctx.out.line(
          `intermediary ${im.intermediaryId}: treasury ${formatOre(im.treasury)} + online ${formatOre(im.online)} + shadow ${formatOre(im.shadow)} + clearing ${formatOre(im.clearing)} = position ${formatOre(im.position)}; ${countOf(im.cardsChecked, 'card')} checked, ${im.uncoveredCards.length} uncovered, ${countOf(im.anomalies, 'anomaly', 'anomalies')}`,
        );
      }
      ctx.out.line(result.balanced ? 'money is conserved and every card is covered' : `NOT BALANCED: ${result.problems.join('; ')}`);
    }
    if (!result.balanced) throw new CliError('the audit found problems (above)');
  },
};
