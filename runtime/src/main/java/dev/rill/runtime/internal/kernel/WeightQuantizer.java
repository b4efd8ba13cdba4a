package dev.rill.runtime.internal.kernel;

/**
 * Rounds float32 weight matrices to the values a reduced-precision kernel computes with. The rounding is
 * the same deterministic one the format uses when it stores bf16 or int8 tensors, so a model quantised at
 * load time equals the same model quantised at conversion time.
 */
public final class WeightQuantizer {

  private WeightQuantizer() {}

  /** Returns {@code matrix} ([rows, cols], row-major) as the float32 values of the given precision. */
  public static float[] roundTrip(float[] matrix, int rows, int cols, WeightPrecision precision) {
    return switch (precision) {
      case FP32 -> matrix.clone();
      case BF16 -> {
        float[] out = new float[matrix.length];
        for (int i = 0; i < out.length; i++) {
          out[i] = bf16ToFloat(floatToBf16(matrix[i]));
        }
        yield out;
      }
      case INT8 -> {
        float[] out = new float[matrix.length];
        for (int row = 0; row < rows; row++) {
          float scale = int8Scale(matrix, row * cols, cols);
          for (int col = 0; col < cols; col++) {
            int i = row * cols + col;
            out[i] = int8(matrix[i], scale) * scale;
          }
        }
        yield out;
      }
    };
  }

  /** The upper 16 bits of {@code value} rounded to nearest, ties to even; NaN stays a (quiet) NaN. */
  public static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x0040);
    }
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7FFF + lsb) >>> 16);
  }

  /** The float32 value of bfloat16 bits. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** The symmetric int8 scale of one row: max|row| / 127 (0 for an all-zero row). */
  public static float int8Scale(float[] matrix, int offset, int length) {
    float max = 0f;
    for (int i = offset; i < offset + length; i++) {
      max = Math.max(max, Math.abs(matrix[i]));
    }
    return max / 127f;
  }

  /** {@code value / scale} rounded half to even and clamped to [-127, 127]; 0 when the scale is 0. */
  public static byte int8(float value, float scale) {
    if (scale == 0f) {
      return 0;
    }
    float q = (float) Math.rint(value / scale);
    return (byte) Math.max(-127f, Math.min(127f, q));
  }
}
