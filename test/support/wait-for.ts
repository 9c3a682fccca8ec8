/** Polls `probe` every 50 ms until it answers something other than null; fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | null>,
  what: string,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
