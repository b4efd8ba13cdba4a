package dev.rill.trainer.tensor;

/**
 * The operations the trainer's layers are written in: matrix products and a handful of element-wise updates,
 * each over whole matrices (or views of them). The layers contain the equations of each cell once; an
 * {@code Ops} decides the precision they run in: {@link #floats()} for training, {@link #doubles()} for the
 * gradient checks.
 *
 * <p>This class implements every element-wise operation once, element by element in double arithmetic; it is
 * the reference that the faster single-precision overrides are tested against. Shapes are checked; outputs may
 * be the same view as an input unless a method says otherwise.
 */
public abstract class Ops implements AutoCloseable {

  /** For subclasses. */
  protected Ops() {}

  /** Stops any threads the matrix products hold ({@link #floats(int)} with more than one thread); idempotent. */
  @Override
  public void close() {}

  /** @return operations over single-precision matrices, with the fastest matrix product this JVM runs */
  public static Ops floats() {
    return new FloatOps(1);
  }

  /**
   * @param threads how many threads the matrix products may use (results do not depend on it)
   * @return operations over single-precision matrices; {@link #close() close} them to stop their threads
   */
  public static Ops floats(int threads) {
    return new FloatOps(threads);
  }

  /** @return operations over double-precision matrices, for gradient checks */
  public static Ops doubles() {
    return new DoubleOps();
  }

  /**
   * A new zero matrix of this precision.
   *
   * @param rows rows
   * @param cols columns
   * @return the matrix
   */
  public abstract Matrix zeros(int rows, int cols);

  /**
   * c = (accumulate ? c : 0) + op(a) · op(b), where op(x) is x or its transpose.
   *
   * @param a left factor
   * @param transposeA whether to use aᵀ
   * @param b right factor
   * @param transposeB whether to use bᵀ
   * @param c the result; must not overlap a or b
   * @param accumulate whether to add to c instead of overwriting it
   */
  public abstract void gemm(Matrix a, boolean transposeA, Matrix b, boolean transposeB, Matrix c, boolean accumulate);

  /**
   * op(b) prepared for many products: a weight matrix used at every step of a window. Call {@link #repack()}
   * after b changes.
   *
   * @param b the matrix
   * @param transpose whether the products use bᵀ
   * @return the prepared matrix
   */
  public Packed pack(Matrix b, boolean transpose) {
    return new Packed(b, transpose) {
      @Override
      public void repack() {}

      @Override
      Object implementation() {
        return b;
      }
    };
  }

  /**
   * c = (accumulate ? c : 0) + op(a) · b for a prepared b; the same values as {@link #gemm} with b's source.
   *
   * @param a left factor
   * @param transposeA whether to use aᵀ
   * @param b the prepared right factor
   * @param c the result; must not overlap a
   * @param accumulate whether to add to c
   */
  public void gemm(Matrix a, boolean transposeA, Packed b, Matrix c, boolean accumulate) {
    gemm(a, transposeA, b.source(), b.transposed(), c, accumulate);
  }

  /** A matrix prepared by {@link #pack} for the products of one {@code Ops}. */
  public abstract static class Packed {
    private final Matrix source;
    private final boolean transposed;

    Packed(Matrix source, boolean transposed) {
      this.source = source;
      this.transposed = transposed;
    }

    /** @return the matrix it was prepared from */
    public Matrix source() {
      return source;
    }

    /** @return whether the products use the source's transpose */
    public boolean transposed() {
      return transposed;
    }

    /** Prepares it again from the source's current values. */
    public abstract void repack();

    abstract Object implementation();
  }

  /**
   * y = f(x).
   *
   * @param f the function
   * @param y output
   * @param x input
   */
  public void activate(Activation f, Matrix y, Matrix x) {
    same(y, x);
    for (int i = 0; i < y.rows(); i++) {
      for (int j = 0; j < y.cols(); j++) {
        y.set(i, j, f.apply(x.get(i, j)));
      }
    }
  }

  /**
   * dx = dy ⊙ f'(x), with f' computed from the output y = f(x).
   *
   * @param f the function
   * @param dx output: the gradient with respect to f's argument
   * @param dy the gradient with respect to f's output
   * @param y f's output
   */
  public void activateBackward(Activation f, Matrix dx, Matrix dy, Matrix y) {
    same(dx, dy);
    same(dx, y);
    for (int i = 0; i < dx.rows(); i++) {
      for (int j = 0; j < dx.cols(); j++) {
        dx.set(i, j, dy.get(i, j) * f.derivative(y.get(i, j)));
      }
    }
  }

  /**
   * out = a ⊙ b.
   *
   * @param out output
   * @param a factor
   * @param b factor
   */
  public void mul(Matrix out, Matrix a, Matrix b) {
    same(out, a);
    same(out, b);
    for (int i = 0; i < out.rows(); i++) {
      for (int j = 0; j < out.cols(); j++) {
        out.set(i, j, a.get(i, j) * b.get(i, j));
      }
    }
  }

  /**
   * out += a ⊙ b.
   *
   * @param out output
   * @param a factor
   * @param b factor
   */
  public void addMul(Matrix out, Matrix a, Matrix b) {
    same(out, a);
    same(out, b);
    for (int i = 0; i < out.rows(); i++) {
      for (int j = 0; j < out.cols(); j++) {
        out.set(i, j, out.get(i, j) + a.get(i, j) * b.get(i, j));
      }
    }
  }

