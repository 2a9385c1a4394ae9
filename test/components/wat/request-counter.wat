;; world: http-handler
;; A wasi:http handler that keeps state between requests on purpose, to prove
;; per-request isolation: it counts requests in a mutable global and in
;; linear memory (the i32 at 1024), leaks one `fields` resource per request
;; (never dropped: its handle number shows what the handle table held
;; before), swaps the function in slot 0 of its table after calling it, and
;; answers
;;   global=<count> memory=<count> handle=<leaked handle> table=<slot 0's answer> pages=<memory.size>
;; Paths: /trap-early traps before responding, /trap traps after the body
;; was partly written, /grow grows linear memory by a page first.
(module
  (import "cm32p2|wasi:http/types@0.2" "[method]incoming-request.path-with-query" (func $path_with_query (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "incoming-request_drop" (func $request_drop (param i32)))
  (import "cm32p2|wasi:http/types@0.2" "[constructor]fields" (func $fields_new (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]fields.append" (func $fields_append (param i32 i32 i32 i32 i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[constructor]outgoing-response" (func $response_new (param i32) (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-response.body" (func $response_body (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-body.write" (func $body_write (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[static]outgoing-body.finish" (func $body_finish (param i32 i32 i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[static]response-outparam.set" (func $outparam_set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "[method]output-stream.blocking-write-and-flush" (func $write_flush (param i32 i32 i32 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "output-stream_drop" (func $stream_drop (param i32)))

  (memory (export "cm32p2_memory") 1)
  (data (i32.const 256) "content-type")
  (data (i32.const 288) "text/plain")
  (data (i32.const 320) "global=")
  (data (i32.const 336) " memory=")
  (data (i32.const 352) " handle=")
  (data (i32.const 368) " pages=")
  (data (i32.const 432) " table=")
  (data (i32.const 384) "/trap-early")
  (data (i32.const 400) "/trap")
  (data (i32.const 416) "/grow")
  (global $count (mut i32) (i32.const 0))
  (global $heap (mut i32) (i32.const 4096))
  (global $out (mut i32) (i32.const 512))
  (type $number (func (result i32)))
  (table $slots 1 funcref)
  (elem (table $slots) (i32.const 0) func $one)
  (elem declare func $two)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))

  ;; Bump allocator that never frees: more state a reset must undo.
  (func (export "cm32p2_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "cm32p2_initialize"))

  (func $append (param $ptr i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $ptr) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))

  (func $append_u32 (param $n i32)
    (local $p i32)
    (local.set $p (i32.const 48))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (i32.ne (local.get $n) (i32.const 0))))
    (call $append (local.get $p) (i32.sub (i32.const 48) (local.get $p))))

  ;; Whether the request path (ptr, len) equals the constant at (ptr, len).
  (func $is (param $path i32) (param $path_len i32) (param $const i32) (param $const_len i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $path_len) (local.get $const_len)) (then (return (i32.const 0))))
    (block $differs (loop $next
      (if (i32.eq (local.get $i) (local.get $path_len)) (then (return (i32.const 1))))
      (br_if $differs (i32.ne (i32.load8_u (i32.add (local.get $path) (local.get $i)))
                              (i32.load8_u (i32.add (local.get $const) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 0))

  (func (export "cm32p2|wasi:http/incoming-handler@0.2|handle") (param $request i32) (param $out_param i32)
    (local $path i32) (local $path_len i32) (local $leaked i32)
    (local $headers i32) (local $response i32) (local $body i32) (local $stream i32) (local $slot i32)
    (global.set $out (i32.const 512))
    (local.set $slot (call_indirect $slots (type $number) (i32.const 0)))
    (table.set $slots (i32.const 0) (ref.func $two))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store (i32.const 1024) (i32.add (i32.load (i32.const 1024)) (i32.const 1)))
    ;; option<string> at 64: tag@64, ptr@68, len@72
    (call $path_with_query (local.get $request) (i32.const 64))
    (local.set $path (i32.load (i32.const 68)))
    (local.set $path_len (i32.mul (i32.load8_u (i32.const 64)) (i32.load (i32.const 72))))
    (call $request_drop (local.get $request))
    (local.set $leaked (call $fields_new))
    (if (call $is (local.get $path) (local.get $path_len) (i32.const 384) (i32.const 11)) (then unreachable))
    (if (call $is (local.get $path) (local.get $path_len) (i32.const 416) (i32.const 5))
      (then (drop (memory.grow (i32.const 1)))))

    (call $append (i32.const 320) (i32.const 7))
    (call $append_u32 (global.get $count))
    (call $append (i32.const 336) (i32.const 8))
    (call $append_u32 (i32.load (i32.const 1024)))
    (call $append (i32.const 352) (i32.const 8))
    (call $append_u32 (local.get $leaked))
    (call $append (i32.const 432) (i32.const 7))
    (call $append_u32 (local.get $slot))
    (call $append (i32.const 368) (i32.const 7))
    (call $append_u32 (memory.size))
    (i32.store8 (global.get $out) (i32.const 10))
    (global.set $out (i32.add (global.get $out) (i32.const 1)))

    (local.set $headers (call $fields_new))
    (call $fields_append (local.get $headers) (i32.const 256) (i32.const 12) (i32.const 288) (i32.const 10) (i32.const 64))
    (local.set $response (call $response_new (local.get $headers)))
    (call $response_body (local.get $response) (i32.const 64))
    (local.set $body (i32.load (i32.const 68)))
    (call $outparam_set (local.get $out_param) (i32.const 0) (local.get $response) (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body_write (local.get $body) (i32.const 64))
    (local.set $stream (i32.load (i32.const 68)))
    (call $write_flush (local.get $stream) (i32.const 512) (i32.sub (global.get $out) (i32.const 512)) (i32.const 64))
    (if (call $is (local.get $path) (local.get $path_len) (i32.const 400) (i32.const 5)) (then unreachable))
    (call $stream_drop (local.get $stream))
    (call $body_finish (local.get $body) (i32.const 0) (i32.const 0) (i32.const 64)))
)
