#!/usr/bin/env node
// Compiles the Java parts with plain javac into build/java/, module by module, skipping a module whose sources and
// inputs are older than its stamp. Usage: node scripts/build-java.mjs [--clean] [--quiet]
//
//   runner-core      simulator/src/ekrona/sim/runner   the line protocol and backend interface (no javacard.*)
//   simulator        simulator/src (the rest)          the javacard.* API and our runtime
//   api              (copied from simulator)           javacard.* / javacardx.* classes only: what applets compile against
//   applet           applet/src                        the wallet applet, if present (Java 7 class files, -g)
//   testapplet       test/applet/src                   the runtime test applet (same flags)
//   jcardsim-bridge  $JCARDSIM_BRIDGE_SRC                only when it and JCARDSIM_JAR are set (both outside the repository)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, join, relative, sep } from 'node:path';
import {
  JCARDSIM_RUNNER_MAIN,
  RUNNER_JVM_FLAGS,
  RUNNER_MAIN,
  javaBuildDir,
  javacExecutable,
  moduleDir,
  repoRoot,
  runnerClasspath,
} from './java-paths.mjs';

const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet');
const log = (line) => {
  if (!quiet) process.stderr.write(`build-java: ${line}\n`);
};

class BuildError extends Error {}

function javaFiles(dir, { exclude = [] } = {}) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (exclude.some((x) => path === x || path.startsWith(x + sep))) continue;
    if (entry.isDirectory()) out.push(...javaFiles(path, { exclude }));
    else if (entry.name.endsWith('.java')) out.push(path);
  }
  return out.sort();
}

function newestMtime(files) {
  let newest = 0;
  for (const f of files) newest = Math.max(newest, statSync(f).mtimeMs);
  return newest;
}

/** The javac release flag for applets: Java 7 class files when this javac can still emit them. */
function appletRelease(javac) {
  const probe = spawnSync(javac, ['--release', '7', '-version'], { encoding: 'utf8' });
  return probe.status === 0 ? '7' : '8';
}

function checkJavac(javac) {
  const probe = spawnSync(javac, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new BuildError(
      'javac was not found: install a JDK >= 17 (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME.',
    );
  }
  const version = /javac (\d+)/.exec(`${probe.stdout}${probe.stderr}`);
  if (!version || Number(version[1]) < 17) {
    throw new BuildError(`javac ${version ? version[1] : '(unknown)'} is too old: the simulator needs a JDK >= 17.`);
  }
}

function stampPath(name) {
  return join(javaBuildDir, `${name}.stamp`);
}

