// No known secret runs (issue 21, item 9): node --test tools/test/secrets.test.mjs
// 1. Every service, in production, refuses each published placeholder (.env.example, the compose
//    defaults) of every secret it reads, naming the variable and the rule, never the value.
// 2. npm start keeps its generated secrets in a file only its owner reads, and prints them once,
//    and gives each service the secrets it reads and no other service's credential.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { resolveSecrets, secretNames } from '../start/secrets.mjs';
import { serviceEnv, services } from '../start/services.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The services' TypeScript config schemas, loaded as the environment reference generator loads them.
const { register } = createRequire(import.meta.url)('tsx/cjs/api');
process.env.TSX_TSCONFIG_PATH ??= join(root, 'tsconfig.base.json');
const tsx = register({ namespace: 'secrets-test' });
const { apps, configSchemaOf } = tsx.require('../docs/env-reference.ts', import.meta.url);
const { ConfigError, KNOWN_PLACEHOLDER_RULE, isSecretVariable, parseConfig } = tsx.require('../../libs/service-kit/src/config.ts', import.meta.url);
const read = (file) => readFileSync(join(root, file), 'utf8');

/** Published values of each secret: .env.example's placeholders and the compose files' ${NAME:-default}s. */
function publishedSecrets() {
  const values = new Map();
  const add = (name, value) => values.set(name, [...(values.get(name) ?? []), value]);
  for (const [, name, value] of read('.env.example').matchAll(/^([A-Z_]+)=(.+)$/gm)) if (isSecretVariable(name)) add(name, value);
  for (const file of ['docker-compose.dev.yml', 'docker-compose.prod.yml', 'docker-compose.standins.yml']) {
    for (const [, name, value] of read(file).matchAll(/\$\{([A-Z_]+):-([^}]+)\}/g)) if (isSecretVariable(name)) add(name, value);
  }
  return values;
}

/** The config lines a service prints for `env`, none when it starts. */
function problems(schema, env) {
  try {
    parseConfig(schema, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.lines;
    throw err;
  }
}

// Secrets of a real deployment, which every service accepts in production.
const real = {
  ADMIN_PASSWORD: 'r3al-admin-passw0rd',
  SCANNER_TOKEN: 'r3al-scanner-token-0123456789',
  MCP_TOOLS_TOKEN: 'r3al-mcp-tools-token-0123456789',
  TRADING_AGENT_TOKEN: 'r3al-trading-agent-token-0123456789',
  JWT_SECRET: 'r3al-jwt-secret-0123456789abcdef',
  MCP_AUTH_TOKEN: 'r3al-mcp-token-0123456789',
};
const production = { ...real, NODE_ENV: 'production' };
const published = publishedSecrets();

test('the placeholder files publish secrets of every kind the services read', () => {
  assert.deepEqual([...published.keys()].sort(), ['ADMIN_PASSWORD', 'JWT_SECRET', 'MCP_AUTH_TOKEN', 'MCP_TOOLS_TOKEN', 'POSTGRES_PASSWORD', 'SCANNER_TOKEN', 'TRADING_AGENT_TOKEN']);
});

for (const app of apps()) {
  const schema = configSchemaOf(app);
  const secrets = Object.keys(schema.shape).filter(isSecretVariable);

  test(`${app}: starts in production on real secrets`, () => {
    assert.deepEqual(problems(schema, production), []);
  });

  test(`${app}: refuses every published placeholder of its secrets in production, naming the variable and the rule, never the value`, () => {
    const cases = secrets.flatMap((name) => (published.get(name) ?? []).map((value) => [name, value]));
    if ('DATABASE_URL' in schema.shape) {
      for (const password of published.get('POSTGRES_PASSWORD')) cases.push(['DATABASE_URL', `postgres://tradeyard:${password}@postgres:5432/tradeyard`, password]);
    }
    assert.ok(cases.length > 0, `${app} reads none of the published secrets: ${secrets.join(', ')}`);
    for (const [name, value, secret = value] of cases) {
      const lines = problems(schema, { ...production, [name]: value });
      assert.ok(lines.some((line) => line.startsWith(`invalid configuration: ${name} `) && line.endsWith(KNOWN_PLACEHOLDER_RULE)), `${app} ${name}=<placeholder>: ${lines.join('\n')}`);
      assert.ok(lines.every((line) => !line.includes(secret)), `${app} printed the value of ${name}: ${lines.join('\n')}`);
      assert.deepEqual(problems(schema, { ...real, [name]: value }), [], `${app} ${name}: placeholders are refused in production only`);
    }
  });

  test(`${app}: names a refused secret and the rule, never its value`, () => {
    const lines = secrets.flatMap((name) => problems(schema, { ...production, [name]: 'undefined' }));
    assert.ok(lines.length > 0, `${app} accepted "undefined" for every secret`);
    for (const line of lines) assert.match(line, /^invalid configuration: [A-Z_]+ is set \(value hidden\): /);
  });
}

test('npm start: generated secrets are written for the owner alone (0600) and printed once', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tradeyard-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'data', 'dev-secrets.json');
  const run = (env = {}) => {
    const said = [];
    const secrets = resolveSecrets({ file, env, say: (line) => said.push(line) });
    return { secrets, said: said.join('\n') };
  };
  const mode = () => statSync(file).mode & 0o777;

  const first = run();
  assert.equal(mode(), 0o600);
  for (const name of secretNames.filter((n) => n !== 'ADMIN_USERNAME')) assert.ok(first.said.includes(`${name}=${first.secrets[name]}`), `${name} is shown on its first generation`);

  const second = run();
  assert.deepEqual(second.secrets, first.secrets);
  for (const name of secretNames.filter((n) => n !== 'ADMIN_USERNAME')) assert.ok(!second.said.includes(first.secrets[name]), `${name} is not shown again`);

  // A file left readable by others (an earlier npm start, a copy) is made the owner's alone, generating nothing.
  chmodSync(file, 0o644);
  const third = run();
  assert.equal(mode(), 0o600);
  assert.ok(!third.said.includes('generated development secrets'), third.said);

  // A secret added later is shown once, and the file stays 0600.
  writeFileSync(file, JSON.stringify({ ...first.secrets, JWT_SECRET: undefined }), { mode: 0o644 });
  const fourth = run();
  assert.equal(mode(), 0o600);
  assert.match(fourth.said, new RegExp(`JWT_SECRET=${fourth.secrets.JWT_SECRET}`));
  assert.ok(!fourth.said.includes(first.secrets.SCANNER_TOKEN));
});

test("npm start: each service is given the secrets it reads, and no other service's credential", () => {
  const ports = Object.fromEntries(services.map((service, index) => [service.name, 9000 + index]));
  const secrets = Object.fromEntries(secretNames.map((name) => [name, `${name}-generated`]));
  // Secrets exported in the developer's shell reach only the services that read them, as generated ones do.
  const baseEnv = { PATH: '/usr/bin', ...Object.fromEntries(secretNames.map((name) => [name, `${name}-from-the-shell`])) };
  for (const service of services) {
    const reads = Object.keys(configSchemaOf(service.name).shape).filter((name) => secretNames.includes(name));
    const env = serviceEnv(service, { ports, secrets, dataDir: '/data', baseEnv });
    assert.deepEqual(Object.keys(env).filter((name) => secretNames.includes(name)).sort(), reads.sort(), service.name);
  }
});
