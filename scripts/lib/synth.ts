/**
 * Photo-like synthetic images for the demo and the rescan proof: a smooth four-corner gradient, low-frequency
 * "lighting" waves, soft-edged shaded shapes and fine sensor-like noise. That mix gives PDQ plenty of mid-frequency
 * structure (quality 100 on typical seeds) without any third-party picture.
 *
 * Only IEEE-754 basic operations and integer hashing are used, so a scene renders to the same bytes everywhere.
 *
 * @module
 */
import { createRng, type Rng } from './prng.js';

type Rgb = readonly [number, number, number];

interface Wave {
  dirX: number;
  dirY: number;
  cycles: number;
  phase: number;
  amp: Rgb;
}

interface Shape {
  kind: 'ellipse' | 'rect';
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  cos: number;
  sin: number;
  color: Rgb;
  alpha: number;
  softness: number;
  shade: number;
}

/** A resolution-independent scene description; render it at any size or through a moving viewport. */
export interface Scene {
  corners: readonly [Rgb, Rgb, Rgb, Rgb];
  waves: Wave[];
  shapes: Shape[];
  noise: number;
  noiseSeed: number;
}

/** Rotations as exact rational (cos, sin) pairs from Pythagorean triples, so no trigonometry is needed. */
const ROTATIONS: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [3 / 5, 4 / 5],
  [4 / 5, 3 / 5],
  [5 / 13, 12 / 13],
  [12 / 13, 5 / 13],
  [8 / 17, 15 / 17],
  [15 / 17, 8 / 17],
  [7 / 25, 24 / 25],
  [24 / 25, 7 / 25],
  [0, 1],
].flatMap(([c, s]) => [
  [c, s] as const,
  [c, -s] as const,
]);

function color(rng: Rng, lo = 20, hi = 235): Rgb {
  return [rng.int(lo, hi), rng.int(lo, hi), rng.int(lo, hi)];
}

/** Builds a random scene from a seed (a string such as `listed-1` or a number). */
export function createScene(seed: number | string): Scene {
  const rng = createRng(seed);
  const corners = [color(rng), color(rng), color(rng), color(rng)] as const;
  const waves: Wave[] = [];
  for (let i = 0, n = rng.int(2, 4); i < n; i++) {
    const [dirX, dirY] = rng.pick(ROTATIONS);
    const a = rng.int(10, 35);
    waves.push({
      dirX,
      dirY,
      cycles: rng.range(0.6, 3.5),
      phase: rng.next(),
      amp: [a + rng.int(-8, 8), a + rng.int(-8, 8), a + rng.int(-8, 8)],
    });
  }
  const shapes: Shape[] = [];
  for (let i = 0, n = rng.int(6, 11); i < n; i++) {
    const [c, s] = rng.pick(ROTATIONS);
    shapes.push({
      kind: rng.next() < 0.55 ? 'ellipse' : 'rect',
      cx: rng.range(0.05, 0.95),
      cy: rng.range(0.05, 0.95),
      rx: rng.range(0.06, 0.3),
      ry: rng.range(0.06, 0.3),
      cos: c,
      sin: s,
      color: color(rng, 5, 250),
      alpha: rng.range(0.55, 0.95),
      softness: rng.range(0.004, 0.03),
      shade: rng.range(0.15, 0.45),
    });
  }
  return { corners, waves, shapes, noise: rng.int(3, 9), noiseSeed: rng.int(0, 0x7fffffff) };
}

/** A smooth periodic wave in [-1, 1] with period 1 (a cubic-smoothed triangle, sine-like without `Math.sin`). */
function wave(t: number): number {
  const f = t - Math.floor(t);
  const tri = 1 - 4 * Math.abs(f - 0.5);
  return tri * (1.5 - 0.5 * tri * tri);
}

function smoothstep(x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return x * x * (3 - 2 * x);
}

/** Integer hash of a pixel position to a noise value in [-1, 1]. */
function pixelNoise(x: number, y: number, seed: number): number {
  let h = Math.imul(x, 0x27d4eb2d) ^ Math.imul(y, 0x165667b1) ^ seed;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) / 4294967295) * 2 - 1;
}

/** Which part of the scene to show: a window in scene units ([0,1] x [0,1] is the whole scene). */
export interface Viewport {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Options of {@link renderScene}. */
export interface RenderOptions {
  /** Scene window to render. @default the whole scene */
  viewport?: Viewport;
  /** Mixed into the noise so consecutive video frames get fresh sensor noise. @default 0 */
  noiseFrame?: number;
}

/** Renders `scene` as packed 8-bit RGB pixels (`width * height * 3` bytes). */
export function renderScene(scene: Scene, width: number, height: number, options: RenderOptions = {}): Buffer {
  const view = options.viewport ?? { x: 0, y: 0, width: 1, height: 1 };
  const noiseSeed = scene.noiseSeed ^ Math.imul((options.noiseFrame ?? 0) + 1, 0x9e3779b1);
  const out = Buffer.alloc(width * height * 3);
  const [c00, c10, c01, c11] = scene.corners;
  let o = 0;
  for (let py = 0; py < height; py++) {
    const v = view.y + ((py + 0.5) / height) * view.height;
    for (let px = 0; px < width; px++) {
      const u = view.x + ((px + 0.5) / width) * view.width;
      let r = (c00[0] * (1 - u) + c10[0] * u) * (1 - v) + (c01[0] * (1 - u) + c11[0] * u) * v;
      let g = (c00[1] * (1 - u) + c10[1] * u) * (1 - v) + (c01[1] * (1 - u) + c11[1] * u) * v;
      let b = (c00[2] * (1 - u) + c10[2] * u) * (1 - v) + (c01[2] * (1 - u) + c11[2] * u) * v;
      for (const w of scene.waves) {
        const s = wave((u * w.dirX + v * w.dirY) * w.cycles + w.phase);
        r += s * w.amp[0];
        g += s * w.amp[1];
        b += s * w.amp[2];
      }
      for (const sh of scene.shapes) {
        const dx = u - sh.cx;
        const dy = v - sh.cy;
        const lu = (dx * sh.cos + dy * sh.sin) / sh.rx;
        const lv = (-dx * sh.sin + dy * sh.cos) / sh.ry;
        const d = sh.kind === 'ellipse' ? Math.sqrt(lu * lu + lv * lv) : Math.max(Math.abs(lu), Math.abs(lv));
        if (d >= 1) continue;
        const edge = smoothstep(((1 - d) * Math.min(sh.rx, sh.ry)) / sh.softness);
        const a = edge * sh.alpha;
        const light = 1 - sh.shade + sh.shade * (lu + 1);
        r = r * (1 - a) + sh.color[0] * light * a;
        g = g * (1 - a) + sh.color[1] * light * a;
        b = b * (1 - a) + sh.color[2] * light * a;
      }
      const n = pixelNoise(px, py, noiseSeed) * scene.noise;
      out[o++] = clampByte(r + n);
      out[o++] = clampByte(g + n);
      out[o++] = clampByte(b + n);
    }
  }
  return out;
}

function clampByte(x: number): number {
  const r = Math.round(x);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/** Packed RGB of one solid colour plus a faint noise: a "flat" picture PDQ rates as low quality. */
export function renderFlat(width: number, height: number, rgb: Rgb, noise = 0): Buffer {
  const out = Buffer.alloc(width * height * 3);
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const n = noise === 0 ? 0 : pixelNoise(x, y, 12345) * noise;
      out[o++] = clampByte(rgb[0] + n);
      out[o++] = clampByte(rgb[1] + n);
      out[o++] = clampByte(rgb[2] + n);
    }
  }
  return out;
}
