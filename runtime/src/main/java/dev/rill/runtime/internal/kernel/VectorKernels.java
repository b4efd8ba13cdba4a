package dev.rill.runtime.internal.kernel;

import java.lang.foreign.Arena;

/**
 * The Vector API kernels: fused cells over weights repacked into off-heap panels ({@link VectorCellKernel},
 * {@link VectorDenseKernel}). This class and the classes it uses reference {@code jdk.incubator.vector}, so
 * {@link KernelProvider} loads it only reflectively, after checking that the module is present.
 */
public final class VectorKernels implements Kernels {

  /** The only instance; the kernels hold no state. */
  public static final VectorKernels INSTANCE = new VectorKernels();

  private VectorKernels() {}

  /** The bit size of the float species the kernels use. */
  public static int vectorBitSize() {
    return VectorShapes.FLOATS.vectorBitSize();
  }

  @Override
  public String name() {
    return "vector-" + vectorBitSize();
  }

  @Override
  public CellKernel prepareCell(CellSpec spec, WeightPrecision precision, Arena arena) {
    return new VectorCellKernel(spec, precision, arena);
  }

  @Override
  public DenseKernel prepareDense(float[] weight, float[] bias, int outputSize, int inputSize,
      WeightPrecision precision, Arena arena) {
    return new VectorDenseKernel(weight, bias, outputSize, inputSize, precision, arena);
  }
}
