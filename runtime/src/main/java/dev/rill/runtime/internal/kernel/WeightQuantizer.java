package dev.rill.runtime.internal.kernel;

import dev.rill.format.Tensors;

/**
 * Rounds float32 weight matrices to the values a reduced-precision kernel computes with. It delegates to
 * {@link Tensors}, so a model quantised at load time equals the same model quantised at conversion time:
 * bf16 rounds to nearest even; int8 is symmetric per row, {@code scale = max|row| / 127},
 * {@code q = round(x / scale)}.
 */
public final class WeightQuantizer {

  private WeightQuantizer() {}

  /**
   * Returns {@code matrix} ([rows, cols], row-major) as the float32 values of the given precision.
   *
   * @throws IllegalArgumentException for INT8 if a value is NaN or infinite
   */
  public static float[] roundTrip(float[] matrix, int rows, int cols, WeightPrecision precision) {
    return switch (precision) {
      case FP32 -> matrix.clone();
      case BF16 -> Tensors.toFloats(Tensors.bf16("weights", matrix, rows, cols));
      case INT8 -> Tensors.toFloats(Tensors.int8("weights", matrix, rows, cols));
    };
  }
}
