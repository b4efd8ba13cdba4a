package dev.rill.runtime.internal.kernel;

import java.lang.foreign.Arena;

/**
 * The compute kernels of the runtime, in Lucene's shape: one interface, a scalar reference
 * implementation ({@link ScalarKernels}) and a Vector API one ({@code VectorKernels}), chosen once by
 * {@link KernelProvider}.
 *
 * <p>An implementation owns its weight layout: {@link #prepareCell} and {@link #prepareDense} repack the
 * canonical row-major weights into whatever layout its loops want, in memory owned by the given arena.
 */
public interface Kernels {

  /** A short name for logs and benchmarks, such as {@code "scalar"} or {@code "vector-512"}. */
  String name();

  /** Repacks one direction of one recurrent layer. The returned cell is immutable and thread-safe. */
  CellKernel prepareCell(CellSpec spec, WeightPrecision precision, Arena arena);

  /** Repacks a dense layer {@code y = W x + b} with {@code W} of shape [out, in]. */
  DenseKernel prepareDense(float[] weight, float[] bias, int outputSize, int inputSize,
      WeightPrecision precision, Arena arena);
}
