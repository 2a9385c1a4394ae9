;; world: http-handler
;; A wasi:http/incoming-handler that answers 201 with the request's headers
;; and streams the request body back in 4 KiB writes (any size): the test
;; component for headers, status codes and large bodies.
(module
  (import "cm32p2|wasi:http/types@0.2" "[method]incoming-request.headers" (func $request_headers (param i32) (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]fields.clone" (func $fields_clone (param i32) (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "fields_drop" (func $fields_drop (param i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]incoming-request.consume" (func $request_consume (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]incoming-body.stream" (func $body_stream (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "incoming-body_drop" (func $incoming_body_drop (param i32)))
  (import "cm32p2|wasi:http/types@0.2" "incoming-request_drop" (func $request_drop (param i32)))
  (import "cm32p2|wasi:http/types@0.2" "[constructor]outgoing-response" (func $response_new (param i32) (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-response.set-status-code" (func $set_status (param i32 i32) (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-response.body" (func $response_body (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-body.write" (func $body_write (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[static]outgoing-body.finish" (func $body_finish (param i32 i32 i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[static]response-outparam.set" (func $outparam_set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "[method]input-stream.blocking-read" (func $blocking_read (param i32 i64 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "[method]output-stream.blocking-write-and-flush" (func $write_flush (param i32 i32 i32 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "input-stream_drop" (func $in_drop (param i32)))
  (import "cm32p2|wasi:io/streams@0.2" "output-stream_drop" (func $out_drop (param i32)))

  (memory (export "cm32p2_memory") 2)

  ;; Lists the host hands us (read chunks) land in one scratch buffer at 8192:
  ;; each chunk is written out before the next read.
  (func (export "cm32p2_realloc") (param i32 i32 i32 i32) (result i32)
    (i32.const 8192))
  (func (export "cm32p2_initialize"))

  (func (export "cm32p2|wasi:http/incoming-handler@0.2|handle") (param $request i32) (param $out i32)
    (local $headers i32) (local $response i32) (local $in_body i32) (local $in i32)
    (local $body i32) (local $stream i32) (local $ptr i32) (local $len i32) (local $n i32)
    (local.set $headers (call $request_headers (local.get $request)))
    (local.set $response (call $response_new (call $fields_clone (local.get $headers))))
    (call $fields_drop (local.get $headers))
    (drop (call $set_status (local.get $response) (i32.const 201)))
    (call $request_consume (local.get $request) (i32.const 64))
    (local.set $in_body (i32.load (i32.const 68)))
    (call $body_stream (local.get $in_body) (i32.const 64))
    (local.set $in (i32.load (i32.const 68)))
    (call $response_body (local.get $response) (i32.const 64))
    (local.set $body (i32.load (i32.const 68)))
    (call $outparam_set (local.get $out) (i32.const 0) (local.get $response) (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body_write (local.get $body) (i32.const 64))
    (local.set $stream (i32.load (i32.const 68)))
    ;; result<list<u8>, stream-error> at 96: tag@96, ptr@100, len@104
    (block $eof (loop $copy
      (call $blocking_read (local.get $in) (i64.const 65536) (i32.const 96))
      (br_if $eof (i32.load8_u (i32.const 96)))
      (local.set $ptr (i32.load (i32.const 100)))
      (local.set $len (i32.load (i32.const 104)))
      ;; blocking-write-and-flush takes at most 4096 bytes per call
      (block $written (loop $chunk
        (br_if $written (i32.eqz (local.get $len)))
        (local.set $n (select (i32.const 4096) (local.get $len) (i32.gt_u (local.get $len) (i32.const 4096))))
        (call $write_flush (local.get $stream) (local.get $ptr) (local.get $n) (i32.const 128))
        (local.set $ptr (i32.add (local.get $ptr) (local.get $n)))
        (local.set $len (i32.sub (local.get $len) (local.get $n)))
        (br $chunk)))
      (br $copy)))
    (call $in_drop (local.get $in))
    (call $incoming_body_drop (local.get $in_body))
    (call $request_drop (local.get $request))
    (call $out_drop (local.get $stream))
    (call $body_finish (local.get $body) (i32.const 0) (i32.const 0) (i32.const 64)))
)