/** Compiles one module unless its stamp is newer than every input and records the same flags. */
function compile(javac, { name, sources, classpath = [], flags, inputs = [] }) {
  const out = moduleDir(name);
  const stamp = stampPath(name);
  const signature = createHash('sha256')
    .update(JSON.stringify({ flags, classpath, sources: sources.map((s) => relative(repoRoot, s)) }))
    .digest('hex');
  if (existsSync(stamp) && existsSync(out) && readFileSync(stamp, 'utf8') === signature) {
    const stampTime = statSync(stamp).mtimeMs;
    const inputTime = Math.max(newestMtime(sources), ...inputs.filter(existsSync).map((f) => statSync(f).mtimeMs));
    if (inputTime <= stampTime) {
      log(`${name}: up to date`);
      return false;
    }
  }
  rmSync(out, { recursive: true, force: true });
  rmSync(stamp, { force: true });
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  const argv = [...flags, '-encoding', 'UTF-8', '-d', out];
  if (classpath.length) argv.push('-cp', classpath.join(delimiter));
  const argFile = join(javaBuildDir, `${name}.sources`);
  writeFileSync(argFile, sources.map((s) => `"${s.replaceAll('\\', '\\\\')}"`).join('\n'));
  argv.push(`@${argFile}`);
  const result = spawnSync(javac, argv, { encoding: 'utf8' });
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.status !== 0) {
    if (output) process.stderr.write(`${output}\n`);
    throw new BuildError(`javac failed on module ${name} (${sources.length} files); see the errors above.`);
  }
  if (output && !quiet) process.stderr.write(`${output}\n`);
  writeFileSync(stamp, signature);
  log(`${name}: compiled ${sources.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

function main() {
  const javac = javacExecutable();
  checkJavac(javac);
  if (args.has('--clean')) rmSync(javaBuildDir, { recursive: true, force: true });
  mkdirSync(javaBuildDir, { recursive: true });

  const simulatorSrc = join(repoRoot, 'simulator', 'src');
  const runnerSrc = join(simulatorSrc, 'ekrona', 'sim', 'runner');
  const javaFlags = ['--release', '17', '-g', '-Xlint:all', '-Xlint:-serial', '-Werror'];

  compile(javac, { name: 'runner-core', sources: javaFiles(runnerSrc), flags: javaFlags });
  const simulatorBuilt = compile(javac, {
    name: 'simulator',
    sources: javaFiles(simulatorSrc, { exclude: [runnerSrc] }),
    classpath: [moduleDir('runner-core')],
    flags: javaFlags,
    inputs: [stampPath('runner-core')],
  });
  if (simulatorBuilt || !existsSync(moduleDir('api'))) {
    rmSync(moduleDir('api'), { recursive: true, force: true });
    for (const pkg of ['javacard', 'javacardx']) {
      cpSync(join(moduleDir('simulator'), pkg), join(moduleDir('api'), pkg), { recursive: true });
    }
  }

  const release = appletRelease(javac);
  const appletFlags = ['--release', release, '-g', '-Xlint:-options'];
  for (const [name, dir] of [
    ['applet', join(repoRoot, 'applet', 'src')],
    ['testapplet', join(repoRoot, 'test', 'applet', 'src')],
  ]) {
    const sources = javaFiles(dir);
    if (sources.length === 0) {
      rmSync(moduleDir(name), { recursive: true, force: true });
      rmSync(stampPath(name), { force: true });
      log(`${name}: no sources in ${relative(repoRoot, dir)}, skipped`);
      continue;
    }
    compile(javac, {
      name,
      sources,
      classpath: [moduleDir('api')],
      flags: appletFlags,
      inputs: [stampPath('simulator')],
    });
  }

  // The jCardSim bridge is not part of this repository (nothing built against jCardSim is): a user who has jCardSim
  // and a bridge (the runner's CardBackend and CardSession over com.licel.jcardsim.base.Simulator, docs/RUNNER.md)
  // points JCARDSIM_JAR and JCARDSIM_BRIDGE_SRC at them.
  const jcardsimJar = process.env.JCARDSIM_JAR;
  const bridgeSources = process.env.JCARDSIM_BRIDGE_SRC;
  if (jcardsimJar || bridgeSources) {
    if (!jcardsimJar || !bridgeSources) {
      throw new BuildError('The jCardSim bridge needs both JCARDSIM_JAR (the jar) and JCARDSIM_BRIDGE_SRC (the folder of its sources); set both or neither.');
    }
    for (const [name, path] of [['JCARDSIM_JAR', jcardsimJar], ['JCARDSIM_BRIDGE_SRC', bridgeSources]]) {
      if (!existsSync(path)) throw new BuildError(`${name} names ${path}, which does not exist.`);
    }
    compile(javac, {
      name: 'jcardsim-bridge',
      sources: javaFiles(bridgeSources),
      classpath: [moduleDir('runner-core'), jcardsimJar],
      flags: ['--release', '17', '-g', '-Xlint:all', '-Xlint:-serial'],
      inputs: [stampPath('runner-core'), jcardsimJar],
    });
  } else {
    log('jcardsim-bridge: JCARDSIM_JAR and JCARDSIM_BRIDGE_SRC are not set, skipped');
  }
  writeRunnerDescription(Boolean(jcardsimJar));
}

/** build/java/runner.json: the runner's classpath and main class, for tools that do not import java-paths.mjs. */
function writeRunnerDescription(withJcardsim) {
  const description = {
    jvmArgs: RUNNER_JVM_FLAGS,
    sim: { classpath: runnerClasspath(), mainClass: RUNNER_MAIN },
  };
  if (withJcardsim) {
    description.jcardsim = { classpath: runnerClasspath({ jcardsim: true }), mainClass: JCARDSIM_RUNNER_MAIN };
  }
  writeFileSync(join(javaBuildDir, 'runner.json'), `${JSON.stringify(description, null, 2)}\n`);
}

try {
  main();
} catch (error) {
  if (error instanceof BuildError) {
    process.stderr.write(`build-java: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
