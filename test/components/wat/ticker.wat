;; Prints "tick N" once a second. Runs forever, or for as many ticks as its
;; first argument says and then exits 0.
  (data (i32.const 64) "tick \00")
  (func (export "_start")
    (local $n i32) (local $limit i32)
    (if (i32.gt_u (call $load_args) (i32.const 1))
      (then (local.set $limit (call $atoi (call $arg (i32.const 1))))))
    (loop $forever
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (call $write (i32.const 1) (i32.const 64) (i32.const 5))
      (call $print_u32 (i32.const 1) (local.get $n))
      (call $newline (i32.const 1))
      (if (i32.and (i32.ne (local.get $limit) (i32.const 0)) (i32.ge_u (local.get $n) (local.get $limit)))
        (then (return)))
      (call $sleep_ns (i64.const 1000000000))
      (br $forever)))
