package dev.rill.runtime.internal.kernel;

import java.util.Objects;

/**
 * One of the activation functions the ONNX recurrent operators accept, with its alpha and beta.
 * {@link #apply} is the scalar definition that every kernel must match.
 */
public record ActivationFunction(Kind kind, float alpha, float beta) {

  public enum Kind {
    SIGMOID, TANH, RELU, HARD_SIGMOID, LEAKY_RELU, THRESHOLDED_RELU, SCALED_TANH, AFFINE, ELU, SOFTSIGN,
    SOFTPLUS
  }

  public static final ActivationFunction SIGMOID = new ActivationFunction(Kind.SIGMOID, 0f, 0f);
  public static final ActivationFunction TANH = new ActivationFunction(Kind.TANH, 0f, 0f);
  public static final ActivationFunction RELU = new ActivationFunction(Kind.RELU, 0f, 0f);

  public ActivationFunction {
    Objects.requireNonNull(kind, "kind");
  }

  public float apply(float x) {
    return switch (kind) {
      case SIGMOID -> sigmoid(x);
      case TANH -> (float) Math.tanh(x);
      case RELU -> Math.max(0f, x);
      case HARD_SIGMOID -> Math.max(0f, Math.min(1f, alpha * x + beta));
      case LEAKY_RELU -> x >= 0f ? x : alpha * x;
      case THRESHOLDED_RELU -> x > alpha ? x : 0f;
      case SCALED_TANH -> alpha * (float) Math.tanh(beta * x);
      case AFFINE -> alpha * x + beta;
      case ELU -> x >= 0f ? x : alpha * (float) Math.expm1(x);
      case SOFTSIGN -> x / (1f + Math.abs(x));
      case SOFTPLUS -> softplus(x);
    };
  }

  private static float sigmoid(float x) {
    // Written so that neither branch overflows: exp of a non-positive number only.
    if (x >= 0f) {
      return (float) (1.0 / (1.0 + Math.exp(-x)));
    }
    double e = Math.exp(x);
    return (float) (e / (1.0 + e));
  }

  private static float softplus(float x) {
    // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), stable for large |x|.
    return (float) (Math.max(x, 0f) + Math.log1p(Math.exp(-Math.abs(x))));
  }
}
