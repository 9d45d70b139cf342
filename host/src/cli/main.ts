// Entry point of the `ekrona` command (imported by bin/ekrona.js): runs the arguments, sets the exit code.

import { processIo } from './output.ts';
import { runCli } from './run.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo());
