package dev.rill.trainer.math;

import java.util.Arrays;
import java.util.Objects;

/**
 * The checks and the packing shared by the implementations: a subclass computes a part of c from a packed b
 * ({@link #compute}); a part is a block of c, so parts can run on different threads.
 */
abstract class AbstractGemm implements FloatGemm {

  /** Per calling thread: op(b) packed by {@link #multiply(FloatMatrix, boolean, FloatMatrix, boolean, FloatMatrix, boolean)}. */
  private final ThreadLocal<PackedMatrix> packScratch = ThreadLocal.withInitial(() -> new PackedMatrix(panelWidth()));

  /** Columns per panel of the matrices this implementation packs. */
  abstract int panelWidth();

  /**
   * Part {@code part} of {@code parts} of {@code c = (accumulate ? c : 0) + op(a)·b}: a block of c chosen from the
   * shapes and {@code parts} alone, the parts together covering c once. Shapes are checked, k is at least 1.
   */
  abstract void compute(FloatMatrix a, boolean transposeA, PackedMatrix b, FloatMatrix c, boolean accumulate,
      int part, int parts);

  /** Computes c from the checked arguments, by default on the calling thread. */
  void run(FloatMatrix a, boolean transposeA, PackedMatrix b, FloatMatrix c, boolean accumulate) {
    compute(a, transposeA, b, c, accumulate, 0, 1);
  }

  @Override
  public final void multiply(FloatMatrix a, boolean transposeA, FloatMatrix b, boolean transposeB, FloatMatrix c,
      boolean accumulate) {
    Objects.requireNonNull(b, "b");
    int k = transposeB ? b.cols() : b.rows();
    int n = transposeB ? b.rows() : b.cols();
    if (check(a, transposeA, k, n, b, transposeB, c, accumulate)) {
      PackedMatrix packed = packScratch.get();
      packed.packFrom(b, transposeB);
      run(a, transposeA, packed, c, accumulate);
    }
  }

  @Override
  public final PackedMatrix pack(FloatMatrix b, boolean transposeB) {
    Objects.requireNonNull(b, "b");
    PackedMatrix packed = new PackedMatrix(panelWidth());
    packed.packFrom(b, transposeB);
    return packed;
  }

  @Override
  public final void multiply(FloatMatrix a, boolean transposeA, PackedMatrix b, FloatMatrix c, boolean accumulate) {
    Objects.requireNonNull(b, "b");
    if (!acceptsPanelWidth(b.panelWidth())) {
      throw new IllegalArgumentException("b was packed in panels of " + b.panelWidth() + " columns, but " + name()
          + " multiplies panels of " + panelWidth() + "; pack it with this implementation");
    }
    if (check(a, transposeA, b.rows(), b.cols(), null, false, c, accumulate)) {
      run(a, transposeA, b, c, accumulate);
    }
  }

  /** Whether {@link #compute} can read a matrix packed in panels of this width. */
  boolean acceptsPanelWidth(int width) {
    return width == panelWidth();
  }

  @Override
  public FloatGemm withThreads(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads " + threads + " is less than 1");
    }
    return new ThreadedGemm(this, threads);
  }

  @Override
  public String toString() {
    return name();
  }

  /**
   * Checks the shapes, op(b) being k x n (b null: packed); handles the products with nothing to sum. Returns
   * whether {@link #compute} is still to run. Builds no message unless a check fails (no allocation per product).
   */
  private static boolean check(FloatMatrix a, boolean transposeA, int k, int n, FloatMatrix b, boolean transposeB,
      FloatMatrix c, boolean accumulate) {
    Objects.requireNonNull(a, "a");
    Objects.requireNonNull(c, "c");
    int m = transposeA ? a.cols() : a.rows();
    int ka = transposeA ? a.rows() : a.cols();
    if (ka != k) {
      String bText = describeB(b, transposeB, k, n);
      throw new IllegalArgumentException("inner dimensions differ: " + describe("a", a, transposeA) + " has " + ka
          + " columns but " + bText + " has " + k + " rows");
    }
    if (c.rows() != m || c.cols() != n) {
      throw new IllegalArgumentException("c is " + c.shape() + " but op(a)·op(b) is " + m + "x" + n + " ("
          + describe("a", a, transposeA) + ", " + describeB(b, transposeB, k, n) + ")");
    }
    if (m == 0 || n == 0) {
      return false;
    }
    if (k == 0) {
      if (!accumulate) {
        float[] data = c.data();
        for (int i = 0; i < m; i++) {
          int start = c.offset() + i * c.stride();
          Arrays.fill(data, start, start + n, 0f);
        }
      }
      return false;
    }
    return true;
  }

  private static String describeB(FloatMatrix b, boolean transposeB, int k, int n) {
    return b == null ? "packed op(b) " + k + "x" + n : describe("b", b, transposeB);
  }

  private static String describe(String name, FloatMatrix x, boolean transposed) {
    return transposed
        ? "op(" + name + ") = " + name + "ᵀ " + x.cols() + "x" + x.rows()
        : "op(" + name + ") = " + name + " " + x.shape();
  }
}
