package dev.rill.runtime.internal.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** The reference dense layer: one float dot product per output. */
final class ScalarDenseKernel implements DenseKernel {

  private static final long F = Float.BYTES;

  private final int inputSize;
  private final int outputSize;
  private final MemorySegment weight;
  private final MemorySegment bias;

  ScalarDenseKernel(float[] weight, float[] bias, int outputSize, int inputSize, WeightPrecision precision,
      Arena arena) {
    if (weight.length != outputSize * inputSize || bias.length != outputSize) {
      throw new IllegalArgumentException("dense kernel: weight must be [" + outputSize + ", " + inputSize
          + "] and bias [" + outputSize + "]");
    }
    this.inputSize = inputSize;
    this.outputSize = outputSize;
    this.weight = OffHeap.copyOf(arena, WeightQuantizer.roundTrip(weight, outputSize, inputSize, precision));
    this.bias = OffHeap.copyOf(arena, bias);
  }

  @Override
  public int inputSize() {
    return inputSize;
  }

  @Override
  public int outputSize() {
    return outputSize;
  }

  @Override
  public void apply(MemorySegment x, long xOffset, MemorySegment y, long yOffset, int rows) {
    for (int row = 0; row < rows; row++) {
      long xRow = xOffset + (long) row * inputSize * F;
      long yRow = yOffset + (long) row * outputSize * F;
      for (int out = 0; out < outputSize; out++) {
        float sum = bias.getAtIndex(JAVA_FLOAT, out)
            + ScalarCellKernel.dot(weight, (long) out * inputSize * F, x, xRow, inputSize);
        y.set(JAVA_FLOAT, yRow + out * F, sum);
      }
    }
  }
}
