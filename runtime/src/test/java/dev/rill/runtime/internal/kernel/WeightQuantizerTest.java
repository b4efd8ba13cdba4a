package dev.rill.runtime.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rill.format.Tensors;
import org.junit.jupiter.api.Test;

/** Load-time rounding of weight matrices, on values whose results are known by hand. */
class WeightQuantizerTest {

  @Test
  void bf16RoundsToNearestEven() {
    float[] m = {1f, 1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 1f + 0x1p-8f + 0x1p-20f, -2.5f, Float.MAX_VALUE};
    float[] expected = {1f, 1f, 1f + 0x1p-6f, 1f + 0x1p-7f, -2.5f, Float.POSITIVE_INFINITY};
    assertArrayEquals(expected, WeightQuantizer.roundTrip(m, 2, 3, WeightPrecision.BF16));
  }

  @Test
  void int8UsesASymmetricScalePerRow() {
    // Row scales 1, 2 and 0 (an all-zero row); x / scale rounds to the nearest integer, halves up.
    float[] m = {127f, 2.4f, -3.6f, 0.4f, -254f, 3f, 5f, 1f, 0f, 0f, 0f, 0f};
    float[] expected = {127, 2, -4, 0, -254, 4, 6, 2, 0, 0, 0, 0};
    assertArrayEquals(expected, WeightQuantizer.roundTrip(m, 3, 4, WeightPrecision.INT8));
  }

  @Test
  void int8RejectsNonFiniteWeights() {
    assertThrows(IllegalArgumentException.class,
        () -> WeightQuantizer.roundTrip(new float[] {1f, Float.NaN}, 1, 2, WeightPrecision.INT8));
  }

  @Test
  void perValueHelpersAgreeWithTheFormat() {
    java.util.Random random = new java.util.Random(3);
    int rows = 7;
    int cols = 33;
    float[] m = new float[rows * cols];
    for (int i = 0; i < m.length; i++) {
      m[i] = (float) random.nextGaussian() * (1 + i % 5);
    }
    float[] stored = Tensors.toFloats(Tensors.int8("m", m, rows, cols));
    float[] fromHelpers = new float[m.length];
    for (int row = 0; row < rows; row++) {
      float scale = WeightQuantizer.int8Scale(m, row * cols, cols);
      for (int c = 0; c < cols; c++) {
        fromHelpers[row * cols + c] = WeightQuantizer.int8(m[row * cols + c], scale) * scale;
      }
    }
    assertArrayEquals(stored, fromHelpers, "int8");
    for (float v : m) {
      assertEquals(Tensors.fromBf16(Tensors.toBf16(v)), WeightQuantizer.bf16ToFloat(WeightQuantizer.floatToBf16(v)));
    }
  }

  @Test
  void fp32IsUnchanged() {
    float[] m = {0.1f, -3f, 7.25f};
    assertArrayEquals(m, WeightQuantizer.roundTrip(m, 1, 3, WeightPrecision.FP32));
  }
}
