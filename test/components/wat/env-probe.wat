;; Prints every environment variable it can see, then tries to open
;; /etc/passwd through the first preopened directory (fd 3) and says how it went.
  (data (i32.const 64) "etc/passwd\00")
  (data (i32.const 96) "open /etc/passwd: denied, errno \00")
  (data (i32.const 160) "open /etc/passwd: ALLOWED\00")
  (func (export "_start")
    (local $count i32) (local $i i32) (local $errno i32)
    (drop (call $environ_sizes_get (i32.const 48) (i32.const 52)))
    (local.set $count (i32.load (i32.const 48)))
    (drop (call $environ_get (i32.const 1024) (i32.const 16384)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (call $puts (i32.const 1) (call $arg (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.set $errno (call $path_open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 10)
                                       (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 56)))
    (if (i32.eqz (local.get $errno))
      (then (call $puts (i32.const 1) (i32.const 160)))
      (else
        (call $write (i32.const 1) (i32.const 96) (i32.const 32))
        (call $print_u32 (i32.const 1) (local.get $errno))
        (call $newline (i32.const 1)))))
