;; Busy-loops forever without ever yielding: only a kill stops it.
  (data (i32.const 64) "spinning\00")
  (func (export "_start")
    (call $puts (i32.const 1) (i32.const 64))
    (loop $forever (br $forever)))
