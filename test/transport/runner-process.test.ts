// Starting the runner: the sentences a user sees when Java, the build or the runner itself is missing or fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunnerError, runnerCommandLine } from '../../host/src/transport/runner-process.ts';
import { SimulatorRunner } from '../../host/src/transport/simulator.ts';

const empty = mkdtempSync(join(tmpdir(), 'ekrona-empty-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('starting the runner', () => {
  it('says the runner is not built when its classpath does not exist', async () => {
    await expect(runnerCommandLine(['--stdio'], { classpath: [join(empty, 'nothing')], mainClass: 'ekrona.sim.Runner' })).rejects.toThrow(
      'The simulator runner is not built: run `npm run build:java` (node scripts/build-java.mjs) first.',
    );
  });

  it('says Java was not found when the java command does not exist', async () => {
    const error = await SimulatorRunner.start({ java: join(empty, 'no-java'), classpath: [empty], mainClass: 'ekrona.sim.Runner' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RunnerError);
    expect((error as Error).message).toMatch(/^Java was not found \(.*no-java\): install a JDK 17 or set JAVA_HOME/);
  });

  it('says the JVM exited, with its last words and the build hint, when the main class is missing', async () => {
    const error = await SimulatorRunner.start({ classpath: [empty], mainClass: 'ekrona.sim.NoSuchRunner' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunnerError);
    expect((error as Error).message).toMatch(/^The simulator runner exited with code 1: .*ekrona\.sim\.NoSuchRunner.*npm run build:java/);
  });

  it('passes the mode arguments after the main class', async () => {
    const line = await runnerCommandLine(['--tcp', '127.0.0.1:5000'], { classpath: [empty], mainClass: 'x.Y', java: 'java', jvmArgs: ['-Xmx64m'] });
    expect(line).toEqual({ command: 'java', args: ['-Xmx64m', '-cp', empty, 'x.Y', '--tcp', '127.0.0.1:5000'] });
  });
});
