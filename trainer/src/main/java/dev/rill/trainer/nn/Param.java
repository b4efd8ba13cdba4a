package dev.rill.trainer.nn;

import dev.rill.trainer.tensor.Matrix;
import dev.rill.trainer.tensor.Ops;

/**
 * A trained tensor: its value and the gradient the backward pass accumulates into it.
 *
 * @param name a name unique within the network, such as {@code lstm0.forward.R}
 * @param value the current value
 * @param grad the gradient of the loss with respect to value, same shape
 */
public record Param(String name, Matrix value, Matrix grad) {

  /**
   * A zero parameter.
   *
   * @param ops the precision
   * @param name its name
   * @param rows rows
   * @param cols columns
   * @return the parameter
   */
  public static Param zeros(Ops ops, String name, int rows, int cols) {
    return new Param(name, ops.zeros(rows, cols), ops.zeros(rows, cols));
  }
}
