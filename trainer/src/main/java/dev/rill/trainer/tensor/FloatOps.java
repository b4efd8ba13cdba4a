package dev.rill.trainer.tensor;

import dev.rill.trainer.math.FloatGemm;
import dev.rill.trainer.math.FloatActivations;
import dev.rill.trainer.math.FloatMatrix;
import dev.rill.trainer.math.PackedMatrix;

/**
 * Single-precision operations for training: the element-wise updates as plain loops over the float arrays
 * (which C2 vectorises), the register-tiled matrix product of {@link FloatGemm#best()}, and sigmoid and tanh
 * from the rational approximation of {@link FloatActivations} (within 3e-7 of the exact functions, and bitwise
 * the same in compiled and interpreted code). The other overrides compute exactly what {@link Ops} defines,
 * rounded to float once per element. Not thread-safe (it reuses a scratch buffer).
 */
final class FloatOps extends Ops {
  private final FloatGemm gemm;
  private final FloatActivations activations = FloatActivations.best();
  private double[] sums = new double[0];

  FloatOps(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    this.gemm = threads == 1 ? FloatGemm.best() : FloatGemm.best().withThreads(threads);
  }

  @Override
  public void close() {
    gemm.close();
  }

  @Override
  public Matrix zeros(int rows, int cols) {
    return Matrix.floats(rows, cols);
  }

  @Override
  public void gemm(Matrix a, boolean ta, Matrix b, boolean tb, Matrix c, boolean accumulate) {
    productShapes(a, ta, b, tb, c);
    gemm.multiply(view(a), ta, view(b), tb, view(c), accumulate);
  }

  private static FloatMatrix view(Matrix m) {
    return new FloatMatrix(m.floatArray(), m.offset(), m.rows(), m.cols(), m.stride());
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
        case SIGMOID -> activations.apply(xf, xi, yf, yi, y.cols(), 0.5f, 0.5f);   // σ(x) = ½ + ½ tanh(x/2)
        case TANH -> activations.apply(xf, xi, yf, yi, y.cols(), 1f, 0f);
        case RELU -> {
          for (int j = 0; j < y.cols(); j++) {
            yf[yi + j] = Math.max(xf[xi + j], 0f);
          }
        }
      }
    }
  }

  @Override
  public Packed pack(Matrix b, boolean transpose) {
    PackedMatrix packed = gemm.pack(view(b), transpose);
    return new Packed(b, transpose) {
      @Override
      public void repack() {
        packed.repack(view(b), transpose);
      }

      @Override
      Object implementation() {
        return packed;
      }
    };
  }

  @Override
  public void gemm(Matrix a, boolean ta, Packed b, Matrix c, boolean accumulate) {
    productShapes(a, ta, b.source(), b.transposed(), c);
    gemm.multiply(view(a), ta, (PackedMatrix) b.implementation(), view(c), accumulate);
  }

  @Override
  public void addColumnSums(Matrix row, Matrix a) {
    oneRow(a, row);
    double[] sums = columnSums(a.cols());
    float[] af = a.floatArray();
    for (int i = 0; i < a.rows(); i++) {
      int ai = a.offset() + i * a.stride();
      for (int j = 0; j < a.cols(); j++) {
        sums[j] += af[ai + j];
      }
    }
    addSums(row, sums);
  }

  @Override
  public void addColumnSumsOfProduct(Matrix row, Matrix a, Matrix b) {
    same(a, b);
    oneRow(a, row);
    double[] sums = columnSums(a.cols());
    float[] af = a.floatArray();
    float[] bf = b.floatArray();
    for (int i = 0; i < a.rows(); i++) {
      int ai = a.offset() + i * a.stride();
      int bi = b.offset() + i * b.stride();
      for (int j = 0; j < a.cols(); j++) {
        sums[j] += (double) af[ai + j] * bf[bi + j];
      }
    }
    addSums(row, sums);
  }

  /** A zeroed buffer of column sums, reused: the same order of additions as the reference, row by row. */
  private double[] columnSums(int n) {
    if (sums.length < n) {
      sums = new double[n];
    }
    java.util.Arrays.fill(sums, 0, n, 0);
    return sums;
  }

  private static void addSums(Matrix row, double[] sums) {
    float[] r = row.floatArray();
    for (int j = 0; j < row.cols(); j++) {
      r[row.offset() + j] = (float) (r[row.offset() + j] + sums[j]);
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
