;; world: socket-probe
;; Tries to create a TCP socket through wasi:sockets and prints the outcome
;; ("tcp socket: denied, error-code 1" is access-denied).
(module
  (import "cm32p2|wasi:sockets/tcp-create-socket@0.2" "create-tcp-socket" (func $create_tcp (param i32 i32)))
  (import "cm32p2|wasi:cli/stdout@0.2" "get-stdout" (func $get_stdout (result i32)))
  (import "cm32p2|wasi:io/streams@0.2" "[method]output-stream.blocking-write-and-flush" (func $write_flush (param i32 i32 i32 i32)))

  (memory (export "cm32p2_memory") 1)
  (data (i32.const 256) "tcp socket: denied, error-code ")
  (data (i32.const 320) "tcp socket: CREATED\n")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "cm32p2_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "cm32p2_initialize"))

  (func (export "cm32p2|wasi:cli/run@0.2|run") (result i32)
    (local $out i32)
    (local.set $out (call $get_stdout))
    ;; family ipv4 = 0; result<tcp-socket, error-code> at 64: tag@64, payload@68
    (call $create_tcp (i32.const 0) (i32.const 64))
    (if (i32.load8_u (i32.const 64))
      (then
        (call $write_flush (local.get $out) (i32.const 256) (i32.const 31) (i32.const 96))
        (i32.store8 (i32.const 200) (i32.add (i32.const 48) (i32.load8_u (i32.const 68))))
        (i32.store8 (i32.const 201) (i32.const 10))
        (call $write_flush (local.get $out) (i32.const 200) (i32.const 2) (i32.const 96)))
      (else (call $write_flush (local.get $out) (i32.const 320) (i32.const 20) (i32.const 96))))
    (i32.const 0))
)
