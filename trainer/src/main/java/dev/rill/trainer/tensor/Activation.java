package dev.rill.trainer.tensor;

/**
 * The element-wise functions of the trainer's cells, each with its derivative written in terms of its output
 * (what the backward pass keeps), as the cells' equations use them.
 */
public enum Activation {
  /** σ(x) = 1 / (1 + e^-x); σ' = y (1 - y). */
  SIGMOID {
    @Override
    public double apply(double x) {
      return 1 / (1 + Math.exp(-x));
    }

    @Override
    public double derivative(double y) {
      return y * (1 - y);
    }
  },
  /** tanh(x); tanh' = 1 - y². */
  TANH {
    @Override
    public double apply(double x) {
      return Math.tanh(x);
    }

    @Override
    public double derivative(double y) {
      return 1 - y * y;
    }
  },
  /** max(0, x); relu' = 1 where y > 0, else 0. */
  RELU {
    @Override
    public double apply(double x) {
      return x > 0 ? x : 0;
    }

    @Override
    public double derivative(double y) {
      return y > 0 ? 1 : 0;
    }
  };

  /**
   * @param x the argument
   * @return f(x)
   */
  public abstract double apply(double x);

  /**
   * @param y an output of this function, y = f(x)
   * @return f'(x)
   */
  public abstract double derivative(double y);
}
