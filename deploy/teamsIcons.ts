/**
 * Draws the Teams app's two icons into appPackage/ (`node dist/deploy/teamsIcons.js`): color.png,
 * 192x192 in full colour, and outline.png, 32x32 white on transparent, the sizes and colours
 * Teams requires. The artwork is a key; replace the files with your own and keep the sizes
 * (test/teams/appPackage.test.ts checks them).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { repoRoot } from './azureCli';

type Rgba = readonly [number, number, number, number];

/** A key: a ring (the bow) and a shaft with one bit, in unit coordinates. */
function inKey(x: number, y: number): boolean {
  const ring = Math.hypot(x - 0.33, y - 0.5);
  const shaft = x > 0.48 && x < 0.86 && Math.abs(y - 0.5) < 0.045;
  const bit = x > 0.72 && x < 0.8 && y > 0.5 && y < 0.64;
  return (ring > 0.11 && ring < 0.2) || shaft || bit;
}

function draw(size: number, ink: Rgba, paper: Rgba): Buffer {
  const png = new PNG({ width: size, height: size, colorType: 6 });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const colour = inKey((x + 0.5) / size, (y + 0.5) / size) ? ink : paper;
      png.data.set(colour, (y * size + x) * 4);
    }
  }
  return PNG.sync.write(png, { colorType: 6 });
}

export function drawIcons(dir: string): void {
  writeFileSync(join(dir, 'color.png'), draw(192, [255, 255, 255, 255], [0x1f, 0x4e, 0x79, 255]));
  writeFileSync(join(dir, 'outline.png'), draw(32, [255, 255, 255, 255], [0, 0, 0, 0]));
}

if (require.main === module) drawIcons(join(repoRoot(), 'appPackage'));
