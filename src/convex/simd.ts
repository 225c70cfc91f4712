/**
 * The 4 × 4-tile kernel of `timesTransposed` as a WebAssembly SIMD function (f64x2: two columns
 * of a tile per instruction). Scalar JavaScript runs it at ~2.5 GFLOP/s here and it is ~60 % of
 * the interior point's time at n = 1000 (the Newton matrix's Σ_i D_i X K_i Xᵀ D_i). Each entry is
 * the same running sum Σ_j A[a, j] B[b, j] in increasing j, one rounded multiply and one rounded
 * add per term (Wasm has no fused multiply–add outside relaxed SIMD), so results are bitwise
 * those of the scalar kernel. The module is emitted here byte by byte (its ~300 bytes are easier
 * to read as the instruction list below than as a checked-in binary); where Wasm SIMD is missing
 * `simdKernel()` returns undefined and the scalar kernel runs.
 */

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

/** Unsigned LEB128. */
function leb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** A vector of items: its length, then the items. */
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const name = (s: string): number[] => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Instructions (those the kernel uses).
const get = (l: number) => [0x20, l];
const set = (l: number) => [0x21, l];
const i32 = (c: number) => [0x41, ...leb(c)]; // non-negative constants below 64 only
const add = [0x6a];
const sub = [0x6b];
const mul = [0x6c];
const geS = [0x4e];
const gtS = [0x4a];
const ltS = [0x48];
const and = [0x71];
const eqz = [0x45];
const select = [0x1b];
const block = [0x02, 0x40];
const loop = [0x03, 0x40];
const end = [0x0b];
const br = (depth: number) => [0x0c, depth];
const brIf = (depth: number) => [0x0d, depth];
/** `body` repeated until `exit` (code leaving an i32 on the stack) is nonzero, tested first. */
const until = (exit: number[], body: number[]) => [
  ...block,
  ...loop,
  ...exit,
  ...brIf(1),
  ...body,
  ...br(0),
  ...end,
  ...end,
];
const simd = (op: number, ...rest: number[]) => [0xfd, ...leb(op), ...rest];
const load = (offset: number) => simd(0x00, 4, ...leb(offset));
const loadSplat = simd(0x0a, 3, 0);
const store = (offset: number) => simd(0x0b, 4, ...leb(offset));
const zero = simd(0x0c, ...new Array(16).fill(0));
const f64x2Add = simd(0xf0);
const f64x2Sub = simd(0xf1);
const f64x2Mul = simd(0xf2);
const f64x2Div = simd(0xf3);
const f64Load = [0x2b, 3, 0];
const f64Store = [0x39, 3, 0];
const f64Sub = [0xa1];
const f64Mul = [0xa2];
const f64Div = [0xa3];
const ifThen = [0x04, 0x40];
const i32Load = [0x28, 2, 0];
const f64Add = [0xa0];
const shl = [0x74];
const ltU = [0x49];
/** 8 × the i32 that `value` leaves: a count of f64 entries in bytes. */
const entries = (value: number[]) => [...value, ...i32(3), ...shl];
/** Byte address base + row · ld (+ 8 col): locals, ld in bytes. */
const address = (base: number, row: number, ld: number, col?: number) => [
  ...get(base),
  ...get(row),
  ...get(ld),
  ...mul,
  ...add,
  ...(col === undefined ? [] : [...entries(get(col)), ...add]),
];
/** local += c, local −= 1. */
const increment = (l: number, c: number) => [...get(l), ...i32(c), ...add, ...set(l)];
const decrement = (l: number) => [...get(l), ...i32(1), ...sub, ...set(l)];

// Parameters: byte addresses of A, Bᵀ and out; rows (a multiple of 4), r, k; row strides in
// bytes of A, Bᵀ and out; lower (0 or 1).
const [A, BT, OUT, ROWS, R, K, LDA, LDB, LDO, LOWER] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
// Locals: row tile i, column tile b, its end, remaining j, the four row pointers (P0 + t), the Bᵀ
// pointer, the out pointer; eight f64x2 sums (row t, columns b..b+1 and b+2..b+3) and three loaded
// vectors.
const [I, B, END, J, P0] = [10, 11, 12, 13, 14];
const [PB, PO] = [18, 19];
const ACC = 20;
const [S, B0, B1] = [28, 29, 30];

/** acc(2t), acc(2t + 1) += splat(A[row t, j]) × (Bᵀ[j, b..b+1], Bᵀ[j, b+2..b+3]). */
const rowUpdate = (t: number) => [
  ...get(P0 + t),
  ...loadSplat,
  ...set(S),
  ...get(ACC + 2 * t),
  ...get(S),
  ...get(B0),
  ...f64x2Mul,
  ...f64x2Add,
  ...set(ACC + 2 * t),
  ...get(ACC + 2 * t + 1),
  ...get(S),
  ...get(B1),
  ...f64x2Mul,
  ...f64x2Add,
  ...set(ACC + 2 * t + 1),
  ...increment(P0 + t, 8),
];

