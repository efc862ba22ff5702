// Draws Keyport's icon (a white key on a blue rounded square) as PNGs in public/icon/, with no image library:
// each pixel is sampled 4x4 against the shapes below, and the PNG is written by hand (zlib for IDAT).
// Run: node scripts/make-icons.mjs
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';

const BLUE = [47, 94, 216];
const WHITE = [255, 255, 255];

/**
 * Shapes in a 0..1 square: which colour a point has, or none (transparent).
 * @param {number} x
 * @param {number} y
 */
function colourAt(x, y) {
  const r = 0.2; // corner radius of the square
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) return undefined;
  // The key: a ring at the left, a shaft to the right, two teeth down.
  const d = Math.hypot(x - 0.33, y - 0.5);
  const ring = d < 0.17 && d > 0.08;
  const shaft = x > 0.45 && x < 0.82 && Math.abs(y - 0.5) < 0.045;
  const teeth = (x > 0.62 && x < 0.68 && y > 0.5 && y < 0.66) || (x > 0.74 && x < 0.8 && y > 0.5 && y < 0.62);
  return ring || shaft || teeth ? WHITE : BLUE;
}

/** @param {Uint8Array} buf */
function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** @param {string} type @param {Buffer} data */
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** @param {number} size */
function png(size) {
  const rows = Buffer.alloc(size * (1 + size * 4));
  const S = 4;
  for (let py = 0; py < size; py++) {
    rows[py * (1 + size * 4)] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (let sy = 0; sy < S; sy++) for (let sx = 0; sx < S; sx++) {
        const c = colourAt((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size);
        if (c) [r, g, b, a] = [r + c[0], g + c[1], b + c[2], a + 1];
      }
      const o = py * (1 + size * 4) + 1 + px * 4;
      rows[o] = a ? Math.round(r / a) : 0;
      rows[o + 1] = a ? Math.round(g / a) : 0;
      rows[o + 2] = a ? Math.round(b / a) : 0;
      rows[o + 3] = Math.round((255 * a) / (S * S));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

mkdirSync('public/icon', { recursive: true });
for (const size of [16, 32, 48, 128]) writeFileSync(`public/icon/${size}.png`, png(size));
