/**
 * A minimal WebAssembly binary emitter: just the sections, instructions and SIMD opcodes the PDQ kernels use
 * (`pdq-wasm-kernels.ts`). Writing the few kernels against this keeps the repository free of opaque binaries and of
 * a build-time toolchain; the kernels are assembled and compiled once, at first use.
 *
 * @internal
 * @module
 */

/** WebAssembly value types used here. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

function uleb(value: number, out: number[]): void {
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
}

function sleb(value: number, out: number[]): void {
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** Builds one function body. Locals are declared up front; parameters come first in the index space. */
export class FunctionBuilder {
  readonly code: number[] = [];
  readonly #localTypes: ValType[] = [];
  readonly #paramCount: number;

  constructor(params: readonly ValType[]) {
    this.#paramCount = params.length;
  }

  /** Declares a local and returns its index. */
  local(type: ValType): number {
    this.#localTypes.push(type);
    return this.#paramCount + this.#localTypes.length - 1;
  }

  #op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  #simd(opcode: number): this {
    this.code.push(0xfd);
    uleb(opcode, this.code);
    return this;
  }

  #memarg(offset: number, align: number): this {
    uleb(align, this.code);
    uleb(offset, this.code);
    return this;
  }

  // Control
  block(): this {
    return this.#op(0x02, 0x40);
  }
  loop(): this {
    return this.#op(0x03, 0x40);
  }
  if(): this {
    return this.#op(0x04, 0x40);
  }
  else(): this {
    return this.#op(0x05);
  }
  end(): this {
    return this.#op(0x0b);
  }
  br(depth: number): this {
    this.code.push(0x0c);
    uleb(depth, this.code);
    return this;
  }
  brIf(depth: number): this {
    this.code.push(0x0d);
    uleb(depth, this.code);
    return this;
  }

  // Locals
  get(index: number): this {
    this.code.push(0x20);
    uleb(index, this.code);
    return this;
  }
  set(index: number): this {
    this.code.push(0x21);
    uleb(index, this.code);
    return this;
  }
  tee(index: number): this {
    this.code.push(0x22);
    uleb(index, this.code);
    return this;
  }

  // i32
  i32(value: number): this {
    this.code.push(0x41);
    sleb(value | 0, this.code);
    return this;
  }
  i32Load(offset = 0): this {
    return this.#op(0x28).#memarg(offset, 2);
  }
  i32Add(): this {
    return this.#op(0x6a);
  }
  i32Sub(): this {
    return this.#op(0x6b);
  }
  i32Mul(): this {
    return this.#op(0x6c);
  }
  i32Eq(): this {
    return this.#op(0x46);
  }
  i32Ne(): this {
    return this.#op(0x47);
  }
  i32Eqz(): this {
    return this.#op(0x45);
  }
  i32LtS(): this {
    return this.#op(0x48);
  }
  i32GeS(): this {
    return this.#op(0x4e);
  }
  i32Shl(): this {
    return this.#op(0x74);
  }

  // f32
  f32(value: number): this {
    this.code.push(0x43);
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    this.code.push(...bytes);
    return this;
  }
  f32ConvertI32S(): this {
    return this.#op(0xb2);
  }

  // SIMD
  v128Load(offset = 0): this {
    return this.#simd(0x00).#memarg(offset, 0);
  }
  v128Store(offset = 0): this {
    return this.#simd(0x0b).#memarg(offset, 0);
  }
  v128Const(bytes: readonly number[]): this {
    this.#simd(0x0c);
    this.code.push(...bytes);
    return this;
  }
  /** `i8x16.shuffle` with 16 lane indices (0-15 pick from the first operand, 16-31 from the second). */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new Error('shuffle needs 16 lanes');
    this.#simd(0x0d);
    this.code.push(...lanes);
    return this;
  }
  /** `i8x16.swizzle`: byte lanes of the first operand picked by the second; indices above 15 give 0. */
  swizzle(): this {
    return this.#simd(0x0e);
  }
  f32x4Splat(): this {
    return this.#simd(0x13);
  }
  /** `v128.store32_lane`: stores lane `lane` as an f32 at address + offset. */
  store32Lane(lane: number, offset = 0): this {
    this.#simd(0x5a).#memarg(offset, 2);
    this.code.push(lane);
    return this;
  }
  f32x4Add(): this {
    return this.#simd(0xe4);
  }
  f32x4Sub(): this {
    return this.#simd(0xe5);
  }
  f32x4Mul(): this {
    return this.#simd(0xe6);
  }
  f32x4Div(): this {
    return this.#simd(0xe7);
  }
  f32x4ConvertI32x4U(): this {
    return this.#simd(0xfb);
  }

  /** The encoded body: local declarations, code, `end`. */
  encode(): number[] {
    const out: number[] = [];
    const groups: Array<[number, ValType]> = [];
    for (const t of this.#localTypes) {
      const last = groups.at(-1);
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(groups.length, out);
    for (const [count, type] of groups) {
      uleb(count, out);
      out.push(type);
    }
    out.push(...this.code, 0x0b);
    const sized: number[] = [];
    uleb(out.length, sized);
    return [...sized, ...out];
  }
}

interface FunctionEntry {
  name: string;
  params: readonly ValType[];
  body: FunctionBuilder;
}

/** Builds a module with one exported memory (`memory`) and exported functions without results. */
export class ModuleBuilder {
  readonly #functions: FunctionEntry[] = [];

  /** Adds an exported function; `build` writes its body. */
  func(name: string, params: readonly ValType[], build: (f: FunctionBuilder) => void): void {
    const body = new FunctionBuilder(params);
    build(body);
    this.#functions.push({ name, params, body });
  }

  /** The module's bytes. */
  encode(): Uint8Array {
    const section = (id: number, content: number[]): number[] => {
      const out = [id];
      uleb(content.length, out);
      return [...out, ...content];
    };
    const vec = (items: number[][]): number[] => {
      const out: number[] = [];
      uleb(items.length, out);
      for (const item of items) out.push(...item);
      return out;
    };
    const name = (s: string): number[] => {
      const bytes = [...new TextEncoder().encode(s)];
      const out: number[] = [];
      uleb(bytes.length, out);
      return [...out, ...bytes];
    };
    const types = this.#functions.map((f) => {
      const out = [0x60];
      uleb(f.params.length, out);
      out.push(...f.params, 0x00);
      return out;
    });
    const funcs = this.#functions.map((_, i) => {
      const out: number[] = [];
      uleb(i, out);
      return out;
    });
    const exports = [
      [...name('memory'), 0x02, 0x00],
      ...this.#functions.map((f, i) => {
        const out = [...name(f.name), 0x00];
        uleb(i, out);
        return out;
      }),
    ];
    const bytes = [
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, vec(types)),
      ...section(3, vec(funcs)),
      ...section(5, vec([[0x00, 0x01]])), // one memory, min 1 page, no max
      ...section(7, vec(exports)),
      ...section(10, vec(this.#functions.map((f) => f.body.encode()))),
    ];
    return new Uint8Array(bytes);
  }
}
