package dev.rill.runtime.internal.layer;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.rill.format.proto.OutputActivation;
import dev.rill.runtime.internal.kernel.ActivationFunction;
import dev.rill.runtime.internal.kernel.DenseKernel;
import java.lang.foreign.MemorySegment;

/**
 * A dense layer {@code y = W x + b} followed by its output activation.
 *
 * @param name the layer's name in the model file
 * @param kernel the prepared linear part
 * @param activation what is applied to each output row; UNSPECIFIED means NONE
 */
public record DenseLayer(String name, DenseKernel kernel, OutputActivation activation) implements Layer {

  private static final long F = Float.BYTES;

  @Override
  public int inputSize() {
    return kernel.inputSize();
  }

  @Override
  public int outputSize() {
    return kernel.outputSize();
  }

  /** Computes {@code rows} outputs [rows, out] from {@code rows} inputs [rows, in], activation included. */
  public void apply(MemorySegment x, long xOffset, MemorySegment y, long yOffset, int rows) {
    kernel.apply(x, xOffset, y, yOffset, rows);
    int size = outputSize();
    for (int row = 0; row < rows; row++) {
      activate(y, yOffset + (long) row * size * F, size);
    }
  }

  private void activate(MemorySegment y, long offset, int size) {
    switch (activation) {
      case SOFTMAX, LOG_SOFTMAX -> softmax(y, offset, size, activation == OutputActivation.LOG_SOFTMAX);
      case OUTPUT_SIGMOID -> applyEach(y, offset, size, ActivationFunction.SIGMOID);
      case OUTPUT_TANH -> applyEach(y, offset, size, ActivationFunction.TANH);
      default -> { } // NONE and UNSPECIFIED: linear output
    }
  }

  private static void applyEach(MemorySegment y, long offset, int size, ActivationFunction function) {
    for (int i = 0; i < size; i++) {
      y.set(JAVA_FLOAT, offset + i * F, function.apply(y.get(JAVA_FLOAT, offset + i * F)));
    }
  }

  /** Softmax (or log-softmax) of one row, shifted by its maximum so that exp never overflows. */
  private static void softmax(MemorySegment y, long offset, int size, boolean log) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < size; i++) {
      max = Math.max(max, y.get(JAVA_FLOAT, offset + i * F));
    }
    double sum = 0;
    for (int i = 0; i < size; i++) {
      sum += Math.exp(y.get(JAVA_FLOAT, offset + i * F) - max);
    }
    double logSum = Math.log(sum);
    for (int i = 0; i < size; i++) {
      double shifted = y.get(JAVA_FLOAT, offset + i * F) - max;
      y.set(JAVA_FLOAT, offset + i * F, (float) (log ? shifted - logSum : Math.exp(shifted) / sum));
    }
  }
}
