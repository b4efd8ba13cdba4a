package dev.rill.runtime.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
  void fp32IsUnchanged() {
    float[] m = {0.1f, -3f, 7.25f};
    assertArrayEquals(m, WeightQuantizer.roundTrip(m, 1, 3, WeightPrecision.FP32));
  }
}
