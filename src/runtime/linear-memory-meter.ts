// How much linear memory a task's component instances hold: the memory
// its `memory_max` caps, and the only per-task memory figure a process
// that runs several tasks (a pool host) can know. Instances report their
// core instances as they are made (InstantiateOptions.onCoreInstance);
// instances thrown away (after a trap, a reload) count until collected.
export class LinearMemoryMeter {
  private readonly memories: WeakRef<WebAssembly.Memory>[] = [];
  private readonly seen = new WeakSet<WebAssembly.Memory>();
  private peak = 0;

  /** Records the memories a core instance defines or re-exports (each once). */
  readonly observe = (instance: WebAssembly.Instance): void => {
    for (const value of Object.values(instance.exports)) {
      if (value instanceof WebAssembly.Memory && !this.seen.has(value)) {
        this.seen.add(value);
        this.memories.push(new WeakRef(value));
      }
    }
  };

  /** Bytes of linear memory held now, the most seen so far, and the largest single memory (an instance's). */
  measure(): { bytes: number; peakBytes: number; largestBytes: number } {
    let bytes = 0;
    let largestBytes = 0;
    for (let i = this.memories.length - 1; i >= 0; i--) {
      const memory = this.memories[i]?.deref();
      if (memory) {
        bytes += memory.buffer.byteLength;
        largestBytes = Math.max(largestBytes, memory.buffer.byteLength);
      } else this.memories.splice(i, 1);
    }
    this.peak = Math.max(this.peak, bytes);
    return { bytes, peakBytes: this.peak, largestBytes };
  }
}
