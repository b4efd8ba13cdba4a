package dev.rill.trainer.tensor;

/** Double-precision operations: the element-wise reference of {@link Ops} and a plain matrix product. */
final class DoubleOps extends Ops {

  @Override
  public Matrix zeros(int rows, int cols) {
    return Matrix.doubles(rows, cols);
  }

  @Override
  public void gemm(Matrix a, boolean ta, Matrix b, boolean tb, Matrix c, boolean accumulate) {
    productShapes(a, ta, b, tb, c);
    int k = ta ? a.rows() : a.cols();
    for (int i = 0; i < c.rows(); i++) {
      for (int j = 0; j < c.cols(); j++) {
        double sum = accumulate ? c.get(i, j) : 0;
        for (int p = 0; p < k; p++) {
          sum += (ta ? a.get(p, i) : a.get(i, p)) * (tb ? b.get(j, p) : b.get(p, j));
        }
        c.set(i, j, sum);
      }
    }
  }
}
