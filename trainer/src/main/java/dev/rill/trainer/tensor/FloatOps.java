package dev.rill.trainer.tensor;

/**
 * Single-precision operations for training: the element-wise updates as plain loops over the float arrays
 * (which C2 vectorises), and a matrix product. Every override computes exactly what {@link Ops} defines,
 * rounded to float once per element.
 */
final class FloatOps extends Ops {
  private final int threads;

  FloatOps(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    this.threads = threads;
  }

  @Override
  public Matrix zeros(int rows, int cols) {
    return Matrix.floats(rows, cols);
  }

  @Override
  public void gemm(Matrix a, boolean ta, Matrix b, boolean tb, Matrix c, boolean accumulate) {
    productShapes(a, ta, b, tb, c);
    float[] af = a.floatArray();
    float[] bf = b.floatArray();
    float[] cf = c.floatArray();
    int m = c.rows();
    int n = c.cols();
    int k = ta ? a.rows() : a.cols();
    for (int i = 0; i < m; i++) {
      int ci = c.offset() + i * c.stride();
      if (!accumulate) {
        java.util.Arrays.fill(cf, ci, ci + n, 0f);
      }
      for (int p = 0; p < k; p++) {
        float aip = ta ? af[a.offset() + p * a.stride() + i] : af[a.offset() + i * a.stride() + p];
        if (tb) {
          int bj = b.offset() + p;
          for (int j = 0; j < n; j++) {
            cf[ci + j] += aip * bf[bj + j * b.stride()];
          }
        } else {
          int bp = b.offset() + p * b.stride();
          for (int j = 0; j < n; j++) {
            cf[ci + j] += aip * bf[bp + j];
          }
        }
      }
    }
  }

  @Override
  public void activate(Activation f, Matrix y, Matrix x) {
    same(y, x);
    float[] yf = y.floatArray();
    float[] xf = x.floatArray();
    for (int i = 0; i < y.rows(); i++) {
      int yi = y.offset() + i * y.stride();
      int xi = x.offset() + i * x.stride();
      switch (f) {
        case SIGMOID -> {
          for (int j = 0; j < y.cols(); j++) {
            yf[yi + j] = (float) (1 / (1 + Math.exp(-xf[xi + j])));
          }
        }
        case TANH -> {
          for (int j = 0; j < y.cols(); j++) {
            yf[yi + j] = (float) Math.tanh(xf[xi + j]);
          }
        }
        case RELU -> {
          for (int j = 0; j < y.cols(); j++) {
            yf[yi + j] = Math.max(xf[xi + j], 0f);
          }
        }
      }
    }
  }

  @Override
  public void activateBackward(Activation f, Matrix dx, Matrix dy, Matrix y) {
    same(dx, dy);
    same(dx, y);
    float[] o = dx.floatArray();
    float[] g = dy.floatArray();
    float[] v = y.floatArray();
    for (int i = 0; i < dx.rows(); i++) {
      int oi = dx.offset() + i * dx.stride();
      int gi = dy.offset() + i * dy.stride();
      int vi = y.offset() + i * y.stride();
      switch (f) {
        case SIGMOID -> {
          for (int j = 0; j < dx.cols(); j++) {
            float yj = v[vi + j];
            o[oi + j] = (float) ((double) g[gi + j] * ((double) yj * (1 - (double) yj)));
          }
        }
        case TANH -> {
          for (int j = 0; j < dx.cols(); j++) {
            float yj = v[vi + j];
            o[oi + j] = (float) ((double) g[gi + j] * (1 - (double) yj * yj));
          }
        }
        case RELU -> {
          for (int j = 0; j < dx.cols(); j++) {
            o[oi + j] = v[vi + j] > 0 ? g[gi + j] : 0f;
          }
        }
      }
    }
  }

  @Override
  public void mul(Matrix out, Matrix a, Matrix b) {
    same(out, a);
    same(out, b);
    float[] o = out.floatArray();
    float[] x = a.floatArray();
    float[] y = b.floatArray();
    for (int i = 0; i < out.rows(); i++) {
      int oi = out.offset() + i * out.stride();
      int xi = a.offset() + i * a.stride();
      int yi = b.offset() + i * b.stride();
      for (int j = 0; j < out.cols(); j++) {
        o[oi + j] = x[xi + j] * y[yi + j];
      }
    }
  }

  @Override
  public void addMul(Matrix out, Matrix a, Matrix b) {
    same(out, a);
    same(out, b);
    float[] o = out.floatArray();
    float[] x = a.floatArray();
    float[] y = b.floatArray();
    for (int i = 0; i < out.rows(); i++) {
      int oi = out.offset() + i * out.stride();
      int xi = a.offset() + i * a.stride();
      int yi = b.offset() + i * b.stride();
      for (int j = 0; j < out.cols(); j++) {
        o[oi + j] = (float) (o[oi + j] + (double) x[xi + j] * y[yi + j]);
      }
    }
  }

  @Override
  public void add(Matrix out, Matrix a, Matrix b) {
    same(out, a);
    same(out, b);
    float[] o = out.floatArray();
    float[] x = a.floatArray();
    float[] y = b.floatArray();
    for (int i = 0; i < out.rows(); i++) {
      int oi = out.offset() + i * out.stride();
      int xi = a.offset() + i * a.stride();
      int yi = b.offset() + i * b.stride();
      for (int j = 0; j < out.cols(); j++) {
        o[oi + j] = x[xi + j] + y[yi + j];
      }
    }
  }

  @Override
  public void sub(Matrix out, Matrix a, Matrix b) {
    same(out, a);
    same(out, b);
    float[] o = out.floatArray();
    float[] x = a.floatArray();
    float[] y = b.floatArray();
    for (int i = 0; i < out.rows(); i++) {
      int oi = out.offset() + i * out.stride();
      int xi = a.offset() + i * a.stride();
      int yi = b.offset() + i * b.stride();
      for (int j = 0; j < out.cols(); j++) {
        o[oi + j] = x[xi + j] - y[yi + j];
      }
    }
  }

  @Override
  public void copy(Matrix out, Matrix a) {
    same(out, a);
    for (int i = 0; i < out.rows(); i++) {
      System.arraycopy(a.floatArray(), a.offset() + i * a.stride(), out.floatArray(), out.offset() + i * out.stride(), out.cols());
    }
  }

  @Override
  public void fill(Matrix out, double value) {
    for (int i = 0; i < out.rows(); i++) {
      int oi = out.offset() + i * out.stride();
      java.util.Arrays.fill(out.floatArray(), oi, oi + out.cols(), (float) value);
    }
  }

  @Override
  public void addRow(Matrix out, Matrix row) {
    oneRow(out, row);
    float[] o = out.floatArray();
    float[] r = row.floatArray();
    for (int i = 0; i < out.rows(); i++) {
      int oi = out.offset() + i * out.stride();
      for (int j = 0; j < out.cols(); j++) {
        o[oi + j] += r[row.offset() + j];
      }
    }
  }
}
