package dev.rill.trainer.optim;

import dev.rill.trainer.nn.Param;
import dev.rill.trainer.tensor.Matrix;
import java.util.List;
import java.util.Map;

/** SGD with momentum: {@code v = μ v + g;  θ -= lr · v}. */
final class Sgd extends Optimizer {
  private final double momentum;
  private final Map<String, Matrix> state = names();
  private final List<Matrix> velocity;

  Sgd(List<Param> params, double learningRate, double momentum) {
    super(params, learningRate);
    this.momentum = momentum;
    this.velocity = perParam("velocity", state);
  }

  @Override
  protected void update(int index, Matrix value, Matrix grad) {
    Matrix v = velocity.get(index);
    for (int i = 0; i < value.rows(); i++) {
      for (int j = 0; j < value.cols(); j++) {
        double vij = momentum * v.get(i, j) + grad.get(i, j);
        v.set(i, j, vij);
        value.set(i, j, value.get(i, j) - learningRate * vij);
      }
    }
  }

  @Override
  public Map<String, Matrix> state() {
    return state;
  }
}
