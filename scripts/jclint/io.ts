// File system side of the lint: finding class files and loading the API directory.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildApiModel, isApiPackageClass, type ApiModel } from './api.ts';
import { ClassFormatError, parseClassFile, type ClassFile } from './classfile.ts';

export class JclintUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JclintUsageError';
  }
}

/** Every .class file under `path` (or `path` itself when it is one), in a stable order. */
export function listClassFiles(path: string): string[] {
  if (!existsSync(path)) throw new JclintUsageError(`${path} does not exist`);
  if (statSync(path).isFile()) {
    if (!path.endsWith('.class')) throw new JclintUsageError(`${path} is not a .class file or a directory`);
    return [path];
  }
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.class')) found.push(full);
    }
  };
  walk(path);
  return found;
}

export interface LoadedClass {
  readonly file: string;
  readonly cls: ClassFile;
}

/** Parses class files; unreadable ones come back as errors naming the file. */
export function loadClassFiles(files: readonly string[]): { classes: LoadedClass[]; errors: string[] } {
  const classes: LoadedClass[] = [];
  const errors: string[] = [];
  for (const file of files) {
    try {
      classes.push({ file, cls: parseClassFile(readFileSync(file)) });
    } catch (error) {
      if (!(error instanceof ClassFormatError)) throw error;
      errors.push(`${file}: ${error.message}`);
    }
  }
  return { classes, errors };
}

/** The API model from a directory of compiled classes (only javacard/ and javacardx/ are read). */
export function loadApiDirectory(apiDir: string, removedListPath: string | undefined): ApiModel {
  if (!existsSync(apiDir) || !statSync(apiDir).isDirectory()) {
    throw new JclintUsageError(
      `API directory ${apiDir} does not exist: build the runtime first (node scripts/build-java.mjs) or pass --api DIR`,
    );
  }
  const apiFiles = ['javacard', 'javacardx']
    .map((top) => join(apiDir, top))
    .filter((dir) => existsSync(dir))
    .flatMap((dir) => listClassFiles(dir));
  const { classes, errors } = loadClassFiles(apiFiles);
  if (errors.length > 0) throw new JclintUsageError(`cannot read the API: ${errors.join('; ')}`);
  const apiClasses = classes.map((c) => c.cls).filter((cls) => isApiPackageClass(cls.thisClass));
  if (apiClasses.length === 0) {
    throw new JclintUsageError(`API directory ${apiDir} has no javacard/ or javacardx/ classes`);
  }
  const removedText = removedListPath !== undefined && existsSync(removedListPath) ? readFileSync(removedListPath, 'utf8') : undefined;
  const source = removedListPath === undefined ? 'api-3.0.5-only.txt' : relative(process.cwd(), removedListPath) || removedListPath;
  return buildApiModel(apiClasses, removedText, source);
}
