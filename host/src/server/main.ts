// Process entry of the services (run with `node --import tsx host/src/server/main.ts ...`):
//
//   main.ts serve <dir>                                   the service configured in <dir>/config.json, until SIGTERM
//   main.ts serve central-bank --dir D [--port P] [--liquidity pending|pool]
//   main.ts serve intermediary --dir D --id N --name X --central-bank URL [--root-key HEX] [--port P]
//   main.ts up [--dir .ekrona] [--liquidity pending|pool] [--issue <öre>] [--lost-card-grace-ms <ms>]
//   main.ts down [--dir .ekrona]
//
// The CLI's `ekrona network up|down` and `ekrona serve ...` call the same functions (network.ts, services.ts).

import { networkDown, networkUp, serveCentralBank, serveIntermediary } from './network.ts';
import { type RunningService, startService } from './services.ts';

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

const onInternalError = (error: unknown) => process.stderr.write(`${new Date().toISOString()} internal error: ${(error as Error).stack ?? String(error)}\n`);

async function serve(args: string[]): Promise<void> {
  const number = (name: string) => (option(args, name) === undefined ? undefined : Number(option(args, name)));
  let service: RunningService;
  if (args[0] === 'central-bank' || args[0] === 'intermediary') {
    const dir = option(args, '--dir');
    if (!dir) throw new Error(`usage: main.ts serve ${args[0]} --dir <dir> ...`);
    const liquidity = option(args, '--liquidity') as 'pending' | 'pool' | undefined;
    if (args[0] === 'central-bank') {
      service = await serveCentralBank({ dir, port: number('--port'), liquidity }, { onInternalError });
    } else {
      const id = number('--id');
      const name = option(args, '--name');
      const centralBankUrl = option(args, '--central-bank');
      if (!id || !name || !centralBankUrl) throw new Error('usage: main.ts serve intermediary --dir <dir> --id <n> --name <name> --central-bank <url> [--root-key <hex>] [--port <p>]');
      service = await serveIntermediary({ dir, id, name, centralBankUrl, rootPublicKey: option(args, '--root-key'), port: number('--port') }, { onInternalError });
    }
  } else {
    if (!args[0]) throw new Error('usage: main.ts serve <dir>');
    service = await startService(args[0], { onInternalError });
  }
  // Every change is a database transaction: an error nobody awaited left nothing half done. Log it and go on.
  process.on('unhandledRejection', (reason) => process.stderr.write(`${new Date().toISOString()} unhandled: ${(reason as Error)?.stack ?? String(reason)}\n`));
  process.stdout.write(`${service.kind} listening on ${service.url} (pid ${process.pid})\n`);
  const stop = async (signal: string) => {
    process.stdout.write(`${signal}: stopping\n`);
    await service.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'serve':
      await serve(rest);
      return 0;
    case 'up': {
      const liquidity = option(rest, '--liquidity');
      if (liquidity !== undefined && liquidity !== 'pending' && liquidity !== 'pool') throw new Error('--liquidity must be pending or pool');
      const issue = option(rest, '--issue');
      const grace = option(rest, '--lost-card-grace-ms');
      const file = await networkUp({
        dir: option(rest, '--dir'),
        liquidity,
        issue: issue === undefined ? undefined : Number(issue),
        lostCardGraceMs: grace === undefined ? undefined : Number(grace),
      });
      process.stdout.write(`${JSON.stringify({ ...file, centralBank: { ...file.centralBank, adminToken: '(in network.json)' }, intermediaries: file.intermediaries.map((i) => ({ ...i, adminToken: '(in network.json)' })) }, null, 2)}\n`);
      return 0;
    }
    case 'down': {
      const result = await networkDown(option(rest, '--dir'));
      process.stdout.write(`stopped ${result.stopped.length} services${result.notRunning.length ? `; ${result.notRunning.length} were not running` : ''}\n`);
      return 0;
    }
    default:
      process.stderr.write('usage: main.ts serve <dir> | serve central-bank|intermediary --dir D ... | up [--dir D] [--liquidity pending|pool] [--issue öre] | down [--dir D]\n');
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  },
);
