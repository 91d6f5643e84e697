/**
 * The PDQ blur kernels as WebAssembly SIMD, assembled with `wasm-emitter.ts`. Four image rows travel together in
 * the four f32 lanes of a vector ("quad" layout: `quad[k*4 + q]` = row q, column k), so each row pass runs four
 * independent running sums per instruction; the column passes run four adjacent columns per instruction.
 *
 * Every `f32x4` operation is an IEEE float32 operation per lane, and WebAssembly never fuses a multiply into an
 * add, so each lane performs exactly the reference's float32 sequence (`f32x4.div` is the correctly rounded
 * float32 quotient). Property tests compare these kernels with the JS oracle bit for bit.
 *
 * @internal
 * @module
 */
import { LUMA_B, LUMA_G, LUMA_R } from './pdq-constants.js';
import { type FunctionBuilder, I32, ModuleBuilder, V128 } from './wasm-emitter.js';

/** `repeat counter times { body }` (counter is consumed). */
function repeat(f: FunctionBuilder, counter: number, body: () => void): void {
  f.block().loop();
  f.get(counter).i32Eqz().brIf(1);
  body();
  f.get(counter).i32(1).i32Sub().set(counter);
  f.br(0).end().end();
}

/** `local += amount` */
function bump(f: FunctionBuilder, local: number, amount: number): void {
  f.get(local).i32(amount).i32Add().set(local);
}

/** Byte lanes that move f32 lane `src[j]` of operand 0 (0-3) or 1 (4-7) into lane j. */
function f32Lanes(src: readonly number[]): number[] {
  return src.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]);
}

/** Transposes the 4x4 f32 matrix in locals `rows` (in place: rows[q] becomes column q). */
function transpose4(f: FunctionBuilder, rows: readonly number[], tmp: readonly number[]): void {
  const [a, b, c, d] = rows as [number, number, number, number];
  const [t0, t1, t2, t3] = tmp as [number, number, number, number];
  f.get(a).get(b).shuffle(f32Lanes([0, 4, 1, 5])).set(t0);
  f.get(a).get(b).shuffle(f32Lanes([2, 6, 3, 7])).set(t1);
  f.get(c).get(d).shuffle(f32Lanes([0, 4, 1, 5])).set(t2);
  f.get(c).get(d).shuffle(f32Lanes([2, 6, 3, 7])).set(t3);
  f.get(t0).get(t2).shuffle(f32Lanes([0, 1, 4, 5])).set(a);
  f.get(t0).get(t2).shuffle(f32Lanes([2, 3, 6, 7])).set(b);
  f.get(t1).get(t3).shuffle(f32Lanes([0, 1, 4, 5])).set(c);
  f.get(t1).get(t3).shuffle(f32Lanes([2, 3, 6, 7])).set(d);
}

/**
 * Byte-lane masks for `i8x16.swizzle` that zero-extend byte `first + j*stride` into i32 lane j (index 0xff
 * selects zero). {@link lumaMasks} gives the three masks the RGB kernel reads from memory.
 */
function byteToI32Lanes(first: number, stride: number): number[] {
  return [0, 1, 2, 3].flatMap((j) => [first + j * stride, 0xff, 0xff, 0xff]);
}

/** The R, G and B swizzle masks for 3- or 4-channel pixels, 48 bytes, as `luma_rgb` expects them at `masks`. */
export function lumaMasks(channels: 3 | 4): Uint8Array {
  return Uint8Array.from([0, 1, 2].flatMap((c) => byteToI32Lanes(c, channels)));
}

/**
 * `luma_rgb(src, rowBytes, groups, dst, masks, pixelBytes)`: luma of 4 rows (row q at `src + q*rowBytes`), 4 pixels
 * of `pixelBytes` (3 or 4) bytes per step, written in quad layout at `dst`. `masks` holds {@link lumaMasks}.
 * `luma_grey(src, rowBytes, groups, dst)`: the same for 1-byte grey pixels (luma = the value).
 * Both read up to 16 bytes from each row position, so rows need 16 bytes of slack.
 */
