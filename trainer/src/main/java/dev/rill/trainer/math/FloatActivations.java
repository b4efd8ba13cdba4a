package dev.rill.trainer.math;

/**
 * tanh and sigmoid over float arrays for training, from one rational approximation: tanh(x) is an odd
 * degree-13 polynomial over an even degree-6 one on (-7.905, 7.905) (Eigen's float coefficients) and ±1 outside;
 * sigmoid(x) = 0.5 + 0.5 tanh(x / 2), exact in real arithmetic. Largest absolute error about 3e-7.
 *
 * <p>Only exactly rounded operations (multiply, FMA, divide, compare) are used, so the vector lanes, the scalar
 * tails and the scalar implementation give bitwise the same values, whatever the JIT has compiled: training is
 * deterministic. ({@code Math.tanh} and the Vector API's {@code TANH} may differ in the last bit between the
 * interpreter and compiled code.)
 */
public abstract class FloatActivations {
  static final float CLAMP = 7.90531110763549805f;
  static final float A1 = 4.89352455891786e-03f;
  static final float A3 = 6.37261928875436e-04f;
  static final float A5 = 1.48572235717979e-05f;
  static final float A7 = 5.12229709037114e-08f;
  static final float A9 = -8.60467152213735e-11f;
  static final float A11 = 2.00018790482477e-13f;
  static final float A13 = -2.76076847742355e-16f;
  static final float B0 = 4.89352518554385e-03f;
  static final float B2 = 2.26843463243900e-03f;
  static final float B4 = 1.18534705686654e-04f;
  static final float B6 = 1.19825839466702e-06f;

  /** For the two implementations. */
  FloatActivations() {}

  /** @return the Vector API implementation where it runs compiled, else the scalar one; same results */
  public static FloatActivations best() {
    return Platform.vectorProblem() == null ? new VectorActivations() : new FloatActivations() {};
  }

  /** @return the scalar implementation */
  public static FloatActivations scalar() {
    return new FloatActivations() {};
  }

  /**
   * y[yOff + j] = offset + scale · tanh(scale · x[xOff + j]) for j in [0, n): tanh with scale 1, offset 0, sigmoid
   * with scale 0.5, offset 0.5.
   *
   * @param x input
   * @param xOff first input
   * @param y output (may be x)
   * @param yOff first output
   * @param n count
   * @param scale 1 for tanh, 0.5 for sigmoid
   * @param offset 0 for tanh, 0.5 for sigmoid
   */
  public void apply(float[] x, int xOff, float[] y, int yOff, int n, float scale, float offset) {
    for (int j = 0; j < n; j++) {
      y[yOff + j] = Math.fma(tanh(x[xOff + j] * scale), scale, offset);
    }
  }

  /**
   * @param x the argument
   * @return the rational tanh of x, as every implementation computes it
   */
  public static float tanh(float x) {
    float x2 = x * x;
    float p = Math.fma(x2, A13, A11);
    p = Math.fma(p, x2, A9);
    p = Math.fma(p, x2, A7);
    p = Math.fma(p, x2, A5);
    p = Math.fma(p, x2, A3);
    p = Math.fma(p, x2, A1) * x;
    float q = Math.fma(x2, B6, B4);
    q = Math.fma(q, x2, B2);
    q = Math.fma(q, x2, B0);
    return Math.abs(x) >= CLAMP ? Math.copySign(1f, x) : p / q;
  }
}
