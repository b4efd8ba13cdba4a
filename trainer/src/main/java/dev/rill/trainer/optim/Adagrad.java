package dev.rill.trainer.optim;

import dev.rill.trainer.nn.Param;
import dev.rill.trainer.tensor.Matrix;
import java.util.List;
import java.util.Map;

/** Adagrad: {@code s += g²;  θ -= lr · g / (√s + 1e-8)}. */
final class Adagrad extends Optimizer {
  private final Map<String, Matrix> state = names();
  private final List<Matrix> squares;

  Adagrad(List<Param> params, double learningRate) {
    super(params, learningRate);
    this.squares = perParam("squares", state);
  }

  @Override
  protected void update(int index, Matrix value, Matrix grad) {
    Matrix s = squares.get(index);
    for (int i = 0; i < value.rows(); i++) {
      for (int j = 0; j < value.cols(); j++) {
        double g = grad.get(i, j);
        double sij = s.get(i, j) + g * g;
        s.set(i, j, sij);
        value.set(i, j, value.get(i, j) - learningRate * g / (Math.sqrt(sij) + 1e-8));
      }
    }
  }

  @Override
  public Map<String, Matrix> state() {
    return state;
  }
}