function lumaKernels(m: ModuleBuilder): void {
  const body = (f: FunctionBuilder, grey: boolean): void => {
    const [src, rowBytes, groups, dst, masks, pixelBytes] = [0, 1, 2, 3, 4, 5];
    const rowPtr = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
    const lumas = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
    const tmp = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
    const [cR, cG, cB, mR, mG, mB] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
    const step = f.local(I32);
    const px = f.local(V128);
    if (grey) {
      f.v128Const(byteToI32Lanes(0, 1)).set(mR);
      f.i32(4).set(step);
    } else {
      f.f32(LUMA_R).f32x4Splat().set(cR);
      f.f32(LUMA_G).f32x4Splat().set(cG);
      f.f32(LUMA_B).f32x4Splat().set(cB);
      f.get(masks).v128Load(0).set(mR);
      f.get(masks).v128Load(16).set(mG);
      f.get(masks).v128Load(32).set(mB);
      f.get(pixelBytes).i32(2).i32Shl().set(step);
    }
    for (let q = 0; q < 4; q++) f.get(src).get(rowBytes).i32(q).i32Mul().i32Add().set(rowPtr[q]!);
    repeat(f, groups, () => {
      for (let q = 0; q < 4; q++) {
        f.get(rowPtr[q]!).v128Load().set(px);
        if (grey) {
          f.get(px).get(mR).swizzle().f32x4ConvertI32x4U().set(lumas[q]!);
        } else {
          // fl32(fl32(fl32(cR*R) + fl32(cG*G)) + fl32(cB*B)), lane by lane.
          f.get(px).get(mR).swizzle().f32x4ConvertI32x4U().get(cR).f32x4Mul();
          f.get(px).get(mG).swizzle().f32x4ConvertI32x4U().get(cG).f32x4Mul();
          f.f32x4Add();
          f.get(px).get(mB).swizzle().f32x4ConvertI32x4U().get(cB).f32x4Mul();
          f.f32x4Add().set(lumas[q]!);
        }
        f.get(rowPtr[q]!).get(step).i32Add().set(rowPtr[q]!);
      }
      transpose4(f, lumas, tmp);
      for (let q = 0; q < 4; q++) f.get(dst).get(lumas[q]!).v128Store(16 * q);
      bump(f, dst, 64);
    });
  };
  m.func('luma_rgb', [I32, I32, I32, I32, I32, I32], (f) => body(f, false));
  m.func('luma_grey', [I32, I32, I32, I32], (f) => body(f, true));
}

/** Emits `v = sum / n` where `nv` holds n splatted. */
function divide(f: FunctionBuilder, sum: number, nv: number, v: number): void {
  f.get(sum).get(nv).f32x4Div().set(v);
}

function splatCount(f: FunctionBuilder, n: number, nv: number): void {
  f.get(n).f32ConvertI32S().f32x4Splat().set(nv);
}

/**
 * `row4(in, out, stride, p1, p2, p3, p4)`: one box pass along the 4 rows of the quad buffer `in` (the reference's
 * phases: p1 primes, p2 adds, p3 adds then subtracts, p4 subtracts), each output row q written row-major at
 * `out + q*stride`.
 */
function rowKernel(m: ModuleBuilder): void {
  m.func('row4', [I32, I32, I32, I32, I32, I32, I32], (f) => {
    const [inp, out, stride, p1, p2, p3, p4] = [0, 1, 2, 3, 4, 5, 6];
    const li = f.local(I32);
    const n = f.local(I32);
    const o = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
    const [sum, nv, v] = [f.local(V128), f.local(V128), f.local(V128)];
    f.get(inp).set(li);
    for (let q = 0; q < 4; q++) f.get(out).get(stride).i32(q).i32Mul().i32Add().set(o[q]!);
    const store = (): void => {
      for (let q = 0; q < 4; q++) {
        f.get(o[q]!).get(v).store32Lane(q);
        bump(f, o[q]!, 4);
      }
    };
    repeat(f, p1, () => {
      f.get(sum).get(inp).v128Load().f32x4Add().set(sum);
      bump(f, inp, 16);
      bump(f, n, 1);
    });
    repeat(f, p2, () => {
      f.get(sum).get(inp).v128Load().f32x4Add().set(sum);
      bump(f, inp, 16);
      bump(f, n, 1);
      splatCount(f, n, nv);
      divide(f, sum, nv, v);
      store();
    });
    splatCount(f, n, nv);
    repeat(f, p3, () => {
      f.get(sum).get(inp).v128Load().f32x4Add().get(li).v128Load().f32x4Sub().set(sum);
      bump(f, inp, 16);
      bump(f, li, 16);
      divide(f, sum, nv, v);
      store();
    });
    repeat(f, p4, () => {
      f.get(sum).get(li).v128Load().f32x4Sub().set(sum);
      bump(f, li, 16);
      f.get(n).i32(1).i32Sub().set(n);
      splatCount(f, n, nv);
      divide(f, sum, nv, v);
      store();
    });
  });
}

/**
 * `row4_sampled(in, out, samples, p1, p2, p3, p4)`: like `row4`, but keeps only the outputs at the 64 sorted column
 * indices of the i32 array `samples` (repeats allowed): row q's kept value s goes to `out + q*256 + s*4`.
 */
