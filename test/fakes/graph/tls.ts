import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The test-only CA that signed the fake's certificate (see tls/regenerate.sh). */
export const TEST_CA_PATH = fileURLToPath(new URL('./tls/ca.pem', import.meta.url));

/** Key and certificate (CN=localhost, SAN localhost, 127.0.0.1, ::1) the fake serves. */
export function serverTlsOptions(): { key: Buffer; cert: Buffer } {
  return {
    key: readFileSync(fileURLToPath(new URL('./tls/server-key.pem', import.meta.url))),
    cert: readFileSync(fileURLToPath(new URL('./tls/server.pem', import.meta.url))),
  };
}

/**
 * The environment a process needs to trust the fake. Node reads NODE_EXTRA_CA_CERTS only at
 * start-up (so vitest.config.ts sets it before forking workers) and takes ONE file: when the
 * machine already names a bundle there, the test CA is appended to a copy of it in tmpdir.
 * For child processes: `spawn(cmd, args, { env: { ...process.env, ...graphTlsEnv() } })`.
 */
export function graphTlsEnv(current: string | undefined = process.env.NODE_EXTRA_CA_CERTS): {
  NODE_EXTRA_CA_CERTS: string;
} {
  if (!current || current === TEST_CA_PATH) return { NODE_EXTRA_CA_CERTS: TEST_CA_PATH };
  const ca = readFileSync(TEST_CA_PATH, 'utf8');
  let existing = '';
  try {
    existing = readFileSync(current, 'utf8');
  } catch {
    return { NODE_EXTRA_CA_CERTS: TEST_CA_PATH };
  }
  if (existing.includes(ca.trim())) return { NODE_EXTRA_CA_CERTS: current };
  const bundle = `${existing.trimEnd()}\n${ca}`;
  const path = join(
    tmpdir(),
    `touchbase-test-ca-${createHash('sha256').update(bundle).digest('hex').slice(0, 16)}.pem`,
  );
  // Write-then-rename: parallel test processes may build the same bundle at once.
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, bundle);
  renameSync(temp, path);
  return { NODE_EXTRA_CA_CERTS: path };
}
