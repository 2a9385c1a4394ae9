;; fs-probe <read|write> <path>: opens <path> relative to the first
;; preopened directory (fd 3, the first `mount`), following symlinks, and
;; prints "<op> <path>: ok <up to 64 bytes read>" or "<op> <path>: denied, errno N".
  (data (i32.const 64) ": ok \00")
  (data (i32.const 80) ": denied, errno \00")
  (data (i32.const 112) "written by fs-probe\n\00")
  (func (export "_start")
    (local $op i32) (local $path i32) (local $write i32) (local $errno i32) (local $fd i32)
    (drop (call $load_args))
    (local.set $op (call $arg (i32.const 1)))
    (local.set $path (call $arg (i32.const 2)))
    (local.set $write (i32.eq (i32.load8_u (local.get $op)) (i32.const 119))) ;; 'w'
    (call $write (i32.const 1) (local.get $op) (call $strlen (local.get $op)))
    (call $write (i32.const 1) (i32.const 60) (i32.const 0))
    (i32.store8 (i32.const 63) (i32.const 32))
    (call $write (i32.const 1) (i32.const 63) (i32.const 1))
    (call $write (i32.const 1) (local.get $path) (call $strlen (local.get $path)))
    ;; path_open(fd 3, follow symlinks, path, oflags: create|trunc for write, rights read or write)
    (local.set $errno (call $path_open (i32.const 3) (i32.const 1) (local.get $path) (call $strlen (local.get $path))
      (select (i32.const 9) (i32.const 0) (local.get $write))
      (select (i64.const 64) (i64.const 2) (local.get $write)) (i64.const 0) (i32.const 0) (i32.const 56)))
    (if (local.get $errno)
      (then
        (call $write (i32.const 1) (i32.const 80) (i32.const 16))
        (call $print_u32 (i32.const 1) (local.get $errno))
        (call $newline (i32.const 1))
        (return)))
    (local.set $fd (i32.load (i32.const 56)))
    (call $write (i32.const 1) (i32.const 64) (i32.const 5))
    (if (local.get $write)
      (then
        (call $write (local.get $fd) (i32.const 112) (i32.const 20))
        (call $newline (i32.const 1)))
      (else
        ;; read up to 64 bytes into 4096 and print them
        (i32.store (i32.const 0) (i32.const 4096))
        (i32.store (i32.const 4) (i32.const 64))
        (drop (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
        (call $write (i32.const 1) (i32.const 4096) (i32.load (i32.const 8)))
        (call $newline (i32.const 1)))))
