// Reading a request or response body whole, with a byte limit enforced while it streams in.

/** Reads `body` to the end; once more than `maxBytes` arrive it cancels the stream and throws `tooLarge()`. */
export async function readStreamLimited(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number | undefined,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (maxBytes !== undefined && total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
