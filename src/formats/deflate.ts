// RFC 1951 DEFLATE, as CXF carries a large blob (Fido2LargeBlob.data is the blob DEFLATE-compressed, as CTAP 2.1
// §6.10.3 stores it). Writing uses stored blocks (§3.2.4, BTYPE 00): valid DEFLATE that every inflater reads, and a
// large blob is at most 2048 bytes, so compressing would save little. Reading inflates with the platform's
// DecompressionStream('deflate-raw'), stopped as soon as the output passes `maxBytes` (a small file cannot
// expand into a large allocation).

/** RFC 1951 §3.2.4: one stored block per 65535 bytes, the last with BFINAL set; an empty input is one empty block. */
export function deflateStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 0xffff));
  const out = new Uint8Array(data.length + blocks * 5);
  let o = 0;
  for (let b = 0; b < blocks; b++) {
    const chunk = data.subarray(b * 0xffff, (b + 1) * 0xffff);
    out[o++] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00 (byte-aligned from the start of each block)
    out[o++] = chunk.length & 0xff;
    out[o++] = chunk.length >>> 8;
    out[o++] = ~chunk.length & 0xff; // NLEN, the one's complement of LEN
    out[o++] = (~chunk.length >>> 8) & 0xff;
    out.set(chunk, o);
    o += chunk.length;
  }
  return out;
}

/** Inflates raw DEFLATE; a RangeError past `maxBytes` of output, a TypeError for data that is not DEFLATE. */
export async function inflateRaw(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const reader = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) throw new RangeError(`more than ${maxBytes} bytes once decompressed`);
      parts.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    if (e instanceof RangeError) throw e;
    throw new TypeError('not DEFLATE data');
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
