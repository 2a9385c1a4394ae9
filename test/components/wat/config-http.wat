;; variant: config-http world=config-http CONFIG_VERSION=0.2.0-draft
;; variant: config-http-spin world=config-http-spin CONFIG_VERSION=0.2.0-draft-2024-09-27
;; variant: config-http-rc world=config-http-rc CONFIG_VERSION=0.2.0-rc.1
;; A wasi:http/incoming-handler that answers with what wasi:config/store
;; returns: GET /get/<key> -> 200 and the value, 404 "none" when the store
;; has no such key, 500 "error <upstream|io>: <message>" when it fails;
;; GET /all -> 200 and one "key=value" line per pair of get-all (or the
;; error); GET /repeat/<n>/<key> -> calls get n times, answers with the last
;; value (for the get-latency benchmark). Built once per interface version
;; (the variant lines above).
(module
  (import "cm32p2|wasi:config/store@CONFIG_VERSION" "get" (func $config_get (param i32 i32 i32)))
  (import "cm32p2|wasi:config/store@CONFIG_VERSION" "get-all" (func $config_get_all (param i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]incoming-request.path-with-query" (func $path_with_query (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "incoming-request_drop" (func $request_drop (param i32)))
  (import "cm32p2|wasi:http/types@0.2" "[constructor]fields" (func $fields_new (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[constructor]outgoing-response" (func $response_new (param i32) (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-response.set-status-code" (func $set_status (param i32 i32) (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-response.body" (func $response_body (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-body.write" (func $body_write (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[static]outgoing-body.finish" (func $body_finish (param i32 i32 i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[static]response-outparam.set" (func $outparam_set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "[method]output-stream.blocking-write-and-flush" (func $write_flush (param i32 i32 i32 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "output-stream_drop" (func $out_drop (param i32)))

  ;; 0-255: return areas; 1024: constant strings; 16384-131071: the response
  ;; body being built; 131072-: a bump heap for what the host hands us,
  ;; reset for every request.
  (memory (export "cm32p2_memory") 8)
  (global $heap (mut i32) (i32.const 131072))
  (global $out (mut i32) (i32.const 16384))

  (data (i32.const 1024) "/get/")
  (data (i32.const 1032) "/all")
  (data (i32.const 1040) "none")
  (data (i32.const 1048) "error upstream: ")
  (data (i32.const 1072) "error io: ")
  (data (i32.const 1088) "routes: /get/<key>, /all")
  (data (i32.const 1120) "/repeat/")

  (func (export "cm32p2_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))))))
    (local.get $ptr))
  (func (export "cm32p2_initialize"))

  ;; Appends bytes to the response body.
  (func $emit (param $ptr i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $ptr) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))
  (func $emit_byte (param $byte i32)
    (i32.store8 (global.get $out) (local.get $byte))
    (global.set $out (i32.add (global.get $out) (i32.const 1))))

  ;; Whether len bytes at a equal len bytes at b.
  (func $equal (param $a i32) (param $b i32) (param $len i32) (result i32)
    (block $differ
      (loop $next
        (if (i32.eqz (local.get $len)) (then (return (i32.const 1))))
        (br_if $differ (i32.ne (i32.load8_u (local.get $a)) (i32.load8_u (local.get $b))))
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; The error variant at $at: tag (0 upstream, 1 io) @0, string @4/@8.
  (func $emit_error (param $at i32)
    (if (i32.eqz (i32.load8_u (local.get $at)))
      (then (call $emit (i32.const 1048) (i32.const 16)))
      (else (call $emit (i32.const 1072) (i32.const 10))))
    (call $emit (i32.load (i32.add (local.get $at) (i32.const 4))) (i32.load (i32.add (local.get $at) (i32.const 8)))))

  (func (export "cm32p2|wasi:http/incoming-handler@0.2|handle") (param $request i32) (param $outparam i32)
    (local $path i32) (local $len i32) (local $status i32) (local $list i32) (local $count i32) (local $entry i32)
    (global.set $heap (i32.const 131072))
    (global.set $out (i32.const 16384))
    (local.set $status (i32.const 404))
    ;; option<string> at 64: tag@64, ptr@68, len@72
    (call $path_with_query (local.get $request) (i32.const 64))
    (local.set $path (i32.load (i32.const 68)))
    (local.set $len (select (i32.load (i32.const 72)) (i32.const 0) (i32.load8_u (i32.const 64))))
    (call $request_drop (local.get $request))
    (if (i32.and (i32.gt_u (local.get $len) (i32.const 5)) (call $equal (local.get $path) (i32.const 1024) (i32.const 5)))
      (then
        ;; result<option<string>, error> at 96: tag@96; ok: some@100, ptr@104, len@108; err: variant@100
        (call $config_get (i32.add (local.get $path) (i32.const 5)) (i32.sub (local.get $len) (i32.const 5)) (i32.const 96))
        (if (i32.load8_u (i32.const 96))
          (then (local.set $status (i32.const 500)) (call $emit_error (i32.const 100)))
          (else
            (if (i32.load8_u (i32.const 100))
              (then (local.set $status (i32.const 200)) (call $emit (i32.load (i32.const 104)) (i32.load (i32.const 108))))
              (else (call $emit (i32.const 1040) (i32.const 4)))))))
      (else (if (i32.and (i32.gt_u (local.get $len) (i32.const 8)) (call $equal (local.get $path) (i32.const 1120) (i32.const 8)))
      (then (local.set $status (call $repeat (i32.add (local.get $path) (i32.const 8)) (i32.sub (local.get $len) (i32.const 8)))))
      (else
        (if (i32.and (i32.eq (local.get $len) (i32.const 4)) (call $equal (local.get $path) (i32.const 1032) (i32.const 4)))
          (then
            ;; result<list<tuple<string,string>>, error> at 128: tag@128; ok: ptr@132, len@136; err: variant@132
            (call $config_get_all (i32.const 128))
            (if (i32.load8_u (i32.const 128))
              (then (local.set $status (i32.const 500)) (call $emit_error (i32.const 132)))
              (else
                (local.set $status (i32.const 200))
                (local.set $list (i32.load (i32.const 132)))
                (local.set $count (i32.load (i32.const 136)))
                (block $done (loop $pair
                  (br_if $done (i32.eqz (local.get $count)))
                  (call $emit (i32.load (local.get $list)) (i32.load (i32.add (local.get $list) (i32.const 4))))
                  (call $emit_byte (i32.const 61)) ;; =
                  (call $emit (i32.load (i32.add (local.get $list) (i32.const 8))) (i32.load (i32.add (local.get $list) (i32.const 12))))
                  (call $emit_byte (i32.const 10))
                  (local.set $list (i32.add (local.get $list) (i32.const 16)))
                  (local.set $count (i32.sub (local.get $count) (i32.const 1)))
                  (br $pair))))))
          (else (call $emit (i32.const 1088) (i32.const 24))))))))
    (call $respond (local.get $outparam) (local.get $status)))

  ;; "<n>/<key>" at (ptr, len): get(key) n times; the last answer is the body.
  (func $repeat (param $ptr i32) (param $len i32) (result i32)
    (local $n i32) (local $heap i32)
    (block $digits (loop $digit
      (br_if $digits (i32.eqz (local.get $len)))
      (br_if $digits (i32.eq (i32.load8_u (local.get $ptr)) (i32.const 47))) ;; /
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (i32.sub (i32.load8_u (local.get $ptr)) (i32.const 48))))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
      (local.set $len (i32.sub (local.get $len) (i32.const 1)))
      (br $digit)))
    (if (i32.eqz (local.get $len)) (then (return (i32.const 404))))
    (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
    (local.set $len (i32.sub (local.get $len) (i32.const 1)))
    ;; Each answer is copied into the heap: start every call from the same place.
    (local.set $heap (global.get $heap))
    (block $done (loop $call
      (br_if $done (i32.eqz (local.get $n)))
      (global.set $heap (local.get $heap))
      (call $config_get (local.get $ptr) (local.get $len) (i32.const 96))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $call)))
    (if (i32.or (i32.load8_u (i32.const 96)) (i32.eqz (i32.load8_u (i32.const 100)))) (then (return (i32.const 404))))
    (call $emit (i32.load (i32.const 104)) (i32.load (i32.const 108)))
    (i32.const 200))

  (func $respond (param $outparam i32) (param $status i32)
    (local $response i32) (local $body i32) (local $stream i32) (local $ptr i32) (local $left i32) (local $n i32)
    (local.set $response (call $response_new (call $fields_new)))
    (drop (call $set_status (local.get $response) (local.get $status)))
    (call $response_body (local.get $response) (i32.const 192))
    (local.set $body (i32.load (i32.const 196)))
    (call $outparam_set (local.get $outparam) (i32.const 0) (local.get $response) (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body_write (local.get $body) (i32.const 192))
    (local.set $stream (i32.load (i32.const 196)))
    (local.set $ptr (i32.const 16384))
    (local.set $left (i32.sub (global.get $out) (i32.const 16384)))
    ;; blocking-write-and-flush takes at most 4096 bytes per call
    (block $written (loop $chunk
      (br_if $written (i32.eqz (local.get $left)))
      (local.set $n (select (i32.const 4096) (local.get $left) (i32.gt_u (local.get $left) (i32.const 4096))))
      (call $write_flush (local.get $stream) (local.get $ptr) (local.get $n) (i32.const 224))
      (local.set $ptr (i32.add (local.get $ptr) (local.get $n)))
      (local.set $left (i32.sub (local.get $left) (local.get $n)))
      (br $chunk)))
    (call $out_drop (local.get $stream))
    (call $body_finish (local.get $body) (i32.const 0) (i32.const 0) (i32.const 192)))
)
