package dev.rill.trainer.optim;

import dev.rill.trainer.nn.Param;
import dev.rill.trainer.tensor.Matrix;
import java.util.List;

/** Bounds gradients before an update: element by element, or by their global L2 norm. */
public final class GradientClipping {
  private GradientClipping() {}

  /**
   * Clamps every gradient element to [-bound, bound].
   *
   * @param params the parameters
   * @param bound a positive bound
   */
  public static void clipElements(List<Param> params, double bound) {
    for (Param p : params) {
      Matrix g = p.grad();
      for (int i = 0; i < g.rows(); i++) {
        for (int j = 0; j < g.cols(); j++) {
          g.set(i, j, Math.max(-bound, Math.min(bound, g.get(i, j))));
        }
      }
    }
  }

  /**
   * Scales all gradients by min(1, maxNorm / ‖g‖), where ‖g‖ is the L2 norm of all of them together.
   *
   * @param params the parameters
   * @param maxNorm a positive bound
   * @return the norm before clipping (NaN if any gradient is NaN)
   */
  public static double clipGlobalNorm(List<Param> params, double maxNorm) {
    double sum = 0;
    for (Param p : params) {
      Matrix g = p.grad();
      for (int i = 0; i < g.rows(); i++) {
        for (int j = 0; j < g.cols(); j++) {
          double v = g.get(i, j);
          sum += v * v;
        }
      }
    }
    double norm = Math.sqrt(sum);
    if (norm > maxNorm) {
      double scale = maxNorm / norm;
      for (Param p : params) {
        Matrix g = p.grad();
        for (int i = 0; i < g.rows(); i++) {
          for (int j = 0; j < g.cols(); j++) {
            g.set(i, j, g.get(i, j) * scale);
          }
        }
      }
    }
    return norm;
  }
}
