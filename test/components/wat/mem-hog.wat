;; mem-hog <max MiB>: grows linear memory 1 MiB at a time, touching every
;; new page, until memory.grow refuses or <max MiB> is reached; prints
;; "memory: <MiB> MiB, grow refused" or "memory: <MiB> MiB, limit reached".
  (data (i32.const 64) "memory: \00")
  (data (i32.const 80) " MiB, grow refused\00")
  (data (i32.const 112) " MiB, limit reached\00")
  (func (export "_start")
    (local $max i32) (local $old i32) (local $p i32) (local $refused i32)
    (drop (call $load_args))
    (local.set $max (i32.mul (call $atoi (call $arg (i32.const 1))) (i32.const 16)))
    (block $done (loop $grow
      (br_if $done (i32.ge_u (memory.size) (local.get $max)))
      (local.set $old (memory.grow (i32.const 16)))
      (if (i32.eq (local.get $old) (i32.const -1)) (then (local.set $refused (i32.const 1)) (br $done)))
      ;; touch each new page so it is really resident
      (local.set $p (i32.mul (local.get $old) (i32.const 65536)))
      (loop $touch
        (i32.store8 (local.get $p) (i32.const 1))
        (local.set $p (i32.add (local.get $p) (i32.const 4096)))
        (br_if $touch (i32.lt_u (local.get $p) (i32.mul (memory.size) (i32.const 65536)))))
      (br $grow)))
    (call $write (i32.const 1) (i32.const 64) (i32.const 8))
    (call $print_u32 (i32.const 1) (i32.div_u (memory.size) (i32.const 16)))
    (if (local.get $refused)
      (then (call $puts (i32.const 1) (i32.const 80)))
      (else (call $puts (i32.const 1) (i32.const 112)))))
