import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/config.ts';
import { isMap, parseComposeYaml, type YamlValue } from '../support/compose-yaml.ts';

/**
 * What `docker compose config` would check, and what it would not: the docker CLI on these machines
 * has no compose plugin (and there is no engine), so the file is read and checked structurally.
 * (Debian's docker-compose 1.29, where installed, runs `docker-compose config` offline too.)
 */
const root = new URL('../../', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, root), 'utf8');
const compose = parseComposeYaml(read('docker-compose.yml'));
const services = compose.services as Record<string, Record<string, YamlValue>>;
const APP = ['migrate', 'worker', 'server'];
const LONG_RUNNING = ['postgres', 'redis', 'mailpit', 'worker', 'server'];
const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];

const seconds = (duration: YamlValue | undefined) => {
  const match = String(duration).match(/^(\d+)(s|m)$/);
  if (!match) throw new Error(`not a duration: ${String(duration)}`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
};

describe('docker-compose.yml', () => {
  it('runs postgres, redis, mailpit, migrate, worker and server', () => {
    expect(Object.keys(services).sort()).toEqual([
      'mailpit',
      'migrate',
      'postgres',
      'redis',
      'server',
      'worker',
    ]);
    for (const [name, service] of Object.entries(services)) {
      expect(service.image ?? service.build, name).toBeDefined();
      expect(
        Object.keys(service).every((key) => KNOWN_KEYS.has(key)),
        `${name}: ${Object.keys(service)}`,
      ).toBe(true);
    }
  });

  it('gives every long-running service a healthcheck and a restart policy; migrate runs once', () => {
    for (const name of LONG_RUNNING) {
      const service = services[name] as Record<string, YamlValue>;
      expect(service.restart, name).toBe('unless-stopped');
      const healthcheck = service.healthcheck;
      expect(isMap(healthcheck), name).toBe(true);
      const test = isMap(healthcheck) ? healthcheck.test : null;
      expect(Array.isArray(test) && ['CMD', 'CMD-SHELL'].includes(String(test[0])), name).toBe(true);
      if (isMap(healthcheck)) for (const key of ['interval', 'timeout']) seconds(healthcheck[key]);
    }
    expect(services.migrate?.restart).toBe('no');
    expect(services.migrate?.command).toEqual(['migrate']);
  });

  it('starts worker and server only after migrations, on a healthy Redis and Postgres', () => {
    for (const [name, service] of Object.entries(services)) {
      const dependsOn = service.depends_on;
      if (dependsOn === undefined) continue;
      expect(isMap(dependsOn), name).toBe(true);
      for (const [target, rule] of Object.entries(dependsOn as Record<string, YamlValue>)) {
        expect(services[target], `${name} depends on ${target}`).toBeDefined();
        const condition = isMap(rule) ? String(rule.condition) : '';
        expect(CONDITIONS, `${name} -> ${target}`).toContain(condition);
        if (condition === 'service_healthy') expect(services[target]?.healthcheck, target).toBeDefined();
      }
    }
    expect(services.migrate?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const name of ['worker', 'server']) {
      expect(services[name]?.depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
      });
    }
  });

  it('gives the app services the one image and only settings touchbase knows', () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const name of APP) {
      const service = services[name] as Record<string, YamlValue>;
      expect(service.image, name).toBe('touchbase:local');
      expect(service.build, name).toBe('.');
      const environment = service.environment as Record<string, YamlValue>;
      expect(
        Object.keys(environment).filter((key) => !known.has(key)),
        name,
      ).toEqual([]);
      for (const required of ['DATABASE_URL', 'REDIS_URL', 'TOUCHBASE_SECRET'])
        expect(environment[required]).toBeDefined();
      for (const value of Object.values(environment)) {
        for (const expression of String(value).match(/\$\{[^}]*\}?/g) ?? []) {
          expect(expression, name).toMatch(/^\$\{[A-Z_][A-Z0-9_]*(:?[-?][^}]*)?\}$/);
        }
      }
    }
  });

  it('lets a stopping worker or server use its whole grace period before Docker kills it', () => {
    const grace = Number(configSchema.shape.SHUTDOWN_GRACE_SECONDS.parse(undefined));
    for (const name of ['worker', 'server']) {
      expect(seconds(services[name]?.stop_grace_period), name).toBeGreaterThan(grace);
    }
    expect(services.worker?.ports).toBeUndefined(); // scalable: --scale worker=N
  });

  it('publishes ports on loopback only and declares every named volume', () => {
    const volumes = Object.keys(compose.volumes as Record<string, YamlValue>);
    for (const [name, service] of Object.entries(services)) {
      for (const port of (service.ports as YamlValue[] | undefined) ?? []) {
        expect(String(port), name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
      }
      for (const volume of (service.volumes as YamlValue[] | undefined) ?? []) {
        const source = String(volume).split(':')[0] as string;
        if (!source.startsWith('.') && !source.startsWith('/')) expect(volumes, name).toContain(source);
      }
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const final = stages.at(-1) ?? '';

  it('builds in one stage and runs a slim, non-root final stage without dev dependencies or tests', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(final).toMatch(/^USER node$/m);
    expect(final).not.toMatch(/^COPY .*\btest\b/m);
    expect(final).not.toMatch(/^COPY --from=build [^\n]* \/app \/app$/m);
    expect(final).toMatch(/ENTRYPOINT \["node", "bin\/touchbase\.mjs"\]/);
  });

  it('keeps tests, secrets and local state out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'test', '.env', '.git', 'outbox', 'src/generated']) {
      expect(ignored, entry).toContain(entry);
    }
  });
});

/** Compose service keys this file may use (a typo here is silently ignored by some versions). */
const KNOWN_KEYS = new Set([
  'build',
  'image',
  'command',
  'environment',
  'init',
  'restart',
  'ports',
  'volumes',
  'healthcheck',
  'depends_on',
  'stop_grace_period',
]);
