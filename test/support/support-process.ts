import { spawn } from 'node:child_process';

/** What a support script printed, and how it ended. */
export interface SupportProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `test/support/<script>` in a Node process of its own, as a second worker would be, with the
 * test's settings in its environment. Its output is collected (`output` as it comes); `stdin`
 * keeps its standard input open for the test to write to.
 */
export function startSupportProcess(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  options: { stdin?: boolean } = {},
) {
  const child = spawn(process.execPath, ['--import', 'tsx', `test/support/${script}`, ...args], {
    env: { ...process.env, ...env },
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
  });
  const exited = new Promise<SupportProcessResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, ...output }));
  });
  return { child, output, exited };
}
