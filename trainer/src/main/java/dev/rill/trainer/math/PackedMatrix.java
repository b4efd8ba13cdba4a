package dev.rill.trainer.math;

import java.util.Arrays;
import java.util.Objects;

/**
 * A copy of op(b), a {@code rows x cols} matrix (rows = the inner dimension k of a product), laid out for the
 * {@link FloatGemm} that packed it: column panels of {@link #panelWidth()} columns, each panel {@code rows} rows of
 * {@code panelWidth} consecutive floats, the last panel padded with zeros. Element (p, j) is at
 * {@code (j / w) * rows * w + p * w + j % w} with {@code w = panelWidth()}.
 *
 * <p>A packed matrix is not thread-safe while it is being {@linkplain #repack repacked}; several threads may
 * multiply with it at once otherwise.
 */
public final class PackedMatrix {

  private float[] data;
  private int rows;
  private int cols;
  private final int panelWidth;
  private boolean transposed;

  PackedMatrix(int panelWidth) {
    if (panelWidth < 1) {
      throw new IllegalArgumentException("panel width " + panelWidth + " is less than 1");
    }
    this.panelWidth = panelWidth;
    this.data = new float[0];
  }

  /** Rows of op(b): the inner dimension k of a product with it. */
  public int rows() {
    return rows;
  }

  /** Columns of op(b): the columns of the product. */
  public int cols() {
    return cols;
  }

  /** Columns per panel; a vector implementation uses only matrices packed with its own width. */
  public int panelWidth() {
    return panelWidth;
  }

  /** Whether the last pack transposed its source, the default of {@link #repack(FloatMatrix)}. */
  public boolean transposed() {
    return transposed;
  }

  /**
   * Element (p, j) of op(b).
   *
   * @param p the row, in [0, rows)
   * @param j the column, in [0, cols)
   * @return the element
   */
  public float get(int p, int j) {
    Objects.checkIndex(p, rows);
    Objects.checkIndex(j, cols);
    return data[index(p, j)];
  }

  int index(int p, int j) {
    return (j / panelWidth) * rows * panelWidth + p * panelWidth + j % panelWidth;
  }

  float[] data() {
    return data;
  }

  /** Index in {@link #data()} of the first element of panel {@code panel}. */
  int panelStart(int panel) {
    return panel * rows * panelWidth;
  }

  /**
   * Packs {@code b} again, transposed as at the last pack, into this matrix's storage, without allocating:
   * for weights that change after each optimizer step.
   *
   * @param b the new source, of the same shape as the last one
   * @throws IllegalArgumentException if op(b) does not have this matrix's shape
   */
  public void repack(FloatMatrix b) {
    repack(b, transposed);
  }

  /**
   * Packs op(b) again into this matrix's storage, without allocating.
   *
   * @param b the new source
   * @param transposeB whether op(b) is bᵀ
   * @throws IllegalArgumentException if op(b) does not have this matrix's shape
   */
  public void repack(FloatMatrix b, boolean transposeB) {
    Objects.requireNonNull(b, "b");
    int k = transposeB ? b.cols() : b.rows();
    int n = transposeB ? b.rows() : b.cols();
    if (k != rows || n != cols) {
      throw new IllegalArgumentException("cannot repack op(b) of shape " + k + "x" + n + " into a packed matrix of "
          + "shape " + rows + "x" + cols);
    }
    fill(b, transposeB);
  }

  /** Packs op(b), growing the storage only when it is too small (scratch reuse). */
  void packFrom(FloatMatrix b, boolean transposeB) {
    int k = transposeB ? b.cols() : b.rows();
    int n = transposeB ? b.rows() : b.cols();
    long size = (long) k * ((n + panelWidth - 1) / panelWidth) * panelWidth;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("op(b) of shape " + k + "x" + n + " is too large to pack");
    }
    if (data.length < size) {
      data = new float[(int) size];
    }
    rows = k;
    cols = n;
    fill(b, transposeB);
  }

  private void fill(FloatMatrix b, boolean transposeB) {
    transposed = transposeB;
    int w = panelWidth;
    int k = rows;
    float[] src = b.data();
    int off = b.offset();
    int ld = b.stride();
    float[] dst = data;
    for (int j0 = 0, panel = 0; j0 < cols; j0 += w, panel++) {
      int width = Math.min(w, cols - j0);
      int base = panelStart(panel);
      if (!transposeB) {
        for (int p = 0; p < k; p++) {
          int d = base + p * w;
          System.arraycopy(src, off + p * ld + j0, dst, d, width);
          if (width < w) {
            Arrays.fill(dst, d + width, d + w, 0f);
          }
        }
      } else if (width == w && w % 8 == 0) {
        // Eight rows of b at a time: eight sequential reads, then eight floats stored side by side in one line.
        for (int jj = 0; jj < w; jj += 8) {
          int s = off + (j0 + jj) * ld;
          int d = base + jj;
          for (int p = 0; p < k; p++) {
            int q = d + p * w;
            int r = s + p;
            dst[q] = src[r];
            dst[q + 1] = src[r + ld];
            dst[q + 2] = src[r + 2 * ld];
            dst[q + 3] = src[r + 3 * ld];
            dst[q + 4] = src[r + 4 * ld];
            dst[q + 5] = src[r + 5 * ld];
            dst[q + 6] = src[r + 6 * ld];
            dst[q + 7] = src[r + 7 * ld];
          }
        }
      } else {
        for (int jj = 0; jj < width; jj++) {
          int s = off + (j0 + jj) * ld;
          int d = base + jj;
          for (int p = 0; p < k; p++) {
            dst[d + p * w] = src[s + p];
          }
        }
        for (int jj = width; jj < w; jj++) {
          for (int p = 0; p < k; p++) {
            dst[base + jj + p * w] = 0f;
          }
        }
      }
    }
  }
}
