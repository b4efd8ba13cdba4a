package dev.rill.trainer.optim;

import dev.rill.trainer.nn.Param;
import dev.rill.trainer.tensor.Matrix;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters from their gradients. An optimizer keeps per-parameter state (moments, accumulators),
 * which {@link #state()} exposes so that a checkpoint can save it and a resumed run continues bit for bit.
 */
public abstract class Optimizer {
  /** The parameters, in a fixed order. */
  protected final List<Param> params;
  /** The learning rate. */
  protected final double learningRate;
  /** How many updates have been made. */
  protected long updates;

  /**
   * @param params the parameters to update
   * @param learningRate the learning rate, finite and positive
   */
  protected Optimizer(List<Param> params, double learningRate) {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("the learning rate must be finite and positive, got " + learningRate);
    }
    this.params = List.copyOf(params);
    this.learningRate = learningRate;
  }

  /**
   * An optimizer by name.
   *
   * @param kind the algorithm
   * @param params the parameters
   * @param learningRate the learning rate
   * @return the optimizer
   */
  public static Optimizer of(Kind kind, List<Param> params, double learningRate) {
    return switch (kind) {
      case SGD -> new Sgd(params, learningRate, 0.9);
      case ADAGRAD -> new Adagrad(params, learningRate);
      case ADAM -> new Adam(params, learningRate, 0.9, 0.999, 1e-8);
    };
  }

  /** The algorithms. */
  public enum Kind {
    /** Stochastic gradient descent with momentum 0.9. */
    SGD,
    /** Adagrad. */
    ADAGRAD,
    /** Adam with β₁ = 0.9, β₂ = 0.999, ε = 1e-8. */
    ADAM
  }

  /** Applies one update to every parameter from its gradient. */
  public void step() {
    updates++;
    for (int k = 0; k < params.size(); k++) {
      Param p = params.get(k);
      update(k, p.value(), p.grad());
    }
  }

  /**
   * Updates one parameter.
   *
   * @param index the parameter's index
   * @param value its value
   * @param grad its gradient
   */
  protected abstract void update(int index, Matrix value, Matrix grad);

  /** @return the number of updates made */
  public long updates() {
    return updates;
  }

  /**
   * Restores the number of updates (from a checkpoint).
   *
   * @param updates the count
   */
  public void setUpdates(long updates) {
    this.updates = updates;
  }

  /** @return every state matrix by name (such as {@code lstm0.forward.W.m}), to save or to restore into */
  public abstract Map<String, Matrix> state();

  /**
   * One state matrix per parameter, shaped like it.
   *
   * @param suffix appended to the parameter's name
   * @return the matrices
   */
  protected List<Matrix> perParam(String suffix, Map<String, Matrix> names) {
    List<Matrix> list = new ArrayList<>();
    for (Param p : params) {
      Matrix m = p.value().isDouble() ? Matrix.doubles(p.value().rows(), p.value().cols())
          : Matrix.floats(p.value().rows(), p.value().cols());
      list.add(m);
      names.put(p.name() + "." + suffix, m);
    }
    return list;
  }

  /** @return a new map for {@link #state()} */
  protected static Map<String, Matrix> names() {
    return new LinkedHashMap<>();
  }
}
