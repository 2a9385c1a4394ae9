;; world: http-slow-stream
;; A wasi:http handler that streams slowly: writes "first\n", sleeps 1.5 s on
;; the monotonic clock, writes "second\n". What it wrote before sleeping must
;; reach the client before it wakes (the host holds small bodies back only
;; until the guest finishes or blocks).
(module
  (import "cm32p2|wasi:http/types@0.2" "incoming-request_drop" (func $request_drop (param i32)))
  (import "cm32p2|wasi:http/types@0.2" "[constructor]fields" (func $fields_new (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[constructor]outgoing-response" (func $response_new (param i32) (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-response.body" (func $response_body (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-body.write" (func $body_write (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[static]outgoing-body.finish" (func $body_finish (param i32 i32 i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[static]response-outparam.set" (func $outparam_set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "[method]output-stream.blocking-write-and-flush" (func $write_flush (param i32 i32 i32 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "output-stream_drop" (func $stream_drop (param i32)))
  (import "cm32p2|wasi:clocks/monotonic-clock@0.2" "subscribe-duration" (func $subscribe_duration (param i64) (result i32)))
  (import "cm32p2|wasi:io/poll@0.2" "[method]pollable.block" (func $block (param i32)))
  (import "cm32p2|wasi:io/poll@0.2" "pollable_drop" (func $pollable_drop (param i32)))

  (memory (export "cm32p2_memory") 1)
  (data (i32.const 256) "first\n")
  (data (i32.const 272) "second\n")

  (func (export "cm32p2_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 4096))
  (func (export "cm32p2_initialize"))

  (func (export "cm32p2|wasi:http/incoming-handler@0.2|handle") (param $request i32) (param $out i32)
    (local $response i32) (local $body i32) (local $stream i32) (local $sleep i32)
    (call $request_drop (local.get $request))
    (local.set $response (call $response_new (call $fields_new)))
    (call $response_body (local.get $response) (i32.const 64))
    (local.set $body (i32.load (i32.const 68)))
    (call $outparam_set (local.get $out) (i32.const 0) (local.get $response) (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body_write (local.get $body) (i32.const 64))
    (local.set $stream (i32.load (i32.const 68)))
    (call $write_flush (local.get $stream) (i32.const 256) (i32.const 6) (i32.const 64))
    (local.set $sleep (call $subscribe_duration (i64.const 1500000000)))
    (call $block (local.get $sleep))
    (call $pollable_drop (local.get $sleep))
    (call $write_flush (local.get $stream) (i32.const 272) (i32.const 7) (i32.const 64))
    (call $stream_drop (local.get $stream))
    (call $body_finish (local.get $body) (i32.const 0) (i32.const 0) (i32.const 64)))
)
