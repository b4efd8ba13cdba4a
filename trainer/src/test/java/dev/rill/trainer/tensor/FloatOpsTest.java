package dev.rill.trainer.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The single-precision operations compute what the element-by-element reference in {@link Ops} defines, on
 * views at offsets with strides and odd sizes.
 */
class FloatOpsTest {
  /** The reference: every element-wise method of Ops as written there, over float matrices. */
  private static final Ops REFERENCE = new Ops() {
    @Override
    public Matrix zeros(int rows, int cols) {
      return Matrix.floats(rows, cols);
    }

    @Override
    public void gemm(Matrix a, boolean ta, Matrix b, boolean tb, Matrix c, boolean accumulate) {
      Ops.doubles().gemm(a, ta, b, tb, c, accumulate);
    }
  };
  private static final Ops FAST = Ops.floats();
  private static final int[] SIZES = {1, 2, 3, 7, 16, 17, 33, 65};

  private final SplittableRandom random = new SplittableRandom(4);

  /** A random view of rows × cols inside a larger matrix, at an offset, with a stride. */
  private Matrix view(int rows, int cols) {
    Matrix big = Matrix.floats(rows + 2, cols + 3);
    for (int i = 0; i < big.rows(); i++) {
      for (int j = 0; j < big.cols(); j++) {
        big.set(i, j, random.nextDouble(-4, 4));
      }
    }
    return big.rows(1, rows).cols(2, cols);
  }

  private static Matrix copy(Matrix m) {
    Matrix c = Matrix.floats(m.rows(), m.cols());
    c.setAll(m.toFloats());
    return c;
  }

  private static void assertSame(Matrix expected, Matrix actual, String what) {
    // sigmoid and tanh are a rational approximation within 3e-7 of the exact functions; the rest exact
    boolean approximated = what.startsWith("SIGMOID forward") || what.startsWith("TANH forward");
    for (int i = 0; i < expected.rows(); i++) {
      for (int j = 0; j < expected.cols(); j++) {
        float e = (float) expected.get(i, j);
        float a = (float) actual.get(i, j);
        assertEquals(e, a, approximated ? 3e-7 : Math.ulp(e), what + " at (" + i + ", " + j + ")");
      }
    }
  }

  @Test
  void elementWiseOperationsMatchTheReference() {
    for (int rows : SIZES) {
      for (int cols : SIZES) {
        Matrix a = view(rows, cols);
        Matrix b = view(rows, cols);
        Matrix row = view(1, cols);
        for (Activation f : Activation.values()) {
          check(rows, cols, f + " forward", (ops, out) -> ops.activate(f, out, a));
          check(rows, cols, f + " backward", (ops, out) -> ops.activateBackward(f, out, a, b));
        }
        check(rows, cols, "mul", (ops, out) -> ops.mul(out, a, b));
        check(rows, cols, "addMul", (ops, out) -> ops.addMul(out, a, b));
        check(rows, cols, "add", (ops, out) -> ops.add(out, a, b));
        check(rows, cols, "sub", (ops, out) -> ops.sub(out, a, b));
        check(rows, cols, "copy", (ops, out) -> ops.copy(out, a));
        check(rows, cols, "fill", (ops, out) -> ops.fill(out, 0.25));
        check(rows, cols, "scale", (ops, out) -> ops.scale(out, -1.5));
        check(rows, cols, "addRow", (ops, out) -> ops.addRow(out, row));
        check(rows, cols, "addMulRow", (ops, out) -> ops.addMulRow(out, a, row));
        check(1, cols, "addColumnSums", (ops, out) -> ops.addColumnSums(out, a));
        check(1, cols, "addColumnSumsOfProduct", (ops, out) -> ops.addColumnSumsOfProduct(out, a, b));
      }
    }
  }

  private void check(int rows, int cols, String what, java.util.function.BiConsumer<Ops, Matrix> op) {
    Matrix start = view(rows, cols);
    Matrix expected = copy(start);
    Matrix actual = view(rows, cols);
    FAST.copy(actual, start);
    op.accept(REFERENCE, expected);
    op.accept(FAST, actual);
    assertSame(expected, actual, what + " " + rows + " x " + cols);
  }

  @Test
  void productsMatchTheDoubleReference() {
    for (int m : new int[] {1, 3, 17}) {
      for (int n : new int[] {1, 5, 33}) {
        for (int k : new int[] {1, 7, 64}) {
          for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
              Matrix a = ta ? view(k, m) : view(m, k);
              Matrix b = tb ? view(n, k) : view(k, n);
              Matrix expected = view(m, n);
              Matrix actual = view(m, n);
              FAST.copy(actual, expected);
              Ops.doubles().gemm(a, ta, b, tb, expected, true);
              FAST.gemm(a, ta, b, tb, actual, true);
              for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                  assertEquals(expected.get(i, j), actual.get(i, j), 1e-5 * k * 16, "product " + m + "x" + k + "x" + n);
                }
              }
            }
          }
        }
      }
    }
  }

  @Test
  void shapesAreChecked() {
    Matrix a = Matrix.floats(2, 3);
    Matrix b = Matrix.floats(3, 2);
    assertThrows(IllegalArgumentException.class, () -> FAST.mul(a, a, b));
    assertThrows(IllegalArgumentException.class, () -> FAST.gemm(a, false, a, false, Matrix.floats(2, 3), false));
    assertThrows(IllegalArgumentException.class, () -> FAST.addRow(a, Matrix.floats(1, 2)));
  }
}
