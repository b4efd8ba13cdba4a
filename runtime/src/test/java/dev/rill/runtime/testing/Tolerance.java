package dev.rill.runtime.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The runtime's accuracy bound against the double-precision reference: every element must satisfy
 * {@code |actual - expected| <= 1e-5 * max(1, |expected|)}, i.e. 1e-5 relative for values above 1 in
 * magnitude and 1e-5 absolute below (where a relative bound is meaningless near zero).
 */
public final class Tolerance {

  /** The bound of the float32 runtime against the double reference. */
  public static final double FP32 = 1e-5;

  private Tolerance() {}

  /** The error of {@code actual} against {@code expected} in units of the metric above. */
  public static double error(double expected, double actual) {
    if (Double.isNaN(expected) || Double.isNaN(actual)) {
      return Double.isNaN(expected) && Double.isNaN(actual) ? 0 : Double.POSITIVE_INFINITY;
    }
    if (expected == actual) {
      return 0; // also equal infinities
    }
    return Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  }

  /** Asserts the metric above, elementwise, with the given bound; names the first bad index. */
  public static void assertClose(double[] expected, float[] actual, double bound, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      double e = error(expected[i], actual[i]);
      if (!(e <= bound)) {
        fail(what + "[" + i + "]: expected " + expected[i] + " but got " + actual[i] + " (error " + e + " > "
            + bound + ")");
      }
    }
  }

  /** {@link #assertClose(double[], float[], double, String)} with {@link #FP32}. */
  public static void assertClose(double[] expected, float[] actual, String what) {
    assertClose(expected, actual, FP32, what);
  }

  public static double[] toDoubles(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