function sampledRowKernel(m: ModuleBuilder): void {
  m.func('row4_sampled', [I32, I32, I32, I32, I32, I32, I32], (f) => {
    const [inp, out, samples, p1, p2, p3, p4] = [0, 1, 2, 3, 4, 5, 6];
    const li = f.local(I32);
    const n = f.local(I32);
    const k = f.local(I32);
    const s = f.local(I32);
    const next = f.local(I32);
    const addr = f.local(I32);
    const [sum, nv, v] = [f.local(V128), f.local(V128), f.local(V128)];
    f.get(inp).set(li);
    f.get(samples).i32Load().set(next);
    // Stores the current output for every sample index equal to k, then advances `next`.
    const keep = (): void => {
      f.get(k).get(next).i32Eq().if();
      divide(f, sum, nv, v);
      f.block().loop();
      f.get(out).get(s).i32(2).i32Shl().i32Add().set(addr);
      for (let q = 0; q < 4; q++) f.get(addr).get(v).store32Lane(q, 256 * q);
      bump(f, s, 1);
      f.get(s).i32(64).i32Eq().if().i32(-1).set(next).br(2).end();
      f.get(samples).get(s).i32(2).i32Shl().i32Add().i32Load().tee(next).get(k).i32Ne().brIf(1);
      f.br(0).end().end();
      f.end();
      bump(f, k, 1);
    };
    repeat(f, p1, () => {
      f.get(sum).get(inp).v128Load().f32x4Add().set(sum);
      bump(f, inp, 16);
      bump(f, n, 1);
    });
    repeat(f, p2, () => {
      f.get(sum).get(inp).v128Load().f32x4Add().set(sum);
      bump(f, inp, 16);
      bump(f, n, 1);
      splatCount(f, n, nv);
      keep();
    });
    splatCount(f, n, nv);
    repeat(f, p3, () => {
      f.get(sum).get(inp).v128Load().f32x4Add().get(li).v128Load().f32x4Sub().set(sum);
      bump(f, inp, 16);
      bump(f, li, 16);
      keep();
    });
    repeat(f, p4, () => {
      f.get(sum).get(li).v128Load().f32x4Sub().set(sum);
      bump(f, li, 16);
      f.get(n).i32(1).i32Sub().set(n);
      splatCount(f, n, nv);
      keep();
    });
  });
}

/**
 * Column-pass steps over `groups` groups of 4 columns of the running sums at `sum`:
 * - `col_add(sum, add, groups)`: sum += row `add`;
 * - `col_slide(sum, add, sub, groups, n, out)`: sum = (sum + row `add`) - row `sub`, then emit sum / n;
 * - `col_drop(sum, sub, groups, n, out)`: sum -= row `sub`, then emit;
 * - `col_emit(sum, groups, n, out)`: emit only.
 * "Emit" writes column c of the result to `out + c*16` (one lane of the quad layout; `out` selects the lane).
 */
function columnKernels(m: ModuleBuilder): void {
  m.func('col_add', [I32, I32, I32], (f) => {
    const [sum, add, groups] = [0, 1, 2];
    repeat(f, groups, () => {
      f.get(sum).get(sum).v128Load().get(add).v128Load().f32x4Add().v128Store();
      bump(f, sum, 16);
      bump(f, add, 16);
    });
  });
  const emitter = (name: string, params: number, update: (f: FunctionBuilder, sum: number, row: { add?: number; sub?: number }) => void, roles: { add?: number; sub?: number; groups: number; n: number; out: number }) => {
    m.func(name, Array(params).fill(I32), (f) => {
      const [v, nv, q] = [f.local(V128), f.local(V128), f.local(V128)];
      const sum = 0;
      splatCount(f, roles.n, nv);
      repeat(f, roles.groups, () => {
        update(f, sum, roles);
        f.set(v);
        f.get(sum).get(v).v128Store();
        f.get(v).get(nv).f32x4Div().set(q);
        for (let lane = 0; lane < 4; lane++) f.get(roles.out).get(q).store32Lane(lane, 16 * lane);
        bump(f, roles.out, 64);
        bump(f, sum, 16);
        if (roles.add !== undefined) bump(f, roles.add, 16);
        if (roles.sub !== undefined) bump(f, roles.sub, 16);
      });
    });
  };
  emitter(
    'col_slide',
    6,
    (f, sum, r) => f.get(sum).v128Load().get(r.add!).v128Load().f32x4Add().get(r.sub!).v128Load().f32x4Sub(),
    { add: 1, sub: 2, groups: 3, n: 4, out: 5 },
  );
  emitter('col_drop', 5, (f, sum, r) => f.get(sum).v128Load().get(r.sub!).v128Load().f32x4Sub(), { sub: 1, groups: 2, n: 3, out: 4 });
  emitter('col_emit', 4, (f, sum) => f.get(sum).v128Load(), { groups: 1, n: 2, out: 3 });
}

/** The assembled kernel module. */
export function assemblePdqKernels(): Uint8Array {
  const m = new ModuleBuilder();
  lumaKernels(m);
  rowKernel(m);
  sampledRowKernel(m);
  columnKernels(m);
  return m.encode();
}

/** The part of `WebAssembly.Memory` the driver uses (the project's type libs have no DOM/WebAssembly types). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The kernels' exports, as {@link assemblePdqKernels} defines them. */
export interface PdqKernels {
  memory: WasmMemory;
  luma_rgb(src: number, rowBytes: number, groups: number, dst: number, masks: number, pixelBytes: number): void;
  luma_grey(src: number, rowBytes: number, groups: number, dst: number): void;
  row4(inp: number, out: number, stride: number, p1: number, p2: number, p3: number, p4: number): void;
  row4_sampled(inp: number, out: number, samples: number, p1: number, p2: number, p3: number, p4: number): void;
  col_add(sum: number, add: number, groups: number): void;
  col_slide(sum: number, add: number, sub: number, groups: number, n: number, out: number): void;
  col_drop(sum: number, sub: number, groups: number, n: number, out: number): void;
  col_emit(sum: number, groups: number, n: number, out: number): void;
}
