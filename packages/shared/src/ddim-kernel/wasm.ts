/**
 * The WebAssembly SIMD build of the DDIM update (source: ddim.wat), compiled synchronously at first
 * use. Inputs are copied into the module's memory (grown as needed), updated there in place and
 * copied out.
 */
import { DDIM_WASM_BASE64 } from './ddim-wasm.ts';

/**
 * Writes x' = x0·sqrtTarget + sqrt1mTarget·ε' into `out` (which may be x), where x0 = A·x − B·ε
 * (clamped to [−1, 1] when `clip`) and ε' = (A·x − x0)/B, every operation in float32. Returns
 * whether every value of eps is finite; out is written either way. The coefficients must be float32
 * values (as ddimCoefficients gives).
 */
export type DdimUpdate = (
  out: Float32Array,
  x: Float32Array,
  eps: Float32Array,
  A: number,
  B: number,
  sqrtTarget: number,
  sqrt1mTarget: number,
  clip: boolean,
) => boolean;

interface KernelExports {
  memory: WebAssembly.Memory;
  ddim(
    n4: number,
    epsAt: number,
    A: number,
    B: number,
    s: number,
    s1m: number,
    lo: number,
    hi: number,
  ): number;
}

const PAGE = 65536;

/** The wasm update, or null where the runtime refuses wasm compiled from bytes (workerd) or lacks SIMD. */
export function instantiateWasmDdim(): DdimUpdate | null {
  let kernel: KernelExports;
  try {
    const bytes = Uint8Array.from(atob(DDIM_WASM_BASE64), (c) => c.charCodeAt(0));
    kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as KernelExports;
  } catch {
    return null;
  }
  const { memory, ddim } = kernel;
  return (out, x, eps, A, B, sqrtTarget, sqrt1mTarget, clip) => {
    const n = x.length;
    const n4 = Math.ceil(n / 4) * 4; // whole vectors; the pad lanes' results are never copied out
    const bytes = 8 * n4;
    if (memory.buffer.byteLength < bytes) {
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
    }
    const heap = new Float32Array(memory.buffer, 0, 2 * n4);
    heap.set(x);
    heap.set(eps, n4);
    heap.fill(0, n4 + n); // finite eps pad lanes: stale values there must not fail the check
    const lim = clip ? 1 : Number.POSITIVE_INFINITY;
    const finite = ddim(n4, 4 * n4, A, B, sqrtTarget, sqrt1mTarget, -lim, lim) === 1;
    out.set(heap.subarray(0, n));
    return finite;
  };
}