/** One tile's k terms: both Bᵀ pairs of row j, then the four rows' splats (j counts down from k). */
const tileTerms = until(
  [...get(J), ...eqz],
  [
    ...get(PB),
    ...load(0),
    ...set(B0),
    ...get(PB),
    ...load(16),
    ...set(B1),
    ...[0, 1, 2, 3].flatMap(rowUpdate),
    ...get(PB),
    ...get(LDB),
    ...add,
    ...set(PB),
    ...decrement(J),
  ],
);

/** Stores the tile's sums at out rows i..i+3, columns b..b+3. */
const storeTile = [
  ...address(OUT, I, LDO, B),
  ...set(PO),
  ...[0, 1, 2, 3].flatMap((t) => [
    ...get(PO),
    ...get(ACC + 2 * t),
    ...store(0),
    ...get(PO),
    ...get(ACC + 2 * t + 1),
    ...store(16),
    ...get(PO),
    ...get(LDO),
    ...add,
    ...set(PO),
  ]),
];

// Row tiles i = 0, 4, … < rows (locals start at 0); in each, column tiles b while b + 4 ≤ end.
const body = until(
  [...get(I), ...get(ROWS), ...geS],
  [
    // end = lower && i + 4 < r ? i + 4 : r
    ...get(I),
    ...i32(4),
    ...add,
    ...get(R),
    ...get(LOWER),
    ...get(I),
    ...i32(4),
    ...add,
    ...get(R),
    ...ltS,
    ...and,
    ...select,
    ...set(END),
    ...i32(0),
    ...set(B),
    ...until(
      [...get(B), ...i32(4), ...add, ...get(END), ...gtS],
      [
        ...Array.from({ length: 8 }, (_, t) => [...zero, ...set(ACC + t)]).flat(),
        // P_t = A + (i + t) · lda; PB = Bᵀ + 8 b; j = k
        ...address(A, I, LDA),
        ...set(P0),
        ...[1, 2, 3].flatMap((t) => [...get(P0 + t - 1), ...get(LDA), ...add, ...set(P0 + t)]),
        ...get(BT),
        ...entries(get(B)),
        ...add,
        ...set(PB),
        ...get(K),
        ...set(J),
        ...tileTerms,
        ...storeTile,
        ...increment(B, 4),
      ],
    ),
    ...increment(I, 4),
  ],
);

/**
 * Row-wise triangular solve on m right-hand sides Y (n × m, rows `ldy` bytes apart), L lower
 * triangular (rows `ldl` bytes apart): row i of Y becomes (Y_i − Σ_j l Y_j) / l_ii, the sum over
 * j < i with l = L_ij (L⁻¹Y) or, `upper`, over j > i from the last row up with l = L_ji (L⁻ᵀY);
 * every entry by the operations of a scalar substitution, in the same order.
 */
function solveRowsBody(upper: boolean): number[] {
  // Parameters: L, ldl, Y, ldy, n, m. Locals (i32): step s, j, i, row i, row j, byte offset c in
  // a row, bytes of its even part, row bytes; the coefficient splat (v128); the coefficient (f64).
  const [L, LDL, Y, LDY, N, M] = [0, 1, 2, 3, 4, 5];
  const [SI, SJ, II, RI, RJ, C, EVEN, BYTES] = [6, 7, 8, 9, 10, 11, 12, 13];
  const CV = 14;
  const CS = 15;
  const rowAt = (idx: number) => address(Y, idx, LDY);
  const entry = (row: number, col: number) => address(L, row, LDL, col);
  const at = (row: number) => [...get(row), ...get(C), ...add];
  /** Row i's entries become `vector` (pairs, then stored) and its odd tail `scalar`. */
  const overRow = (vector: number[], scalar: number[]) => [
    ...i32(0),
    ...set(C),
    ...until(
      [...get(C), ...get(EVEN), ...geS],
      [...at(RI), ...vector, ...store(0), ...increment(C, 16)],
    ),
    ...get(C),
    ...get(BYTES),
    ...ltU,
    ...ifThen,
    ...at(RI),
    ...scalar,
    ...f64Store,
    ...end,
  ];
  const axpy = overRow(
    [...at(RI), ...load(0), ...get(CV), ...at(RJ), ...load(0), ...f64x2Mul, ...f64x2Sub],
    [...at(RI), ...f64Load, ...get(CS), ...at(RJ), ...f64Load, ...f64Mul, ...f64Sub],
  );
  const scale = overRow(
    [...at(RI), ...load(0), ...get(CV), ...f64x2Div],
    [...at(RI), ...f64Load, ...get(CS), ...f64Div],
  );
  const coefficient = (addr: number[]) => [
    ...addr,
    ...loadSplat,
    ...set(CV),
    ...addr,
    ...f64Load,
    ...set(CS),
  ];
  return [
    // even part m − (m & 1), in bytes
    ...entries([...get(M), ...get(M), ...i32(1), ...and, ...sub]),
    ...set(EVEN),
    ...entries(get(M)),
    ...set(BYTES),
    ...until(
      [...get(SI), ...get(N), ...geS],
      [
        // i = s (lower) or n − 1 − s (upper); j from 0 to i − 1, or from i + 1 to n − 1
        ...(upper ? [...get(N), ...i32(1), ...sub, ...get(SI), ...sub] : get(SI)),
        ...set(II),
        ...rowAt(II),
        ...set(RI),
        ...(upper ? [...get(II), ...i32(1), ...add] : i32(0)),
        ...set(SJ),
        ...until(
          [...get(SJ), ...(upper ? get(N) : get(II)), ...geS],
          [
            ...coefficient(upper ? entry(SJ, II) : entry(II, SJ)),
            ...rowAt(SJ),
            ...set(RJ),
            ...axpy,
            ...increment(SJ, 1),
          ],
        ),
        ...coefficient(entry(II, II)),
        ...scale,
        ...increment(SI, 1),
      ],
    ),
  ];
}

