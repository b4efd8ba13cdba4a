package dev.rill.trainer.nn;

import dev.rill.format.proto.OutputActivation;
import dev.rill.trainer.tensor.Matrix;

/**
 * The training objectives, each over the rows of the head's output that have targets; the loss is the mean over
 * those rows (and, for element-wise losses, over their outputs). Each is the negative log-likelihood of the output
 * activation the exported model applies, so that exporting changes nothing.
 */
public enum Loss {
  /** Softmax over the outputs, cross-entropy with a target class per row; exported with SOFTMAX. */
  SOFTMAX_CROSS_ENTROPY(OutputActivation.SOFTMAX) {
    @Override
    double apply(Matrix z, int row, Targets targets, int targetRow, Matrix dz, double scale) {
      int target = targets.classes()[targetRow];
      int n = z.cols();
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < n; j++) {
        max = Math.max(max, z.get(row, j));
      }
      double sum = 0;
      for (int j = 0; j < n; j++) {
        double e = Math.exp(z.get(row, j) - max);
        sum += e;
        if (dz != null) {
          dz.set(row, j, e);                                         // e = exp(z - max), kept for p
        }
      }
      double logSum = Math.log(sum);
      if (dz != null) {
        for (int j = 0; j < n; j++) {
          double p = dz.get(row, j) / sum;                           // p = softmax(z)
          dz.set(row, j, (p - (j == target ? 1 : 0)) * scale);      // dz = p - onehot(target)
        }
      }
      return -(z.get(row, target) - max - logSum);                  // -log p[target]
    }
  },
  /** A sigmoid per output, binary cross-entropy with targets in [0, 1]; exported with OUTPUT_SIGMOID. */
  SIGMOID_BINARY_CROSS_ENTROPY(OutputActivation.OUTPUT_SIGMOID) {
    @Override
    double apply(Matrix z, int row, Targets targets, int targetRow, Matrix dz, double scale) {
      int n = z.cols();
      double loss = 0;
      for (int j = 0; j < n; j++) {
        double x = z.get(row, j);
        double y = targets.values()[targetRow * n + j];
        loss += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));  // -y log σ(x) - (1-y) log(1-σ(x))
        if (dz != null) {
          dz.set(row, j, (1 / (1 + Math.exp(-x)) - y) * scale / n);       // dz = σ(x) - y
        }
      }
      return loss / n;
    }
  },
  /** The mean of squared differences of the outputs from the targets; exported with no activation. */
  MEAN_SQUARED_ERROR(OutputActivation.NONE) {
    @Override
    double apply(Matrix z, int row, Targets targets, int targetRow, Matrix dz, double scale) {
      int n = z.cols();
      double loss = 0;
      for (int j = 0; j < n; j++) {
        double e = z.get(row, j) - targets.values()[targetRow * n + j];
        loss += e * e;                                                  // (z - y)²
        if (dz != null) {
          dz.set(row, j, 2 * e * scale / n);                            // dz = 2 (z - y)
        }
      }
      return loss / n;
    }
  };

  private final OutputActivation exported;

  Loss(OutputActivation exported) {
    this.exported = exported;
  }

  /** @return the output activation an exported model applies to the head */
  public OutputActivation exportedActivation() {
    return exported;
  }

  /**
   * The loss of one row, and optionally its gradient.
   *
   * @param z the head's outputs
   * @param row the row of z
   * @param targets the targets
   * @param targetRow the row of the targets
   * @param dz where to write the gradient of (loss × scale) with respect to the row, or null
   * @param scale the row's weight in the mean
   * @return the row's loss
   */
  abstract double apply(Matrix z, int row, Targets targets, int targetRow, Matrix dz, double scale);
}
