package dev.rill.runtime.internal.kernel;

import dev.rill.format.Tensors;

/**
 * Rounds float32 weight matrices to the values a reduced-precision kernel computes with, exactly as
 * {@link Tensors} stores bf16 and int8 tensors, so a model quantised at load time equals the same model
 * quantised at conversion time: bf16 rounds to nearest even; int8 is symmetric per row,
 * {@code scale = max|row| / 127}, {@code q = round(x / scale)} clamped to [-127, 127].
 *
 * <p>The per-value helpers are for kernels that pack the quantised bits themselves; a test checks that
 * they agree with {@link Tensors#int8}.
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

  /** The bfloat16 bits of {@code value}, rounded to nearest even; NaN stays a (quiet) NaN. */
  public static short floatToBf16(float value) {
    return Tensors.toBf16(value);
  }

  /** The float32 value of bfloat16 bits. */
  public static float bf16ToFloat(short bits) {
    return Tensors.fromBf16(bits);
  }

  /** The symmetric int8 scale of one row: max|row| / 127 (0 for an all-zero row). */
  public static float int8Scale(float[] matrix, int offset, int length) {
    float max = 0f;
    for (int i = offset; i < offset + length; i++) {
      max = Math.max(max, Math.abs(matrix[i]));
    }
    return max / 127f;
  }

  /** {@code value / scale} rounded to the nearest integer (halves up) and clamped; 0 when the scale is 0. */
  public static byte int8(float value, float scale) {
    return scale == 0f ? 0 : (byte) Math.max(-127, Math.min(127, Math.round(value / scale)));
  }
}
