// npm start's development secrets: each from the environment when set there, else from
// DATA_DIR/dev-secrets.json, else generated now and added to that file. The file is readable by
// its owner alone (0600), also when an earlier version or a copy left it looser; a generated value
// is printed once, the run that generates it.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// Each service has a credential of its own at the gateway (SCANNER_TOKEN, MCP_TOOLS_TOKEN, TRADING_AGENT_TOKEN).
export const secretNames = ['ADMIN_USERNAME', 'ADMIN_PASSWORD', 'SCANNER_TOKEN', 'MCP_TOOLS_TOKEN', 'TRADING_AGENT_TOKEN', 'JWT_SECRET', 'MCP_AUTH_TOKEN'];
const OWNER_ONLY = 0o600;

const generate = (name) => (name === 'ADMIN_USERNAME' ? 'admin' : randomBytes(24).toString('base64url'));

/** The secrets, saying through `say` where each came from; generated ones are written to `file` and shown once. */
export function resolveSecrets({ file, env = process.env, say }) {
  const saved = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets = {};
  const from = { environment: [], file: [], generated: [] };
  for (const name of secretNames) {
    if (env[name]) {
      secrets[name] = env[name];
      from.environment.push(name);
    } else if (saved[name]) {
      secrets[name] = saved[name];
      from.file.push(name);
    } else {
      secrets[name] = saved[name] = generate(name);
      from.generated.push(name);
    }
  }
  if (from.environment.length) say(`secrets from the environment: ${from.environment.join(', ')}`);
  if (from.file.length) say(`secrets from ${file} (generated on an earlier run): ${from.file.join(', ')}`);
  if (from.generated.length) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(saved, null, 2) + '\n', { mode: OWNER_ONLY });
    say(`generated development secrets (shown once; kept in ${file}):`);
    for (const name of from.generated) say(`  ${name}=${secrets[name]}`);
    say('these are for local use only; set them in the environment to choose your own.');
  }
  // writeFileSync's mode applies only to a new file: an existing one keeps its own until set here.
  if (existsSync(file)) chmodSync(file, OWNER_ONLY);
  return secrets;
}
