package dev.rill.runtime.internal.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vectorised nonlinearities of the vector kernels.
 *
 * <p>tanh is {@code lanewise(TANH)}, which C2 compiles to the JDK's vectorised math stubs (SVML-derived on
 * x86); sigmoid is computed from it as {@code 0.5 + 0.5 tanh(x / 2)}, exact in real arithmetic, so the
 * one stub serves both and neither can overflow. Saturation follows from tanh's: tanh(±Inf) = ±1, so
 * sigmoid(+Inf) = 1 and sigmoid(-Inf) = 0; NaN stays NaN.
 *
 * <p>Measured largest absolute error against {@link Math#tanh} and the exact sigmoid in double, over a
 * dense grid of [-20, 20], large magnitudes up to ±Float.MAX_VALUE, subnormals, ±0, ±Inf and NaN
 * (VectorMathTest, JDK 25.0.3, AVX2, interpreted and C2-compiled): tanh 3.05e-8, sigmoid 4.50e-8, about
 * half a float ulp near 1, well within the bound of 1e-6 that VectorMathTest asserts.
 *
 * <p>Each method is small on purpose: C2 must inline it so the vectors stay in registers.
 */
final class VectorMath {

  /** Activation code of {@link ActivationFunction#SIGMOID}. */
  static final int SIGMOID = 0;
  /** Activation code of {@link ActivationFunction#TANH}. */
  static final int TANH = 1;

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

  static FloatVector tanh(FloatVector x) {
    return x.lanewise(VectorOperators.TANH);
  }

  static FloatVector sigmoid(FloatVector x) {
    return x.mul(0.5f).lanewise(VectorOperators.TANH).fma(0.5f, 0.5f);
  }

  /** Sigmoid or tanh by code. */
  static FloatVector apply(int code, FloatVector x) {
    return code == SIGMOID ? sigmoid(x) : tanh(x);
  }

  /** Clamps to [-clip, clip], keeping NaN, as the scalar kernel does; identity when {@code clip} is NaN. */
  static FloatVector clip(FloatVector x, boolean hasClip, float clip) {
    return hasClip ? x.min(clip).max(-clip) : x;
  }
}
