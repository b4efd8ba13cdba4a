package dev.rill.runtime.internal.kernel;

import java.lang.foreign.Arena;

/**
 * The reference kernels: plain loops over float32 values that follow the ONNX equations one unit at a
 * time. They are the fallback when the Vector API is unavailable and the oracle of the vector kernels.
 * Reduced-precision weights are rounded once at load time ({@link WeightQuantizer}) and then used as
 * float32, so these kernels define the exact values the bf16 and int8 kernels must reproduce.
 */
public final class ScalarKernels implements Kernels {

  /** The only instance; the scalar kernels hold no state. */
  public static final ScalarKernels INSTANCE = new ScalarKernels();

  private ScalarKernels() {}

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public CellKernel prepareCell(CellSpec spec, WeightPrecision precision, Arena arena) {
    return new ScalarCellKernel(spec, precision, arena);
  }

  @Override
  public DenseKernel prepareDense(float[] weight, float[] bias, int outputSize, int inputSize,
      WeightPrecision precision, Arena arena) {
    return new ScalarDenseKernel(weight, bias, outputSize, inputSize, precision, arena);
  }
}
