// The two icons a Teams app package needs, drawn here so the package needs no image files:
// a 192×192 colour icon (a white check on the accent colour) and a 32×32 outline icon (a white
// check on transparent), as PNGs (8-bit RGBA, one IDAT chunk).

import { crc32, deflateSync } from 'node:zlib';

export const ACCENT_COLOR = '#4F6BED';
export const COLOR_ICON_SIZE = 192;
export const OUTLINE_ICON_SIZE = 32;

type Rgba = [number, number, number, number];

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed) >>> 0);
  return Buffer.concat([length, typed, crc]);
}

function png(size: number, pixel: (x: number, y: number) => Rgba): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const rows = Buffer.alloc(size * (1 + size * 4));
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 4);
    rows[row] = 0; // filter: none
    for (let x = 0; x < size; x++) rows.set(pixel(x, y), row + 1 + x * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Whether (x, y), in units of the icon's size, lies on the check mark's two strokes. */
function onCheck(x: number, y: number): boolean {
  const near = (ax: number, ay: number, bx: number, by: number) => {
    const t = Math.max(
      0,
      Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)),
    );
    return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay))) < 0.07;
  };
  return near(0.25, 0.52, 0.42, 0.7) || near(0.42, 0.7, 0.76, 0.3);
}

const WHITE: Rgba = [255, 255, 255, 255];
const CLEAR: Rgba = [0, 0, 0, 0];

export function colorIcon(): Buffer {
  const accent: Rgba = [0x4f, 0x6b, 0xed, 255];
  return png(COLOR_ICON_SIZE, (x, y) => (onCheck(x / COLOR_ICON_SIZE, y / COLOR_ICON_SIZE) ? WHITE : accent));
}

export function outlineIcon(): Buffer {
  return png(OUTLINE_ICON_SIZE, (x, y) =>
    onCheck(x / OUTLINE_ICON_SIZE, y / OUTLINE_ICON_SIZE) ? WHITE : CLEAR,
  );
}
