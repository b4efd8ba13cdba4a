package dev.rill.converter.pytorch;

import java.util.Map;

/**
 * PyTorch's own equations in double, over weights in PyTorch's layout and gate order (LSTM i,f,g,o;
 * GRU r,z,n; biases b_ih and b_hh), from the nn.LSTM/nn.GRU/nn.RNN documentation. Independent of
 * Rill's canonical layout, so comparing the runtime on an imported model against it checks the
 * gate reordering and the bias split. Arrays are time-major: x [T, N, X], result [T, N, D*H].
 */
public final class TorchReference {

  /** The cell equations to use. */
  public enum Cell { LSTM, GRU, RNN_TANH, RNN_RELU }

  private TorchReference() {}

  /**
   * Runs a stack (or a cell: {@code cellNames} true, one layer) named {@code prefix} from a map of
   * PyTorch parameter names to values.
   */
  public static double[] stack(Map<String, float[]> params, String prefix, Cell cell, int layers, boolean bidirectional,
      boolean cellNames, double[] x, int steps, int batch, int inputSize, int hidden) {
    int d = bidirectional ? 2 : 1;
    double[] in = x;
    int width = inputSize;
    for (int k = 0; k < layers; k++) {
      double[] out = new double[steps * batch * d * hidden];
      for (int dir = 0; dir < d; dir++) {
        String suffix = cellNames ? "" : "_l" + k + (dir == 1 ? "_reverse" : "");
        float[] wih = params.get(prefix + "weight_ih" + suffix);
        float[] whh = params.get(prefix + "weight_hh" + suffix);
        float[] bih = params.get(prefix + "bias_ih" + suffix);
        float[] bhh = params.get(prefix + "bias_hh" + suffix);
        for (int n = 0; n < batch; n++) {
          double[] h = new double[hidden];
          double[] c = new double[hidden];
          for (int s = 0; s < steps; s++) {
            int t = dir == 0 ? s : steps - 1 - s;
            double[] xt = new double[width];
            System.arraycopy(in, (t * batch + n) * width, xt, 0, width);
            double[][] next = step(cell, wih, whh, bih, bhh, xt, h, c, hidden);
            h = next[0];
            c = next[1];
            System.arraycopy(h, 0, out, (t * batch + n) * d * hidden + dir * hidden, hidden);
          }
        }
      }
      in = out;
      width = d * hidden;
    }
    return in;
  }

  /** y = W x + b for every row of x [rows, in]; W [out, in]. */
  public static double[] linear(float[] w, float[] b, double[] x, int rows, int in, int out) {
    double[] y = new double[rows * out];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < out; o++) {
        double acc = b == null ? 0 : b[o];
        for (int i = 0; i < in; i++) {
          acc += w[o * in + i] * x[r * in + i];
        }
        y[r * out + o] = acc;
      }
    }
    return y;
  }

  public static double[] softmaxRows(double[] y, int rows, int cols) {
    double[] out = new double[y.length];
    for (int r = 0; r < rows; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < cols; c++) {
        max = Math.max(max, y[r * cols + c]);
      }
      double sum = 0;
      for (int c = 0; c < cols; c++) {
        sum += Math.exp(y[r * cols + c] - max);
      }
      for (int c = 0; c < cols; c++) {
        out[r * cols + c] = Math.exp(y[r * cols + c] - max) / sum;
      }
    }
    return out;
  }

  private static double[][] step(Cell cell, float[] wih, float[] whh, float[] bih, float[] bhh, double[] x, double[] h,
      double[] c, int hidden) {
    int gates = cell == Cell.LSTM ? 4 : cell == Cell.GRU ? 3 : 1;
    double[] gi = new double[gates * hidden];
    double[] gh = new double[gates * hidden];
    for (int row = 0; row < gates * hidden; row++) {
      double a = bih == null ? 0 : bih[row];
      for (int i = 0; i < x.length; i++) {
        a += wih[row * x.length + i] * x[i];
      }
      double b = bhh == null ? 0 : bhh[row];
      for (int j = 0; j < hidden; j++) {
        b += whh[row * hidden + j] * h[j];
      }
      gi[row] = a;
      gh[row] = b;
    }
    double[] h2 = new double[hidden];
    double[] c2 = new double[hidden];
    for (int j = 0; j < hidden; j++) {
      switch (cell) {
        case LSTM -> {
          double i = sigmoid(gi[j] + gh[j]);
          double f = sigmoid(gi[hidden + j] + gh[hidden + j]);
          double g = Math.tanh(gi[2 * hidden + j] + gh[2 * hidden + j]);
          double o = sigmoid(gi[3 * hidden + j] + gh[3 * hidden + j]);
          c2[j] = f * c[j] + i * g;
          h2[j] = o * Math.tanh(c2[j]);
        }
        case GRU -> {
          double r = sigmoid(gi[j] + gh[j]);
          double z = sigmoid(gi[hidden + j] + gh[hidden + j]);
          double n = Math.tanh(gi[2 * hidden + j] + r * gh[2 * hidden + j]);
          h2[j] = (1 - z) * n + z * h[j];
        }
        case RNN_TANH -> h2[j] = Math.tanh(gi[j] + gh[j]);
        case RNN_RELU -> h2[j] = Math.max(0, gi[j] + gh[j]);
      }
    }
    return new double[][] {h2, c2};
  }

  private static double sigmoid(double v) {
    return 1 / (1 + Math.exp(-v));
  }
}
