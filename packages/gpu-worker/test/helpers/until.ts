/**
 * Polls `probe` every `everyMs` until it returns something truthy, and returns that. The timeout error
 * names what was awaited and appends `detail()` (for example a worker's last log lines).
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T> | T,
  { ms = 60_000, everyMs = 25, detail }: { ms?: number; everyMs?: number; detail?: () => string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${detail ? `\n${detail()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
