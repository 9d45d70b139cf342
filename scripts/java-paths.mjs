// Where the Java build puts things, and the runner's command line. Shared by scripts/build-java.mjs, the host's
// simulator transport, the lint and the benchmarks, so that no one else spells out a classpath.
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const javaBuildDir = join(repoRoot, 'build', 'java');

/** Output folder of one module: runner-core, simulator, api, applet, testapplet, jcardsim-bridge. */
export function moduleDir(name) {
  return join(javaBuildDir, name);
}

/** The classpath applets are compiled against: the javacard.* / javacardx.* classes only. */
export function appletCompileClasspath() {
  return moduleDir('api');
}

/** Main class of the runner: our own runtime, or the jCardSim bridge. */
export const RUNNER_MAIN = 'ekrona.sim.Runner';
export const JCARDSIM_RUNNER_MAIN = 'ekrona.sim.jcardsim.JCardSimRunner';

/**
 * JVM flags for the runner: C1 only and the serial GC. The runner is started often and its work is small; C1 starts
 * faster and is no slower on its hot paths (measured in simulator/README.md). JDK 17 uses class data sharing by
 * default.
 */
export const RUNNER_JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

/** The runner's classpath entries, in order; applet folders are included when they were built. */
export function runnerClasspath({ jcardsim = false } = {}) {
  const entries = [];
  if (jcardsim) {
    const jar = process.env.JCARDSIM_JAR;
    if (!jar) {
      throw new Error('JCARDSIM_JAR is not set: point it at a jCardSim jar (see scripts/README.md).');
    }
    entries.push(moduleDir('runner-core'), moduleDir('jcardsim-bridge'), jar);
  } else {
    entries.push(moduleDir('runner-core'), moduleDir('simulator'));
  }
  for (const applets of ['applet', 'testapplet']) {
    if (existsSync(moduleDir(applets))) {
      entries.push(moduleDir(applets));
    }
  }
  return entries;
}

/**
 * The command that starts the runner: `{ command, args }` for child_process.spawn. `runnerArgs` are the runner's
 * own flags (default `--stdio`; see docs/RUNNER.md).
 */
export function runnerCommand({ jcardsim = false, runnerArgs = ['--stdio'] } = {}) {
  return {
    command: javaExecutable(),
    args: [
      ...RUNNER_JVM_FLAGS,
      '-cp',
      runnerClasspath({ jcardsim }).join(delimiter),
      jcardsim ? JCARDSIM_RUNNER_MAIN : RUNNER_MAIN,
      ...runnerArgs,
    ],
  };
}

/** `java` from JAVA_HOME when it is set, else from PATH. */
export function javaExecutable() {
  const home = process.env.JAVA_HOME;
  if (home && existsSync(join(home, 'bin', 'java'))) {
    return join(home, 'bin', 'java');
  }
  return 'java';
}

/** `javac` from JAVA_HOME when it is set, else from PATH. */
export function javacExecutable() {
  const home = process.env.JAVA_HOME;
  if (home && existsSync(join(home, 'bin', 'javac'))) {
    return join(home, 'bin', 'javac');
  }
  return 'javac';
}
