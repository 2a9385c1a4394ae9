;; Exits with the status given as its first argument (WASI 0.2 commands can
;; only report success or failure: any non-zero status arrives as 1).
  (data (i32.const 64) "exiting with \00")
  (func (export "_start")
    (local $code i32)
    (if (i32.gt_u (call $load_args) (i32.const 1))
      (then (local.set $code (call $atoi (call $arg (i32.const 1))))))
    (call $write (i32.const 1) (i32.const 64) (i32.const 13))
    (call $print_u32 (i32.const 1) (local.get $code))
    (call $newline (i32.const 1))
    (call $proc_exit (local.get $code)))
