;; A minimal wasi:http/handler@0.3.0 service: 200, content-type text/plain,
;; "hello from wasm\n" (the same answer as hello-http.wat, the WASI 0.2 one:
;; the pair is the benchmark's 0.2 vs 0.3 comparison, built by one toolchain).
;; Written by hand against the component model's async ABI: handle() is an
;; async-lifted export with a callback. It makes the body stream and the
;; trailers future, returns the response with task.return, then writes the
;; body and `ok(none)` trailers, waiting on a waitable set whenever a write is
;; blocked (the host has not read yet): the callback continues from there.
;; Per-task state lives in a 16-byte slot (context-set 0), so concurrent
;; requests on one instance do not mix.
;;
;; variant: hello-http-p3 world=http-service-p3
;; The same service importing wasi:http/handler too (a middleware: it would
;; call a next handler), which the driver does not host: a bad input.
;; variant: p3-middleware world=http-middleware-p3 ;;MIDDLEWARE=
;; A long body instead: 256 writes of 32 KiB (8 MiB, whatever the memory
;; holds); when the host drops the body (its client went away) it goes on
;; to the trailers, as a guest should.
;; variant: long-http-p3 world=http-service-p3 ;;LONG=
(module
  (import "wasi:http/types@0.3.0" "[constructor]fields" (func $fields_new (result i32)))
  (import "wasi:http/types@0.3.0" "[method]fields.append" (func $fields_append (param i32 i32 i32 i32 i32 i32)))
  (import "wasi:http/types@0.3.0" "[static]response.new" (func $response_new (param i32 i32 i32 i32 i32)))
  (import "wasi:http/types@0.3.0" "[stream-new-0][static]response.new" (func $body_new (result i64)))
  (import "wasi:http/types@0.3.0" "[async-lower][stream-write-0][static]response.new" (func $body_write (param i32 i32 i32) (result i32)))
  (import "wasi:http/types@0.3.0" "[stream-drop-writable-0][static]response.new" (func $body_drop_writable (param i32)))
  (import "wasi:http/types@0.3.0" "[future-new-1][static]response.new" (func $trailers_new (result i64)))
  (import "wasi:http/types@0.3.0" "[async-lower][future-write-1][static]response.new" (func $trailers_write (param i32 i32) (result i32)))
  (import "wasi:http/types@0.3.0" "[future-drop-writable-1][static]response.new" (func $trailers_drop_writable (param i32)))
  (import "wasi:http/types@0.3.0" "[future-drop-readable-2][static]response.new" (func $sent_drop_readable (param i32)))
  (import "wasi:http/types@0.3.0" "[resource-drop]request" (func $request_drop (param i32)))
  (import "[export]wasi:http/handler@0.3.0" "[task-return]handle" (func $task_return (param i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "$root" "[waitable-set-new]" (func $set_new (result i32)))
  (import "$root" "[waitable-join]" (func $join (param i32 i32)))
  (import "$root" "[waitable-set-drop]" (func $set_drop (param i32)))
  (import "$root" "[context-get-0]" (func $context_get (result i32)))
  (import "$root" "[context-set-0]" (func $context_set (param i32)))
  ;;MIDDLEWARE (import "wasi:http/handler@0.3.0" "[async-lower]handle" (func $next (param i32 i32) (result i32)))

  (memory (export "memory") 1)
  (data (i32.const 256) "content-type")
  (data (i32.const 288) "text/plain")
  (data (i32.const 320) "hello from wasm\n")
  (global $heap (mut i32) (i32.const 32768))
  (global $free (mut i32) (i32.const 0))
  (global $next (mut i32) (i32.const 1024))

  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))

  ;; per-task state: 16-byte slots [body writable, trailers writable, waitable set, writes left (long-http-p3)]
  (func $slot_alloc (result i32) (local $s i32)
    (if (global.get $free) (then
      (local.set $s (global.get $free))
      (global.set $free (i32.load (local.get $s)))
      (return (local.get $s))))
    (local.set $s (global.get $next))
    (global.set $next (i32.add (local.get $s) (i32.const 16)))
    (local.get $s))
  (func $slot_free (param $s i32)
    (i32.store (local.get $s) (global.get $free))
    (global.set $free (local.get $s)))

  (func (export "[async-lift]wasi:http/handler@0.3.0#handle") (param $request i32) (result i32)
    (local $headers i32) (local $body i64) (local $trailers i64) (local $s i32)
    (call $request_drop (local.get $request))
    (local.set $headers (call $fields_new))
    (call $fields_append (local.get $headers) (i32.const 256) (i32.const 12) (i32.const 288) (i32.const 10) (i32.const 64))
    (local.set $body (call $body_new))
    (local.set $trailers (call $trailers_new))
    (call $response_new (local.get $headers) (i32.const 1) (i32.wrap_i64 (local.get $body))
      (i32.wrap_i64 (local.get $trailers)) (i32.const 64))
    (call $sent_drop_readable (i32.load (i32.const 68)))
    (call $task_return (i32.const 0) (i32.load (i32.const 64)) (i32.const 0) (i64.const 0)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (local.set $s (call $slot_alloc))
    (i32.store (local.get $s) (i32.wrap_i64 (i64.shr_u (local.get $body) (i64.const 32))))
    (i32.store offset=4 (local.get $s) (i32.wrap_i64 (i64.shr_u (local.get $trailers) (i64.const 32))))
    (i32.store offset=8 (local.get $s) (call $set_new))
    ;;LONG (i32.store offset=12 (local.get $s) (i32.const 256))
    (call $context_set (local.get $s))
    (call $write_body (local.get $s)))

  ;; Each step starts a write; BLOCKED (-1) waits for its event, else goes on.
  (func $write_body (param $s i32) (result i32)
    ;;LONG (local $r i32)
    ;;LONG (loop $more
    ;;LONG   (if (i32.eqz (i32.load offset=12 (local.get $s))) (then (return (call $write_trailers (local.get $s)))))
    ;;LONG   (i32.store offset=12 (local.get $s) (i32.sub (i32.load offset=12 (local.get $s)) (i32.const 1)))
    ;;LONG   (local.set $r (call $body_write (i32.load (local.get $s)) (i32.const 0) (i32.const 32768)))
    ;;LONG   (if (i32.eq (local.get $r) (i32.const -1)) (then (return (call $wait (local.get $s) (i32.load (local.get $s))))))
    ;;LONG   (if (i32.and (local.get $r) (i32.const 0xf)) (then (return (call $write_trailers (local.get $s))))) ;; DROPPED
    ;;LONG   (br $more))
    (if (i32.eq (call $body_write (i32.load (local.get $s)) (i32.const 320) (i32.const 16)) (i32.const -1))
      (then (return (call $wait (local.get $s) (i32.load (local.get $s))))))
    (call $write_trailers (local.get $s)))
  (func $write_trailers (param $s i32) (result i32)
    (call $body_drop_writable (i32.load (local.get $s)))
    (if (i32.eq (call $trailers_write (i32.load offset=4 (local.get $s)) (i32.const 128)) (i32.const -1))
      (then (return (call $wait (local.get $s) (i32.load offset=4 (local.get $s))))))
    (call $finish (local.get $s)))
  (func $finish (param $s i32) (result i32)
    (call $trailers_drop_writable (i32.load offset=4 (local.get $s)))
    (call $set_drop (i32.load offset=8 (local.get $s)))
    (call $slot_free (local.get $s))
    (i32.const 0)) ;; EXIT
  (func $wait (param $s i32) (param $waitable i32) (result i32)
    (call $join (local.get $waitable) (i32.load offset=8 (local.get $s)))
    (i32.or (i32.const 2) (i32.shl (i32.load offset=8 (local.get $s)) (i32.const 4)))) ;; WAIT | set << 4

  (func (export "[callback][async-lift]wasi:http/handler@0.3.0#handle") (param $event i32) (param $waitable i32) (param $payload i32) (result i32)
    (local $s i32)
    (local.set $s (call $context_get))
    (call $join (local.get $waitable) (i32.const 0))
    ;;LONG (if (i32.and (i32.eq (local.get $event) (i32.const 3)) (i32.eqz (i32.and (local.get $payload) (i32.const 0xf))))
    ;;LONG   (then (return (call $write_body (local.get $s))))) ;; STREAM_WRITE, COMPLETED: the next 32 KiB
    (if (i32.eq (local.get $event) (i32.const 3)) (then (return (call $write_trailers (local.get $s))))) ;; STREAM_WRITE
    (if (i32.eq (local.get $event) (i32.const 5)) (then (return (call $finish (local.get $s))))) ;; FUTURE_WRITE
    unreachable)
)
