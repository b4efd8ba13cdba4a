package dev.rill.runtime.internal.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The rounding rules of reduced-precision weights, on values whose results are known by hand. */
class WeightQuantizerTest {

  @Test
  void bf16RoundsToNearestEven() {
    assertEquals(1f, bf16(1f));
    assertEquals(1f, bf16(1f + 0x1p-8f), "halfway between 1 and 1+2^-7: ties to the even 1");
    assertEquals(1f + 0x1p-6f, bf16(1f + 3 * 0x1p-8f), "halfway between 1+2^-7 and 1+2^-6: ties to even");
    assertEquals(1f + 0x1p-7f, bf16(1f + 0x1p-8f + 0x1p-20f), "just above halfway rounds up");
    assertEquals(-2.5f, bf16(-2.5f));
    assertEquals(Float.POSITIVE_INFINITY, bf16(Float.POSITIVE_INFINITY));
    assertEquals(Float.POSITIVE_INFINITY, bf16(Float.MAX_VALUE), "beyond the largest bf16: infinity");
    assertTrue(Float.isNaN(bf16(Float.NaN)));
  }

  @Test
  void int8UsesASymmetricScalePerRowAndRoundsHalfToEven() {
    float[] matrix = {127f, 2.5f, -3.5f, 0.4f, /* row 2: scale 2 */ -254f, 3f, 5f, 1f, /* row 3 */ 0f, 0f, 0f, 0f};
    assertEquals(1f, WeightQuantizer.int8Scale(matrix, 0, 4));
    assertEquals(2f, WeightQuantizer.int8Scale(matrix, 4, 4));
    assertEquals(0f, WeightQuantizer.int8Scale(matrix, 8, 4));
    float[] rounded = WeightQuantizer.roundTrip(matrix, 3, 4, WeightPrecision.INT8);
    assertArrayEquals(new float[] {127, 2, -4, 0, -254, 4, 4, 0, 0, 0, 0, 0}, rounded);
    assertEquals(-127, WeightQuantizer.int8(-1000f, 1f), "clamped to the symmetric range");
  }

  @Test
  void fp32IsUnchanged() {
    float[] m = {0.1f, -3f, 7.25f};
    assertArrayEquals(m, WeightQuantizer.roundTrip(m, 1, 3, WeightPrecision.FP32));
  }

  private static float bf16(float v) {
    return WeightQuantizer.bf16ToFloat(WeightQuantizer.floatToBf16(v));
  }
}
