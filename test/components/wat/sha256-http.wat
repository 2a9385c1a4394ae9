;; world: http-handler
;; The CPU-heavy component of the benchmarks: answers the hex SHA-256 of the
;; request body. `?rounds=N` (1 to 1000, default 1) hashes the body N times
;; (the answer is the same; N sets how much computing a request costs).
(module
  (import "cm32p2|wasi:http/types@0.2" "[method]incoming-request.path-with-query" (func $path_with_query (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]incoming-request.consume" (func $request_consume (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]incoming-body.stream" (func $body_stream (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "incoming-body_drop" (func $incoming_body_drop (param i32)))
  (import "cm32p2|wasi:http/types@0.2" "incoming-request_drop" (func $request_drop (param i32)))
  (import "cm32p2|wasi:http/types@0.2" "[constructor]fields" (func $fields_new (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]fields.append" (func $fields_append (param i32 i32 i32 i32 i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[constructor]outgoing-response" (func $response_new (param i32) (result i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-response.body" (func $response_body (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[method]outgoing-body.write" (func $body_write (param i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[static]outgoing-body.finish" (func $body_finish (param i32 i32 i32 i32)))
  (import "cm32p2|wasi:http/types@0.2" "[static]response-outparam.set" (func $outparam_set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "[method]input-stream.blocking-read" (func $blocking_read (param i32 i64 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "[method]output-stream.blocking-write-and-flush" (func $write_flush (param i32 i32 i32 i32)))
  (import "cm32p2|wasi:io/streams@0.2" "input-stream_drop" (func $in_drop (param i32)))
  (import "cm32p2|wasi:io/streams@0.2" "output-stream_drop" (func $out_drop (param i32)))

  ;; 0-127 return areas, 256 hex digits, 320 answer (64 hex + newline),
  ;; 512 K constants, 768 message schedule, 1024 digest, 2048 the path,
  ;; 65536+ the request body (memory grows to hold it).
  (memory (export "cm32p2_memory") 2)
  (data (i32.const 256) "0123456789abcdef")
  (data (i32.const 400) "content-type")
  (data (i32.const 416) "text/plain")
  (data (i32.const 432) "rounds=")
  (data (i32.const 512)
    "\98\2f\8a\42\91\44\37\71\cf\fb\c0\b5\a5\db\b5\e9\5b\c2\56\39\f1\11\f1\59\a4\82\3f\92\d5\5e\1c\ab"
    "\98\aa\07\d8\01\5b\83\12\be\85\31\24\c3\7d\0c\55\74\5d\be\72\fe\b1\de\80\a7\06\dc\9b\74\f1\9b\c1"
    "\c1\69\9b\e4\86\47\be\ef\c6\9d\c1\0f\cc\a1\0c\24\6f\2c\e9\2d\aa\84\74\4a\dc\a9\b0\5c\da\88\f9\76"
    "\52\51\3e\98\6d\c6\31\a8\c8\27\03\b0\c7\7f\59\bf\f3\0b\e0\c6\47\91\a7\d5\51\63\ca\06\67\29\29\14"
    "\85\0a\b7\27\38\21\1b\2e\fc\6d\2c\4d\13\0d\38\53\54\73\0a\65\bb\0a\6a\76\2e\c9\c2\81\85\2c\72\92"
    "\a1\e8\bf\a2\4b\66\1a\a8\70\8b\4b\c2\a3\51\6c\c7\19\e8\92\d1\24\06\99\d6\85\35\0e\f4\70\a0\6a\10"
    "\16\c1\a4\19\08\6c\37\1e\4c\77\48\27\b5\bc\b0\34\b3\0c\1c\39\4a\aa\d8\4e\4f\ca\9c\5b\f3\6f\2e\68"
    "\ee\82\8f\74\6f\63\a5\78\14\78\c8\84\08\02\c7\8c\fa\ff\be\90\eb\6c\50\a4\f7\a3\f9\be\f2\78\71\c6")

  ;; Where the next host allocation goes: the path scratch area, or the end of the body.
  (global $append_body (mut i32) (i32.const 0))
  (global $body_end (mut i32) (i32.const 65536))

  ;; Makes linear memory reach `end` (bytes).
  (func $reserve (param $end i32)
    (local $have i32)
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then (if (i32.eq (memory.grow (i32.add (i32.div_u (i32.sub (local.get $end) (local.get $have)) (i32.const 65536)) (i32.const 1)))
                        (i32.const -1))
              (then unreachable)))))

  (func (export "cm32p2_realloc") (param i32 i32 i32 i32) (result i32)
    (if (result i32) (global.get $append_body)
      (then (call $reserve (i32.add (global.get $body_end) (i32.add (local.get 3) (i32.const 128))))
            (global.get $body_end))
      (else (i32.const 2048))))
  (func (export "cm32p2_initialize"))

  (func $bswap (param $x i32) (result i32)
    (i32.or (i32.and (i32.rotl (local.get $x) (i32.const 8)) (i32.const 0x00ff00ff))
            (i32.and (i32.rotr (local.get $x) (i32.const 8)) (i32.const 0xff00ff00))))

  ;; One 64-byte block at $p into the digest at 1024.
  (func $block (param $p i32)
    (local $t i32) (local $w i32) (local $x i32) (local $y i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $f i32) (local $g i32) (local $h i32)
    (local $t1 i32) (local $t2 i32)
    (loop $load
      (i32.store (i32.add (i32.const 768) (i32.shl (local.get $t) (i32.const 2)))
                 (call $bswap (i32.load (i32.add (local.get $p) (i32.shl (local.get $t) (i32.const 2))))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $load (i32.lt_u (local.get $t) (i32.const 16))))
    (loop $extend
      (local.set $w (i32.add (i32.const 768) (i32.shl (local.get $t) (i32.const 2))))
      (local.set $x (i32.load (i32.sub (local.get $w) (i32.const 60))))
      (local.set $y (i32.load (i32.sub (local.get $w) (i32.const 8))))
      (i32.store (local.get $w)
        (i32.add
          (i32.add (i32.load (i32.sub (local.get $w) (i32.const 64)))
                   (i32.xor (i32.xor (i32.rotr (local.get $x) (i32.const 7)) (i32.rotr (local.get $x) (i32.const 18)))
                            (i32.shr_u (local.get $x) (i32.const 3))))
          (i32.add (i32.load (i32.sub (local.get $w) (i32.const 28)))
                   (i32.xor (i32.xor (i32.rotr (local.get $y) (i32.const 17)) (i32.rotr (local.get $y) (i32.const 19)))
                            (i32.shr_u (local.get $y) (i32.const 10))))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $extend (i32.lt_u (local.get $t) (i32.const 64))))
    (local.set $a (i32.load (i32.const 1024)))
    (local.set $b (i32.load (i32.const 1028)))
    (local.set $c (i32.load (i32.const 1032)))
    (local.set $d (i32.load (i32.const 1036)))
    (local.set $e (i32.load (i32.const 1040)))
    (local.set $f (i32.load (i32.const 1044)))
    (local.set $g (i32.load (i32.const 1048)))
    (local.set $h (i32.load (i32.const 1052)))
    (local.set $t (i32.const 0))
    (loop $round
      (local.set $t1
        (i32.add
          (i32.add (local.get $h)
                   (i32.xor (i32.xor (i32.rotr (local.get $e) (i32.const 6)) (i32.rotr (local.get $e) (i32.const 11)))
                            (i32.rotr (local.get $e) (i32.const 25))))
          (i32.add (i32.xor (i32.and (local.get $e) (local.get $f))
                            (i32.and (i32.xor (local.get $e) (i32.const -1)) (local.get $g)))
                   (i32.add (i32.load (i32.add (i32.const 512) (i32.shl (local.get $t) (i32.const 2))))
                            (i32.load (i32.add (i32.const 768) (i32.shl (local.get $t) (i32.const 2))))))))
      (local.set $t2
        (i32.add (i32.xor (i32.xor (i32.rotr (local.get $a) (i32.const 2)) (i32.rotr (local.get $a) (i32.const 13)))
                          (i32.rotr (local.get $a) (i32.const 22)))
                 (i32.xor (i32.xor (i32.and (local.get $a) (local.get $b)) (i32.and (local.get $a) (local.get $c)))
                          (i32.and (local.get $b) (local.get $c)))))
      (local.set $h (local.get $g))
      (local.set $g (local.get $f))
      (local.set $f (local.get $e))
      (local.set $e (i32.add (local.get $d) (local.get $t1)))
      (local.set $d (local.get $c))
      (local.set $c (local.get $b))
      (local.set $b (local.get $a))
      (local.set $a (i32.add (local.get $t1) (local.get $t2)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $t) (i32.const 64))))
    (i32.store (i32.const 1024) (i32.add (i32.load (i32.const 1024)) (local.get $a)))
    (i32.store (i32.const 1028) (i32.add (i32.load (i32.const 1028)) (local.get $b)))
    (i32.store (i32.const 1032) (i32.add (i32.load (i32.const 1032)) (local.get $c)))
    (i32.store (i32.const 1036) (i32.add (i32.load (i32.const 1036)) (local.get $d)))
    (i32.store (i32.const 1040) (i32.add (i32.load (i32.const 1040)) (local.get $e)))
    (i32.store (i32.const 1044) (i32.add (i32.load (i32.const 1044)) (local.get $f)))
    (i32.store (i32.const 1048) (i32.add (i32.load (i32.const 1048)) (local.get $g)))
    (i32.store (i32.const 1052) (i32.add (i32.load (i32.const 1052)) (local.get $h))))

  ;; SHA-256 of `len` bytes at $p (memory after them is used for the padding).
  (func $sha256 (param $p i32) (param $len i32)
    (local $end i32) (local $q i32)
    (i32.store (i32.const 1024) (i32.const 0x6a09e667))
    (i32.store (i32.const 1028) (i32.const 0xbb67ae85))
    (i32.store (i32.const 1032) (i32.const 0x3c6ef372))
    (i32.store (i32.const 1036) (i32.const 0xa54ff53a))
    (i32.store (i32.const 1040) (i32.const 0x510e527f))
    (i32.store (i32.const 1044) (i32.const 0x9b05688c))
    (i32.store (i32.const 1048) (i32.const 0x1f83d9ab))
    (i32.store (i32.const 1052) (i32.const 0x5be0cd19))
    ;; padding: 0x80, zeros to 56 mod 64, the bit length as a big-endian u64
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (i32.store8 (local.get $end) (i32.const 0x80))
    (local.set $q (i32.add (local.get $end) (i32.const 1)))
    (block $padded (loop $zero
      (br_if $padded (i32.eq (i32.and (i32.sub (local.get $q) (local.get $p)) (i32.const 63)) (i32.const 56)))
      (i32.store8 (local.get $q) (i32.const 0))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $zero)))
    (i32.store (local.get $q) (i32.const 0))
    (i32.store (i32.add (local.get $q) (i32.const 4)) (call $bswap (i32.shl (local.get $len) (i32.const 3))))
    (local.set $end (i32.add (local.get $q) (i32.const 8)))
    (local.set $q (local.get $p))
    (loop $blocks
      (call $block (local.get $q))
      (local.set $q (i32.add (local.get $q) (i32.const 64)))
      (br_if $blocks (i32.lt_u (local.get $q) (local.get $end)))))

  ;; The number after "rounds=" in the path (ptr, len), 1 when absent, at most 1000.
  (func $rounds (param $path i32) (param $len i32) (result i32)
    (local $i i32) (local $j i32) (local $n i32) (local $c i32)
    (block $none (loop $find
      (br_if $none (i32.gt_u (i32.add (local.get $i) (i32.const 7)) (local.get $len)))
      (local.set $j (i32.const 0))
      (block $differs (loop $cmp
        (if (i32.eq (local.get $j) (i32.const 7))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 7)))
            (block $digits (loop $digit
              (br_if $digits (i32.ge_u (local.get $i) (local.get $len)))
              (local.set $c (i32.load8_u (i32.add (local.get $path) (local.get $i))))
              (br_if $digits (i32.or (i32.lt_u (local.get $c) (i32.const 48)) (i32.gt_u (local.get $c) (i32.const 57))))
              (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (i32.sub (local.get $c) (i32.const 48))))
              (br_if $digits (i32.gt_u (local.get $n) (i32.const 1000)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $digit)))
            (if (i32.eqz (local.get $n)) (then (return (i32.const 1))))
            (if (i32.gt_u (local.get $n) (i32.const 1000)) (then (return (i32.const 1000))))
            (return (local.get $n))))
        (br_if $differs (i32.ne (i32.load8_u (i32.add (local.get $path) (i32.add (local.get $i) (local.get $j))))
                                (i32.load8_u (i32.add (i32.const 432) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $cmp)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $find)))
    (i32.const 1))

  (func (export "cm32p2|wasi:http/incoming-handler@0.2|handle") (param $request i32) (param $out i32)
    (local $rounds i32) (local $in_body i32) (local $in i32) (local $len i32) (local $i i32) (local $byte i32)
    (local $headers i32) (local $response i32) (local $body i32) (local $stream i32)
    ;; option<string> at 64: tag@64, ptr@68, len@72
    (global.set $append_body (i32.const 0))
    (call $path_with_query (local.get $request) (i32.const 64))
    (local.set $rounds (call $rounds (i32.load (i32.const 68)) (i32.mul (i32.load8_u (i32.const 64)) (i32.load (i32.const 72)))))
    (call $request_consume (local.get $request) (i32.const 64))
    (local.set $in_body (i32.load (i32.const 68)))
    (call $body_stream (local.get $in_body) (i32.const 64))
    (local.set $in (i32.load (i32.const 68)))
    ;; read the whole body to 65536+; realloc appends each chunk at $body_end
    (global.set $append_body (i32.const 1))
    (global.set $body_end (i32.const 65536))
    (block $eof (loop $read
      ;; result<list<u8>, stream-error> at 96: tag@96, ptr@100, len@104
      (call $blocking_read (local.get $in) (i64.const 65536) (i32.const 96))
      (br_if $eof (i32.load8_u (i32.const 96)))
      (global.set $body_end (i32.add (global.get $body_end) (i32.load (i32.const 104))))
      (br $read)))
    (global.set $append_body (i32.const 0))
    (call $in_drop (local.get $in))
    (call $incoming_body_drop (local.get $in_body))
    (call $request_drop (local.get $request))
    (local.set $len (i32.sub (global.get $body_end) (i32.const 65536)))
    (call $reserve (i32.add (global.get $body_end) (i32.const 128)))
    (loop $again
      (call $sha256 (i32.const 65536) (local.get $len))
      (local.set $rounds (i32.sub (local.get $rounds) (i32.const 1)))
      (br_if $again (i32.gt_s (local.get $rounds) (i32.const 0))))
    ;; hex of the digest (big-endian words) at 320, then a newline
    (loop $hex
      (local.set $byte (i32.load8_u (i32.add (i32.const 1024) (i32.xor (local.get $i) (i32.const 3)))))
      (i32.store8 (i32.add (i32.const 320) (i32.shl (local.get $i) (i32.const 1)))
                  (i32.load8_u (i32.add (i32.const 256) (i32.shr_u (local.get $byte) (i32.const 4)))))
      (i32.store8 (i32.add (i32.const 321) (i32.shl (local.get $i) (i32.const 1)))
                  (i32.load8_u (i32.add (i32.const 256) (i32.and (local.get $byte) (i32.const 15)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $hex (i32.lt_u (local.get $i) (i32.const 32))))
    (i32.store8 (i32.const 384) (i32.const 10))
    (local.set $headers (call $fields_new))
    (call $fields_append (local.get $headers) (i32.const 400) (i32.const 12) (i32.const 416) (i32.const 10) (i32.const 64))
    (local.set $response (call $response_new (local.get $headers)))
    (call $response_body (local.get $response) (i32.const 64))
    (local.set $body (i32.load (i32.const 68)))
    (call $outparam_set (local.get $out) (i32.const 0) (local.get $response) (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $body_write (local.get $body) (i32.const 64))
    (local.set $stream (i32.load (i32.const 68)))
    (call $write_flush (local.get $stream) (i32.const 320) (i32.const 65) (i32.const 64))
    (call $out_drop (local.get $stream))
    (call $body_finish (local.get $body) (i32.const 0) (i32.const 0) (i32.const 64)))
)
