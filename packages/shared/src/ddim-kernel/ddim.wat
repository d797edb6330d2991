;; The DDIM (η = 0) update on four float32 lanes at a time: the source of ddim-wasm.ts, assembled by
;; scripts/build-ddim-wasm.mjs (a tiny assembler for exactly this subset: flat instructions, no folding).
;;
;; Memory, laid out by wasm.ts: x at byte 0, overwritten in place by the result, and eps at byte
;; $epsAt, each $n4 values long ($n4 = n rounded up to a multiple of 4; eps pad lanes hold 0).
;; Per lane, every operation in float32 as in PyTorch (and ddim.ts's reference loop):
;;   ax = A·x;  x0 = clamp(ax − B·eps, lo, hi);  x' = x0·s + s1m·((ax − x0)/B)
;; lo, hi are −1, 1 with clipping and −inf, inf without (the clamp is then the identity).
;; pmin(a, b) = b < a ? b : a and pmax(a, b) = a < b ? b : a keep a NaN x0 and a −0 x0 as they are,
;; like Math.max(−1, Math.min(1, x0)) does.
;; Returns 1 when every eps lane is finite (|eps| < inf), else 0.
(module
  (memory (export "memory") 1)
  (func (export "ddim")
    (param $n4 i32) (param $epsAt i32) (param $A f32) (param $B f32)
    (param $s f32) (param $s1m f32) (param $lo f32) (param $hi f32)
    (result i32)
    (local $i i32) (local $end i32)
    (local $vA v128) (local $vB v128) (local $vs v128) (local $vs1m v128)
    (local $vlo v128) (local $vhi v128) (local $inf v128) (local $finite v128)
    (local $e v128) (local $ax v128) (local $x0 v128)

    local.get $A    f32x4.splat  local.set $vA
    local.get $B    f32x4.splat  local.set $vB
    local.get $s    f32x4.splat  local.set $vs
    local.get $s1m  f32x4.splat  local.set $vs1m
    local.get $lo   f32x4.splat  local.set $vlo
    local.get $hi   f32x4.splat  local.set $vhi
    f32.const inf   f32x4.splat  local.set $inf
    i32.const -1    i32x4.splat  local.set $finite
    local.get $n4  i32.const 2  i32.shl  local.set $end   ;; in bytes

    block $done
      loop $next
        local.get $i  local.get $end  i32.ge_u  br_if $done

        ;; e = eps[i];  finite &= |e| < inf
        local.get $i  local.get $epsAt  i32.add  v128.load  local.set $e
        local.get $finite
        local.get $e  f32x4.abs  local.get $inf  f32x4.lt
        v128.and  local.set $finite

        ;; ax = A·x[i]
        local.get $vA  local.get $i  v128.load  f32x4.mul  local.set $ax

        ;; x0 = clamp(ax − B·e, lo, hi)
        local.get $ax  local.get $vB  local.get $e  f32x4.mul  f32x4.sub
        local.get $vhi  f32x4.pmin
        local.get $vlo  f32x4.pmax
        local.set $x0

        ;; x[i] = x0·s + s1m·((ax − x0)/B)
        local.get $i
        local.get $x0  local.get $vs  f32x4.mul
        local.get $vs1m  local.get $ax  local.get $x0  f32x4.sub  local.get $vB  f32x4.div  f32x4.mul
        f32x4.add
        v128.store

        local.get $i  i32.const 16  i32.add  local.set $i
        br $next
      end
    end
    local.get $finite  i32x4.all_true))
