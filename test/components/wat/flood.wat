;; flood <MiB>: writes <MiB> MiB of 'x' lines to stdout as fast as it can.
  (func (export "_start")
    (local $chunks i32) (local $i i32) (local $base i32)
    (drop (call $load_args))
    (local.set $chunks (i32.mul (call $atoi (call $arg (i32.const 1))) (i32.const 16)))
    ;; a 64 KiB block of 'x' with a newline every 64 bytes, in a fresh page
    ;; (the adapter keeps its state in the heap below)
    (local.set $base (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)))
    (memory.fill (local.get $base) (i32.const 120) (i32.const 65536))
    (local.set $i (i32.const 63))
    (loop $nl
      (i32.store8 (i32.add (local.get $base) (local.get $i)) (i32.const 10))
      (local.set $i (i32.add (local.get $i) (i32.const 64)))
      (br_if $nl (i32.lt_u (local.get $i) (i32.const 65536))))
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $chunks)))
      (call $write (i32.const 1) (local.get $base) (i32.const 65536))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))
