import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run demo -- --provider outlook', () => {
  const database = `${inject('testDatabasePrefix')}demo_outlook_${randomBytes(3).toString('hex')}`;

  afterAll(async () => {
    const client = new pg.Client({ connectionString: inject('testDatabaseAdminUrl') });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await client.end();
  });

  it('runs the whole product on a fake Microsoft Graph and exits 0', async () => {
    const outbox = await mkdtemp(join(tmpdir(), 'touchbase-demo-outlook-'));
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        'npm',
        [
          'run',
          '--silent',
          'demo',
          '--',
          '--provider',
          'outlook',
          '--postgres-url',
          inject('testDatabaseAdminUrl'),
          '--database',
          database,
          '--outbox',
          outbox,
        ],
        // No NODE_EXTRA_CA_CERTS given: the demo trusts the fake's test CA by itself.
        { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() } },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/fake Outlook \(Microsoft Graph\)/);
    expect(result.stdout).toMatch(/Connected alex\.rivera@example\.com/);
    expect(result.stdout).toMatch(/You owe a reply:/);
    expect(result.stdout).toMatch(/Lapsing:/);
    // The reply in Sent Items is tied to the digest by conversation, applied and confirmed.
    expect(result.stdout).toMatch(/1\. Snoozed .* until/);
    expect(result.stdout).toMatch(/2\. Done: the thread with/);
    await access(result.stdout.match(/Confirmation written to (\S+\.eml)/)?.[1] as string);
  });
});
