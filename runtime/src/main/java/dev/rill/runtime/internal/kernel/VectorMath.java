package dev.rill.runtime.internal.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vectorised sigmoid and tanh of the vector kernels, applied in place to one vector of floats in memory.
 *
 * <p>tanh is a rational approximation, an odd degree-13 numerator over an even degree-6 denominator on
 * (-7.905, 7.905) (the float coefficients of Eigen's fast tanh), and ±1 from |x| = 7.905 (where tanh is within
 * 3e-7 of ±1; the rational, which may overflow out there, is computed and then replaced, cheaper than clamping
 * x). Near 0 the rational is x times 0.99999987 to within float rounding, so tiny inputs keep a relative error
 * near 1e-7 without a separate branch (subnormals lose bits, within 1e-38 absolute). Sigmoid is computed
 * from it as {@code 0.5 + 0.5 tanh(x / 2)}, exact in real arithmetic, so one branch-free formula
 * {@code offset + scaleOut * tanh(scaleIn * x)} serves both. Saturation: tanh(±Inf) = ±1, sigmoid(+Inf) = 1,
 * sigmoid(-Inf) = 0; NaN stays NaN (no comparison selects it away).
 *
 * <p>It uses only min, max, multiply, FMA, divide, compare and blend, which are exactly rounded, so the
 * interpreter's fallbacks and C2's instructions give bitwise the same results. The JDK's
 * {@code lanewise(TANH)} (a little more accurate) was rejected for that reason: C2 calls a vector math stub
 * while the interpreter uses {@code Math.tanh}, and the last bit then depended on JIT timing, so a session
 * moving between threads or a step split across threads could change its results.
 *
 * <p>Measured largest absolute error against {@link Math#tanh} and the exact sigmoid in double, over a
 * dense grid of [-20, 20] (step 2^-12), every power-of-two magnitude up to ±Float.MAX_VALUE with neighbours,
 * 200,000 random bit patterns, subnormals, ±0, ±Inf and NaN (VectorMathTest, JDK 25.0.3, AVX2, interpreted
 * and C2-compiled): tanh 2.72e-7, sigmoid 1.54e-7, within the bound of 1e-6 that VectorMathTest asserts.
 */
final class VectorMath {

  /** Activation code of {@link ActivationFunction#SIGMOID}. */
  static final int SIGMOID = 0;
  /** Activation code of {@link ActivationFunction#TANH}. */
  static final int TANH = 1;

  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  private VectorMath() {}

  /** The vector code of an activation, or -1 when the vector kernels apply it with the scalar definition. */
  static int code(ActivationFunction function) {
    if (function == null) {
      return SIGMOID; // unused slot
    }
    return switch (function.kind()) {
      case SIGMOID -> SIGMOID;
      case TANH -> TANH;
      default -> -1;
    };
  }

  static float scaleIn(int code) {
    return code == SIGMOID ? 0.5f : 1f;
  }

  static float scaleOut(int code) {
    return code == SIGMOID ? 0.5f : 1f;
  }

  static float offset(int code) {
    return code == SIGMOID ? 0.5f : 0f;
  }

  /**
   * Replaces the vector at byte offset {@code at} by {@code offset + scaleOut * tanh(scaleIn * x)} of its
   * values, clipped first to [-clip, clip] (keeping NaN, as the scalar kernel does) when {@code hasClip}.
   */
  static void activate(MemorySegment segment, long at, boolean hasClip, float clip, float scaleIn,
      float scaleOut, float offset) {
    activate(segment, at, 1, hasClip, clip, scaleIn, scaleOut, offset);
  }

  /**
   * {@link #activate(MemorySegment, long, boolean, float, float, float, float)} of {@code count} consecutive
   * vectors from byte offset {@code at}: one call, the constants loaded once, and independent iterations that
   * overlap in the out-of-order window (a call per vector costs several times more).
   */
  static void activate(MemorySegment segment, long at, int count, boolean hasClip, float clip, float scaleIn,
      float scaleOut, float offset) {
    for (int i = 0; i < count; i++) {
      long vAt = at + i * VectorShapes.VECTOR_BYTES;
      FloatVector x = FloatVector.fromMemorySegment(VectorShapes.FLOATS, segment, vAt, ORDER);
      if (hasClip) {
        x = x.min(clip).max(-clip);
      }
      x = x.mul(scaleIn);
      // Rational tanh: odd degree-13 numerator over even degree-6 denominator on (-C, C) (Eigen's float
      // coefficients), ±1 from |x| >= C. The rational is evaluated for every x and replaced outside (-C, C)
      // (there it may overflow to NaN), which saves clamping x first: Java's min and max take several
      // instructions each on AVX2.
      FloatVector xc = x;
      FloatVector x2 = xc.mul(xc);
      var s = VectorShapes.FLOATS;
      FloatVector p = x2.fma(A13, A11);
      p = p.fma(x2, FloatVector.broadcast(s, A9));
      p = p.fma(x2, FloatVector.broadcast(s, A7));
      p = p.fma(x2, FloatVector.broadcast(s, A5));
      p = p.fma(x2, FloatVector.broadcast(s, A3));
      p = p.fma(x2, FloatVector.broadcast(s, A1)).mul(xc);
      FloatVector q = x2.fma(B6, B4);
      q = q.fma(x2, FloatVector.broadcast(s, B2));
      q = q.fma(x2, FloatVector.broadcast(s, B0));
      // ±1 with the sign of x from its bits: two logic ops instead of a compare and a blend.
      FloatVector one = x.reinterpretAsInts().and(SIGN_BIT).or(ONE_BITS).reinterpretAsFloats();
      FloatVector t = p.div(q).blend(one, x.abs().compare(VectorOperators.GE, TANH_CLAMP));
      t.fma(scaleOut, offset).intoMemorySegment(segment, vAt, ORDER);
    }
  }

  private static final float TANH_CLAMP = 7.90531110763549805f;
  private static final int SIGN_BIT = 0x8000_0000;
  private static final int ONE_BITS = 0x3F80_0000;
  private static final float A1 = 4.89352455891786e-03f;
  private static final float A3 = 6.37261928875436e-04f;
  private static final float A5 = 1.48572235717979e-05f;
  private static final float A7 = 5.12229709037114e-08f;
  private static final float A9 = -8.60467152213735e-11f;
  private static final float A11 = 2.00018790482477e-13f;
  private static final float A13 = -2.76076847742355e-16f;
  private static final float B0 = 4.89352518554385e-03f;
  private static final float B2 = 2.26843463243900e-03f;
  private static final float B4 = 1.18534705686654e-04f;
  private static final float B6 = 1.19825839466702e-06f;

  /** {@link #activate} with the constants of an activation code, no clip. */
  static void activate(MemorySegment segment, long at, int code) {
    activate(segment, at, false, Float.NaN, scaleIn(code), scaleOut(code), offset(code));
  }
}
