import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageAsset } from '@tradeyard/runtime-util';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';

/**
 * PGlite's WASM and data files, passed in explicitly because the esbuild CJS bundle has no
 * module URL for PGlite to find them by (images carry them in `pglite/`).
 */
const pgliteAsset = (file: string) => packageAsset(join('pglite', file), '@electric-sql/pglite', join('dist', file));

export interface PgliteAssets {
  options: Pick<PGliteOptions, 'pgliteWasmModule' | 'initdbWasmModule' | 'fsBundle'>;
  /** Names this build of PGlite: a cluster dumped by one build is only loaded by the same. */
  build: string;
}

let assets: Promise<PgliteAssets> | undefined;

/**
 * Compiled once per process: every PGlite instance of the process instantiates the same
 * WebAssembly modules, so V8 compiles and optimises their code once, not per database.
 */
export function pgliteAssets(): Promise<PgliteAssets> {
  return (assets ??= loadAssets());
}

async function loadAssets(): Promise<PgliteAssets> {
  const files = ['pglite.wasm', 'initdb.wasm', 'pglite.data'].map((file) => readFileSync(pgliteAsset(file)));
  const build = files.reduce((hash, bytes) => hash.update(bytes), createHash('sha256')).digest('hex').slice(0, 16);
  // The project compiles without the DOM lib, so WebAssembly is reached through globalThis.
  const { WebAssembly } = globalThis as unknown as { WebAssembly: { compile(bytes: Buffer): Promise<PGliteOptions['pgliteWasmModule']> } };
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all([WebAssembly.compile(files[0]), WebAssembly.compile(files[1])]);
  return { options: { pgliteWasmModule, initdbWasmModule, fsBundle: new Blob([files[2]]) }, build };
}

/**
 * A freshly initialised cluster, kept per machine user and PGlite build. initdb is most of the
 * cost of an in-memory database (two to four seconds of WASM on a loaded 2-core machine, against
 * under one to load a cluster from a tarball), and the test tiers open hundreds of them. Written
 * by hand: PGlite offers the dump and the load, not a cache of them.
 *
 * Only a folder this user owns and no one else can write is used, and anything amiss (a missing,
 * foreign or unreadable file) means initdb as before.
 */
function clusterFile(build: string): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  const dir = join(tmpdir(), `tradeyard-pglite-${uid}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const folder = lstatSync(dir);
    if (!folder.isDirectory() || folder.uid !== uid || (folder.mode & 0o022) !== 0) return undefined;
  } catch {
    return undefined;
  }
  return join(dir, `cluster-${build}.tar`);
}

/** The dumped fresh cluster of this PGlite build, when this user has one. */
export function savedCluster(build: string): Blob | undefined {
  const file = clusterFile(build);
  if (!file) return undefined;
  try {
    return new Blob([readFileSync(file)]);
  } catch {
    return undefined;
  }
}

/** Keeps a cluster that no statement has touched yet for later opens; written whole, then renamed into place. */
export async function saveCluster(build: string, fresh: PGlite): Promise<void> {
  const file = clusterFile(build);
  if (!file) return;
  const partial = `${file}.${process.pid}.partial`;
  try {
    const dump = await fresh.dumpDataDir('none');
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
    renameSync(partial, file);
  } catch {
    rmSync(partial, { force: true });
  }
}

/** Forgets a saved cluster that failed to load, so the next open makes a good one. */
export function discardCluster(build: string): void {
  const file = clusterFile(build);
  if (file) rmSync(file, { force: true });
}
