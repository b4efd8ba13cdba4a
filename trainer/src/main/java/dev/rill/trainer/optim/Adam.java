package dev.rill.trainer.optim;

import dev.rill.trainer.nn.Param;
import dev.rill.trainer.tensor.Matrix;
import java.util.List;
import java.util.Map;

/**
 * Adam with bias correction:
 * {@code m = β₁m + (1-β₁)g;  v = β₂v + (1-β₂)g²;  θ -= lr · m̂ / (√v̂ + ε)}, m̂ = m / (1-β₁ᵗ), v̂ = v / (1-β₂ᵗ).
 */
final class Adam extends Optimizer {
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final Map<String, Matrix> state = names();
  private final List<Matrix> first;
  private final List<Matrix> second;

  Adam(List<Param> params, double learningRate, double beta1, double beta2, double epsilon) {
    super(params, learningRate);
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.first = perParam("m", state);
    this.second = perParam("v", state);
  }

  @Override
  protected void update(int index, Matrix value, Matrix grad) {
    Matrix m = first.get(index);
    Matrix v = second.get(index);
    double c1 = 1 - Math.pow(beta1, updates);
    double c2 = 1 - Math.pow(beta2, updates);
    float[] mf = m.floatArray();
    if (mf != null && value.stride() == value.cols() && grad.stride() == grad.cols()) {
      // The same arithmetic over the float arrays directly: this runs once per window over every weight.
      float[] vf = v.floatArray();
      float[] w = value.floatArray();
      float[] g = grad.floatArray();
      int wo = value.offset();
      int go = grad.offset();
      for (int k = 0; k < mf.length; k++) {
        double gk = g[go + k];
        double mk = beta1 * mf[k] + (1 - beta1) * gk;
        double vk = beta2 * vf[k] + (1 - beta2) * gk * gk;
        mf[k] = (float) mk;
        vf[k] = (float) vk;
        w[wo + k] = (float) (w[wo + k] - learningRate * ((float) mk / c1) / (Math.sqrt((float) vk / c2) + epsilon));
      }
      return;
    }
    for (int i = 0; i < value.rows(); i++) {
      for (int j = 0; j < value.cols(); j++) {
        double g = grad.get(i, j);
        m.set(i, j, beta1 * m.get(i, j) + (1 - beta1) * g);
        v.set(i, j, beta2 * v.get(i, j) + (1 - beta2) * g * g);
        double mHat = m.get(i, j) / c1;
        double vHat = v.get(i, j) / c2;
        value.set(i, j, value.get(i, j) - learningRate * mHat / (Math.sqrt(vHat) + epsilon));
      }
    }
  }

  @Override
  public Map<String, Matrix> state() {
    return state;
  }
}
