#!/usr/bin/env node
// Secret scan of a built image: judges what the project adds, the layers above the base
// image, by file name and by content. The base's own files (a distribution's public CA
// certificates, keyrings) are the base's business and are not read.
//   node tools/container/scan-secrets.mjs IMAGE [--base=BASE_IMAGE]
// Exit 0: nothing found; 1: findings, one line each; 2: usage or docker error.
// Hand-written rather than a general scanner (trufflehog, gitleaks): neither is packaged for
// this offline toolchain, and the rules an image of ours must pass are few and ours.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files that are secrets whatever they hold. Certificates (*.pem, *.crt) are judged by content. */
const secretName = /(^|\/)(\.env(\.[\w.-]+)?|\.npmrc|\.netrc|\.pypirc|\.git-credentials|\.dockercfg|\.docker\/config\.json|id_(rsa|dsa|ecdsa|ed25519)|[^/]*\.(key|p12|pfx|jks|keystore)|[^/]*secrets?\.(json|ya?ml)|[^/]*\.token)$/i;

/**
 * Content that is a secret wherever it sits: a whole PEM private-key block (a bundle that
 * only names the header to parse keys has no base64 body after it) and tokens of the
 * documented formats of GitHub, npm, AWS, Slack and OpenAI.
 */
const secretContent = [
  ['private key', /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----\s*(?:[A-Za-z0-9+/=]{16,}\s*){3,}-----END ([A-Z]+ )?PRIVATE KEY-----/],
  ['GitHub token', /\b(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b/],
  ['npm token', /\bnpm_[A-Za-z0-9]{36}\b/],
  ['AWS access key', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/],
  ['OpenAI key', /\bsk-(proj-)?[A-Za-z0-9_-]{40,}\b/],
];
/** Larger files are not read whole: bundles and source maps stay well under it. */
const maxScannedBytes = 64 << 20;

const docker = (...args) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 }).trim();
const diffIds = (image) => JSON.parse(docker('image', 'inspect', '--format', '{{json .RootFS.Layers}}', image));

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/** Findings in one unpacked layer: `path: reason`, paths as inside the image. */
export function scanTree(dir) {
  const findings = [];
  for (const path of walk(dir)) {
    const name = relative(dir, path);
    // whiteout files of the layer format record deletions, not content
    if (/(^|\/)\.wh\./.test(name)) continue;
    if (secretName.test(name)) findings.push(`/${name}: secret file name`);
    if (statSync(path).size > maxScannedBytes) continue;
    const text = readFileSync(path, 'latin1');
    for (const [what, pattern] of secretContent) if (pattern.test(text)) findings.push(`/${name}: holds a ${what}`);
  }
  return findings;
}

/**
 * Scans the layers of IMAGE that are not BASE's leading layers. Returns
 * {layers: number scanned, files: number of files seen, findings: string[]}.
 */
export function scanImage(image, base) {
  const imageLayers = diffIds(image);
  const baseLayers = base ? diffIds(base) : [];
  let shared = 0;
  while (shared < baseLayers.length && imageLayers[shared] === baseLayers[shared]) shared++;
  if (base && shared < baseLayers.length) throw new Error(`${image} is not built on ${base}: its first layers differ`);

  const work = mkdtempSync(join(tmpdir(), 'tradeyard-secret-scan-'));
  try {
    const archive = join(work, 'image.tar');
    docker('save', '-o', archive, image);
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }));
    const layerFiles = manifest[0].Layers;
    if (layerFiles.length !== imageLayers.length) throw new Error(`${image}: ${layerFiles.length} layer files for ${imageLayers.length} layers`);
    const findings = [];
    let files = 0;
    layerFiles.slice(shared).forEach((layer, i) => {
      const dir = join(work, `layer-${i}`);
      mkdirSync(dir);
      // --no-same-owner/permissions: unpack as plain files we can read, whatever the image says
      execFileSync('sh', ['-c', 'tar -xOf "$0" "$1" | tar -x --no-same-owner --no-same-permissions --delay-directory-restore -C "$2"', archive, layer, dir]);
      execFileSync('chmod', ['-R', 'u+rwX', dir]);
      files += [...walk(dir)].length;
      findings.push(...scanTree(dir));
    });
    return { layers: layerFiles.length - shared, files, findings };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [image, ...rest] = process.argv.slice(2);
  const base = rest.find((a) => a.startsWith('--base='))?.slice('--base='.length);
  if (!image || rest.some((a) => !a.startsWith('--base='))) {
    process.stderr.write('usage: scan-secrets.mjs IMAGE [--base=BASE_IMAGE]\n');
    process.exit(2);
  }
  let result;
  try {
    result = scanImage(image, base);
  } catch (error) {
    process.stderr.write(`scan-secrets: ${error.stderr?.toString().trim() || error.message}\n`);
    process.exit(2);
  }
  for (const finding of result.findings) process.stdout.write(`${image}: ${finding}\n`);
  process.stderr.write(`scan-secrets: ${image}: ${result.layers} layers above ${base ?? 'nothing'}, ${result.files} files, ${result.findings.length} findings\n`);
  process.exit(result.findings.length ? 1 : 0);
}
