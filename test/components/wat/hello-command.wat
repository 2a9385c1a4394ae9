;; Prints a greeting, then each argument after argv[0] on its own line; one line on stderr.
  (data (i32.const 64) "hello from wasm\00")
  (data (i32.const 96) "hello on stderr\00")
  (func (export "_start")
    (local $argc i32) (local $i i32)
    (call $puts (i32.const 1) (i32.const 64))
    (local.set $argc (call $load_args))
    (local.set $i (i32.const 1))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $argc)))
      (call $puts (i32.const 1) (call $arg (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $puts (i32.const 2) (i32.const 96)))
