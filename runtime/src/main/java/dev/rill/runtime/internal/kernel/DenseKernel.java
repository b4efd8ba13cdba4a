package dev.rill.runtime.internal.kernel;

import java.lang.foreign.MemorySegment;

/** A dense layer {@code y = W x + b} packed for a {@link Kernels} implementation. Thread-safe. */
public interface DenseKernel {

  int inputSize();

  int outputSize();

  /** Computes {@code y[row] = W x[row] + b} for {@code rows} rows; x is [rows, in], y is [rows, out]. */
  void apply(MemorySegment x, long xOffset, MemorySegment y, long yOffset, int rows);
}