/**
 * The lower triangle of an m × m result C (rows `ldc` bytes apart) added into rows and columns
 * idx of S (rows `lds` bytes apart): S[idx_a, idx_b] += C[a, b] for b ≤ a, in that order.
 */
function scatterLowerBody(): number[] {
  const [CP, LDC, IDX, M, SP, LDS] = [0, 1, 2, 3, 4, 5];
  const [A, Bc, ROWS, ROWC, ADDR] = [6, 7, 8, 9, 10];
  const index = (l: number) => [...get(IDX), ...get(l), ...i32(2), ...shl, ...add, ...i32Load];
  return until(
    [...get(A), ...get(M), ...geS],
    [
      ...get(SP),
      ...index(A),
      ...get(LDS),
      ...mul,
      ...add,
      ...set(ROWS),
      ...address(CP, A, LDC),
      ...set(ROWC),
      ...i32(0),
      ...set(Bc),
      ...until(
        [...get(Bc), ...get(A), ...gtS],
        [
          ...get(ROWS),
          ...entries(index(Bc)),
          ...add,
          ...set(ADDR),
          ...get(ADDR),
          ...get(ADDR),
          ...f64Load,
          ...get(ROWC),
          ...entries(get(Bc)),
          ...add,
          ...f64Load,
          ...f64Add,
          ...f64Store,
          ...increment(Bc, 1),
        ],
      ),
      ...increment(A, 1),
    ],
  );
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const gemmType = [0x60, ...vec(new Array(10).fill([I32])), ...vec([])];
  const solveType = [0x60, ...vec(new Array(6).fill([I32])), ...vec([])];
  const gemmCode = [
    ...vec([
      [10, I32],
      [11, V128],
    ]),
    ...body,
    ...end,
  ];
  const solveCode = (upper: boolean) => [
    ...vec([
      [8, I32],
      [1, V128],
      [1, F64],
    ]),
    ...solveRowsBody(upper),
    ...end,
  ];
  const scatterCode = [...vec([[5, I32]]), ...scatterLowerBody(), ...end];
  const codes = [gemmCode, solveCode(false), solveCode(true), scatterCode];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([gemmType, solveType])),
    ...section(3, vec([[0], [1], [1], [1]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(
      7,
      vec([
        [...name("gemm"), 0x00, 0],
        [...name("solveLower"), 0x00, 1],
        [...name("solveUpper"), 0x00, 2],
        [...name("scatterLower"), 0x00, 3],
        [...name("memory"), 0x02, 0],
      ]),
    ),
    ...section(10, vec(codes.map((c) => [...leb(c.length), ...c]))),
  ]);
}

export interface SimdKernel {
  /** out[a, b] = Σ_j A[a, j] Bᵀ[j, b] over full 4 × 4 tiles (a < rows, a multiple of 4). */
  gemm(
    a: number,
    bt: number,
    out: number,
    rows: number,
    r: number,
    k: number,
    lda: number,
    ldb: number,
    ldo: number,
    lower: number,
  ): void;
  /** Y ← L⁻¹Y (`solveLower`) or L⁻ᵀY (`solveUpper`) row by row (`solveRowsBody`). */
  solveLower(l: number, ldl: number, y: number, ldy: number, n: number, m: number): void;
  solveUpper(l: number, ldl: number, y: number, ldy: number, n: number, m: number): void;
  /** S[idx_a, idx_b] += C[a, b] for b ≤ a < m (`scatterLowerBody`). */
  scatterLower(c: number, ldc: number, idx: number, m: number, s: number, lds: number): void;
  memory: WebAssembly.Memory;
}

let kernel: SimdKernel | null | undefined;

/** The compiled kernel, or undefined where this runtime has no Wasm SIMD. */
export function simdKernel(): SimdKernel | undefined {
  if (kernel === undefined) {
    const bytes = moduleBytes();
    kernel = null;
    if (typeof WebAssembly === "object" && WebAssembly.validate(bytes)) {
      const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
      kernel = {
        gemm: exports.gemm as SimdKernel["gemm"],
        solveLower: exports.solveLower as SimdKernel["solveLower"],
        solveUpper: exports.solveUpper as SimdKernel["solveUpper"],
        scatterLower: exports.scatterLower as SimdKernel["scatterLower"],
        memory: exports.memory as WebAssembly.Memory,
      };
    }
  }
  return kernel ?? undefined;
}
