package dev.rill.trainer.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The vector and scalar activations agree bit for bit, and stay within 3e-7 of the exact functions. */
class FloatActivationsTest {

  private static float[] inputs() {
    SplittableRandom random = new SplittableRandom(1);
    float[] x = new float[20_000 + 13];
    for (int i = 0; i < x.length; i++) {
      x[i] = i < 16_000 ? -20 + 40f * i / 16_000 : (float) random.nextDouble(-30, 30);
    }
    float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, 7.9053111f, -7.9053111f, 7.9f, 8f, 100f, -100f,
        Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
    System.arraycopy(special, 0, x, 0, special.length);
    return x;
  }

  @Test
  void vectorAndScalarAgreeBitForBitAtEveryLengthAndOffset() {
    float[] x = inputs();
    FloatActivations vector = FloatActivations.best();
    FloatActivations scalar = FloatActivations.scalar();
    for (int n : new int[] {1, 3, 15, 16, 17, 33, 100, x.length - 5}) {
      for (int off : new int[] {0, 1, 5}) {
        for (float[] mode : new float[][] {{1f, 0f}, {0.5f, 0.5f}}) {
          float[] a = new float[n + 8];
          float[] b = new float[n + 8];
          vector.apply(x, off, a, 3, n, mode[0], mode[1]);
          scalar.apply(x, off, b, 3, n, mode[0], mode[1]);
          for (int j = 0; j < a.length; j++) {
            assertEquals(Float.floatToRawIntBits(b[j]), Float.floatToRawIntBits(a[j]), "n " + n + ", offset " + off + ", element " + j);
          }
        }
      }
    }
  }

  @Test
  void errorsAreWithinTheirBound() {
    float[] x = inputs();
    float[] t = new float[x.length];
    float[] s = new float[x.length];
    FloatActivations.best().apply(x, 0, t, 0, x.length, 1f, 0f);
    FloatActivations.best().apply(x, 0, s, 0, x.length, 0.5f, 0.5f);
    double worstTanh = 0;
    double worstSigmoid = 0;
    for (int i = 0; i < x.length; i++) {
      if (Float.isNaN(x[i])) {
        assertTrue(Float.isNaN(t[i]) && Float.isNaN(s[i]));
        continue;
      }
      worstTanh = Math.max(worstTanh, Math.abs(t[i] - Math.tanh(x[i])));
      worstSigmoid = Math.max(worstSigmoid, Math.abs(s[i] - 1 / (1 + Math.exp(-(double) x[i]))));
    }
    assertTrue(worstTanh <= 3e-7, "tanh error " + worstTanh);
    assertTrue(worstSigmoid <= 3e-7, "sigmoid error " + worstSigmoid);
  }
}
