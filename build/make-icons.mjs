// Draws TCP Lab's icon — a ladder diagram of the three-way handshake (two
// lifelines, SYN →, SYN-ACK ←, ACK →) on a rounded blue square — and writes
// it as PNGs of the usual sizes (resources/icons/NxN.png, the folder
// electron-builder's Linux targets read), a Windows .ico and a macOS .icns,
// all with PNG-compressed entries. No ImageMagick and no network: shapes are
// signed-distance functions, rasterised with 4×4 supersampling, and the files
// are encoded with node:zlib. Run: node build/make-icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'icons');
const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];

// ---- geometry in a 0..1 square ------------------------------------------------
function roundedRect(x, y, cx, cy, hw, hh, r) {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}
function segment(x, y, ax, ay, bx, by, w) {
  const px = x - ax;
  const py = y - ay;
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - dx * t, py - dy * t) - w / 2;
}
/** Inside test for a triangle (negative inside), good enough for coverage sampling. */
function triangle(x, y, p) {
  const s = (ax, ay, bx, by) => (bx - ax) * (y - ay) - (by - ay) * (x - ax);
  const a = s(p[0], p[1], p[2], p[3]);
  const b = s(p[2], p[3], p[4], p[5]);
  const c = s(p[4], p[5], p[0], p[1]);
  return (a >= 0 && b >= 0 && c >= 0) || (a <= 0 && b <= 0 && c <= 0) ? -1 : 1;
}
function arrowHead(from, to, len, half) {
  const [ax, ay] = from;
  const [bx, by] = to;
  const d = Math.hypot(bx - ax, by - ay);
  const ux = (bx - ax) / d;
  const uy = (by - ay) / d;
  const baseX = bx - ux * len;
  const baseY = by - uy * len;
  return [bx, by, baseX - uy * half, baseY + ux * half, baseX + uy * half, baseY - ux * half];
}

const LEFT = 0.3;
const RIGHT = 0.7;
const ARROWS = [
  { from: [LEFT, 0.28], to: [RIGHT, 0.4], color: [134, 239, 172] }, // SYN
  { from: [RIGHT, 0.46], to: [LEFT, 0.58], color: [253, 230, 138] }, // SYN-ACK
  { from: [LEFT, 0.64], to: [RIGHT, 0.76], color: [255, 255, 255] }, // ACK
];

/** The colour (premultiplied-free RGBA, 0..255) at one point, or null for transparent. */
function shade(x, y, size) {
  const bg = roundedRect(x, y, 0.5, 0.5, 0.46, 0.46, 0.2);
  if (bg > 0) return null;
  // Thicker strokes at small sizes so the drawing survives 16×16.
  const k = size <= 32 ? 1.6 : size <= 64 ? 1.25 : 1;
  for (const a of ARROWS) {
    const head = arrowHead(a.from, a.to, 0.09 * k, 0.055 * k);
    const shaftEnd = [
      head[0] - (head[0] - (head[2] + head[4]) / 2) * 0.9,
      head[1] - (head[1] - (head[3] + head[5]) / 2) * 0.9,
    ];
    if (
      segment(x, y, a.from[0], a.from[1], shaftEnd[0], shaftEnd[1], 0.045 * k) <= 0 ||
      triangle(x, y, head) <= 0
    ) {
      return [...a.color, 255];
    }
  }
  for (const lx of [LEFT, RIGHT]) {
    if (segment(x, y, lx, 0.2, lx, 0.82, 0.04 * k) <= 0) return [226, 232, 240, 255];
  }
  // Vertical gradient, deep blue to blue.
  const t = y;
  return [Math.round(30 + 7 * t), Math.round(64 + 35 * t), Math.round(175 + 60 * t), 255];
}

function render(size) {
  const rgba = Buffer.alloc(size * size * 4);
  const S = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const c = shade((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size, size);
          if (!c) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          a += 1;
        }
      }
      const o = (py * size + px) * 4;
      if (a > 0) {
        rgba[o] = Math.round(r / a);
        rgba[o + 1] = Math.round(g / a);
        rgba[o + 2] = Math.round(b / a);
        rgba[o + 3] = Math.round((255 * a) / (S * S));
      }
    }
  }
  return rgba;
}

// ---- encoders -------------------------------------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
/** Windows .ico with PNG entries (Vista and later). */
function encodeIco(pngs) {
  const head = Buffer.alloc(6 + 16 * pngs.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(pngs.length, 4);
  let offset = head.length;
  pngs.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    head[e] = size >= 256 ? 0 : size;
    head[e + 1] = size >= 256 ? 0 : size;
    head.writeUInt16LE(1, e + 4); // planes
    head.writeUInt16LE(32, e + 6); // bits per pixel
    head.writeUInt32LE(png.length, e + 8);
    head.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([head, ...pngs.map((p) => p.png)]);
}
/** macOS .icns with PNG entries. */
function encodeIcns(bySize) {
  const types = [
    ['icp4', 16],
    ['icp5', 32],
    ['icp6', 64],
    ['ic07', 128],
    ['ic08', 256],
    ['ic09', 512],
    ['ic10', 1024],
    ['ic11', 32],
    ['ic12', 64],
    ['ic13', 256],
    ['ic14', 512],
  ];
  const parts = types.map(([type, size]) => {
    const png = bySize.get(size);
    const h = Buffer.alloc(8);
    h.write(type, 0, 'ascii');
    h.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([h, png]);
  });
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h.write('icns', 0, 'ascii');
  h.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([h, body]);
}

mkdirSync(OUT, { recursive: true });
const bySize = new Map();
for (const size of SIZES) {
  const png = encodePng(size, render(size));
  bySize.set(size, png);
  writeFileSync(join(OUT, `${size}x${size}.png`), png);
}
writeFileSync(join(OUT, 'icon.png'), bySize.get(512));
writeFileSync(
  join(OUT, 'icon.ico'),
  encodeIco([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, png: bySize.get(size) }))),
);
writeFileSync(join(OUT, 'icon.icns'), encodeIcns(bySize));
console.log(`icons written to ${OUT}`);