  /**
   * out = a + b.
   *
   * @param out output
   * @param a term
   * @param b term
   */
  public void add(Matrix out, Matrix a, Matrix b) {
    same(out, a);
    same(out, b);
    for (int i = 0; i < out.rows(); i++) {
      for (int j = 0; j < out.cols(); j++) {
        out.set(i, j, a.get(i, j) + b.get(i, j));
      }
    }
  }

  /**
   * out = a - b.
   *
   * @param out output
   * @param a minuend
   * @param b subtrahend
   */
  public void sub(Matrix out, Matrix a, Matrix b) {
    same(out, a);
    same(out, b);
    for (int i = 0; i < out.rows(); i++) {
      for (int j = 0; j < out.cols(); j++) {
        out.set(i, j, a.get(i, j) - b.get(i, j));
      }
    }
  }

  /**
   * out = a.
   *
   * @param out output
   * @param a input
   */
  public void copy(Matrix out, Matrix a) {
    same(out, a);
    for (int i = 0; i < out.rows(); i++) {
      for (int j = 0; j < out.cols(); j++) {
        out.set(i, j, a.get(i, j));
      }
    }
  }

  /**
   * Sets every element to a value.
   *
   * @param out output
   * @param value the value
   */
  public void fill(Matrix out, double value) {
    for (int i = 0; i < out.rows(); i++) {
      for (int j = 0; j < out.cols(); j++) {
        out.set(i, j, value);
      }
    }
  }

  /**
   * out *= s.
   *
   * @param out the matrix to scale in place
   * @param s the factor
   */
  public void scale(Matrix out, double s) {
    for (int i = 0; i < out.rows(); i++) {
      for (int j = 0; j < out.cols(); j++) {
        out.set(i, j, out.get(i, j) * s);
      }
    }
  }

  /**
   * out[i, :] += row for every row i (a bias).
   *
   * @param out output
   * @param row one row of out.cols() values
   */
  public void addRow(Matrix out, Matrix row) {
    oneRow(out, row);
    for (int i = 0; i < out.rows(); i++) {
      for (int j = 0; j < out.cols(); j++) {
        out.set(i, j, out.get(i, j) + row.get(0, j));
      }
    }
  }

  /**
   * out[i, :] += a[i, :] ⊙ row for every row i (a peephole).
   *
   * @param out output
   * @param a factor
   * @param row one row of out.cols() values
   */
  public void addMulRow(Matrix out, Matrix a, Matrix row) {
    same(out, a);
    oneRow(out, row);
    for (int i = 0; i < out.rows(); i++) {
      for (int j = 0; j < out.cols(); j++) {
        out.set(i, j, out.get(i, j) + a.get(i, j) * row.get(0, j));
      }
    }
  }

  /**
   * row[j] += Σᵢ a[i, j] (a bias's gradient).
   *
   * @param row one row of a.cols() values
   * @param a the rows to sum
   */
  public void addColumnSums(Matrix row, Matrix a) {
    oneRow(a, row);
    for (int j = 0; j < a.cols(); j++) {
      double sum = 0;
      for (int i = 0; i < a.rows(); i++) {
        sum += a.get(i, j);
      }
      row.set(0, j, row.get(0, j) + sum);
    }
  }

  /**
   * row[j] += Σᵢ a[i, j] b[i, j] (a peephole's gradient).
   *
   * @param row one row of a.cols() values
   * @param a factor
   * @param b factor
   */
  public void addColumnSumsOfProduct(Matrix row, Matrix a, Matrix b) {
    same(a, b);
    oneRow(a, row);
    for (int j = 0; j < a.cols(); j++) {
      double sum = 0;
      for (int i = 0; i < a.rows(); i++) {
        sum += a.get(i, j) * b.get(i, j);
      }
      row.set(0, j, row.get(0, j) + sum);
    }
  }

  /**
   * Checks that two matrices have the same shape.
   *
   * @param a one
   * @param b the other
   */
  protected static void same(Matrix a, Matrix b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) {
      throw new IllegalArgumentException("shapes differ: " + a.rows() + " x " + a.cols() + " and " + b.rows() + " x " + b.cols());
    }
  }

  /**
   * Checks that {@code row} is one row as wide as {@code m}.
   *
   * @param m a matrix
   * @param row a row vector
   */
  protected static void oneRow(Matrix m, Matrix row) {
    if (row.rows() != 1 || row.cols() != m.cols()) {
      throw new IllegalArgumentException("expected a row of " + m.cols() + " values, got " + row.rows() + " x " + row.cols());
    }
  }

  /**
   * Checks the shapes of a product.
   *
   * @param a left factor
   * @param ta whether a is transposed
   * @param b right factor
   * @param tb whether b is transposed
   * @param c result
   */
  protected static void productShapes(Matrix a, boolean ta, Matrix b, boolean tb, Matrix c) {
    int m = ta ? a.cols() : a.rows();
    int k = ta ? a.rows() : a.cols();
    int kb = tb ? b.cols() : b.rows();
    int n = tb ? b.rows() : b.cols();
    if (k != kb || c.rows() != m || c.cols() != n) {
      throw new IllegalArgumentException("product shapes do not fit: " + m + " x " + k + " times " + kb + " x " + n + " into "
          + c.rows() + " x " + c.cols());
    }
  }
}
