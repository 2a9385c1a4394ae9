;; world: config-command
;; A wasi:cli command that prints what wasi:config/store's get-all returns,
;; `iterations` times (a config key, default 1), `interval_ms` apart
;; (default 1000): "--- <n>" then one "key=value" line per pair, or
;; "error <upstream|io>: <message>". One long-running instance: it shows
;; rotated values reaching a command while it runs.
(module
  (import "cm32p2|wasi:config/store@0.2.0-draft" "get" (func $config_get (param i32 i32 i32)))
  (import "cm32p2|wasi:config/store@0.2.0-draft" "get-all" (func $config_get_all (param i32)))
  (import "cm32p2|wasi:cli/stdout@0.2" "get-stdout" (func $get_stdout (result i32)))
  (import "cm32p2|wasi:io/streams@0.2" "[method]output-stream.blocking-write-and-flush" (func $write_flush (param i32 i32 i32 i32)))
  (import "cm32p2|wasi:clocks/monotonic-clock@0.2" "subscribe-duration" (func $subscribe_duration (param i64) (result i32)))
  (import "cm32p2|wasi:io/poll@0.2" "[method]pollable.block" (func $block (param i32)))
  (import "cm32p2|wasi:io/poll@0.2" "pollable_drop" (func $pollable_drop (param i32)))

  ;; 0-255: return areas; 1024: constant strings; 16384-131071: the output
  ;; being built; 131072-: a bump heap for what the host hands us.
  (memory (export "cm32p2_memory") 8)
  (global $heap (mut i32) (i32.const 131072))
  (global $out (mut i32) (i32.const 16384))

  (data (i32.const 1024) "iterations")
  (data (i32.const 1040) "interval_ms")
  (data (i32.const 1056) "--- ")
  (data (i32.const 1064) "error upstream: ")
  (data (i32.const 1088) "error io: ")

  (func (export "cm32p2_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 16)) (i32.const 1))))))
    (local.get $ptr))
  (func (export "cm32p2_initialize"))

  (func $emit (param $ptr i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $ptr) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))
  (func $emit_byte (param $byte i32)
    (i32.store8 (global.get $out) (local.get $byte))
    (global.set $out (i32.add (global.get $out) (i32.const 1))))
  (func $emit_number (param $n i32)
    (if (i32.ge_u (local.get $n) (i32.const 10)) (then (call $emit_number (i32.div_u (local.get $n) (i32.const 10)))))
    (call $emit_byte (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10)))))

  ;; The decimal value of config key (ptr, len), or $default when absent or failing.
  (func $number_of (param $key i32) (param $key_len i32) (param $default i32) (result i32)
    (local $ptr i32) (local $len i32) (local $n i32)
    (call $config_get (local.get $key) (local.get $key_len) (i32.const 64))
    (if (i32.or (i32.load8_u (i32.const 64)) (i32.eqz (i32.load8_u (i32.const 68)))) (then (return (local.get $default))))
    (local.set $ptr (i32.load (i32.const 72)))
    (local.set $len (i32.load (i32.const 76)))
    (block $done (loop $digit
      (br_if $done (i32.eqz (local.get $len)))
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (i32.sub (i32.load8_u (local.get $ptr)) (i32.const 48))))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
      (local.set $len (i32.sub (local.get $len) (i32.const 1)))
      (br $digit)))
    (local.get $n))

  (func $flush (param $stream i32)
    (local $ptr i32) (local $left i32) (local $n i32)
    (local.set $ptr (i32.const 16384))
    (local.set $left (i32.sub (global.get $out) (i32.const 16384)))
    (block $written (loop $chunk
      (br_if $written (i32.eqz (local.get $left)))
      (local.set $n (select (i32.const 4096) (local.get $left) (i32.gt_u (local.get $left) (i32.const 4096))))
      (call $write_flush (local.get $stream) (local.get $ptr) (local.get $n) (i32.const 224))
      (local.set $ptr (i32.add (local.get $ptr) (local.get $n)))
      (local.set $left (i32.sub (local.get $left) (local.get $n)))
      (br $chunk)))
    (global.set $out (i32.const 16384)))

  (func (export "cm32p2|wasi:cli/run@0.2|run") (result i32)
    (local $stdout i32) (local $iterations i32) (local $interval i32) (local $i i32)
    (local $list i32) (local $count i32) (local $pollable i32)
    (local.set $stdout (call $get_stdout))
    (local.set $iterations (call $number_of (i32.const 1024) (i32.const 10) (i32.const 1)))
    (local.set $interval (call $number_of (i32.const 1040) (i32.const 11) (i32.const 1000)))
    (block $finished (loop $round
      (br_if $finished (i32.ge_u (local.get $i) (local.get $iterations)))
      (global.set $heap (i32.const 131072))
      (call $emit (i32.const 1056) (i32.const 4))
      (call $emit_number (local.get $i))
      (call $emit_byte (i32.const 10))
      ;; result<list<tuple<string,string>>, error> at 128
      (call $config_get_all (i32.const 128))
      (if (i32.load8_u (i32.const 128))
        (then
          (if (i32.eqz (i32.load8_u (i32.const 132)))
            (then (call $emit (i32.const 1064) (i32.const 16)))
            (else (call $emit (i32.const 1088) (i32.const 10))))
          (call $emit (i32.load (i32.const 136)) (i32.load (i32.const 140)))
          (call $emit_byte (i32.const 10)))
        (else
          (local.set $list (i32.load (i32.const 132)))
          (local.set $count (i32.load (i32.const 136)))
          (block $done (loop $pair
            (br_if $done (i32.eqz (local.get $count)))
            (call $emit (i32.load (local.get $list)) (i32.load (i32.add (local.get $list) (i32.const 4))))
            (call $emit_byte (i32.const 61))
            (call $emit (i32.load (i32.add (local.get $list) (i32.const 8))) (i32.load (i32.add (local.get $list) (i32.const 12))))
            (call $emit_byte (i32.const 10))
            (local.set $list (i32.add (local.get $list) (i32.const 16)))
            (local.set $count (i32.sub (local.get $count) (i32.const 1)))
            (br $pair)))))
      (call $flush (local.get $stdout))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (if (i32.lt_u (local.get $i) (local.get $iterations))
        (then
          (local.set $pollable (call $subscribe_duration (i64.mul (i64.extend_i32_u (local.get $interval)) (i64.const 1000000))))
          (call $block (local.get $pollable))
          (call $pollable_drop (local.get $pollable))))
      (br $round)))
    (i32.const 0))
)
