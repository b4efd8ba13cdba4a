package dev.rill.trainer.math;

import java.util.Objects;

/**
 * A row-major view of a float matrix: element (i, j) is {@code data[offset + i * stride + j]}. The view does not
 * copy: writes through {@code data} are seen by the view and the other way round.
 *
 * @param data the backing array
 * @param offset the index in {@code data} of element (0, 0)
 * @param rows the number of rows, at least 0
 * @param cols the number of columns, at least 0
 * @param stride the distance in {@code data} between the starts of two consecutive rows, at least {@code cols}
 */
public record FloatMatrix(float[] data, int offset, int rows, int cols, int stride) {

  /**
   * Checks the view: non-negative offset, rows, columns and stride, {@code stride >= cols}, and the last element
   * inside {@code data}.
   *
   * @throws NullPointerException if {@code data} is null
   * @throws IllegalArgumentException if the view is not inside {@code data} or a size is negative
   */
  public FloatMatrix {
    Objects.requireNonNull(data, "data");
    if (offset < 0 || rows < 0 || cols < 0 || stride < 0) {
      throw new IllegalArgumentException("negative offset, rows, cols or stride: offset " + offset + ", rows "
          + rows + ", cols " + cols + ", stride " + stride);
    }
    if (stride < cols) {
      throw new IllegalArgumentException("stride " + stride + " is less than cols " + cols);
    }
    if (rows > 0 && cols > 0) {
      long last = offset + (long) (rows - 1) * stride + cols - 1;
      if (last >= data.length) {
        throw new IllegalArgumentException("a " + rows + "x" + cols + " view at offset " + offset + " with stride "
            + stride + " ends at index " + last + ", outside data of length " + data.length);
      }
    }
  }

  /**
   * A dense view of {@code data} from index 0: stride equal to {@code cols}.
   *
   * @param data the backing array, at least {@code rows * cols} long
   * @param rows the number of rows
   * @param cols the number of columns
   * @return the view
   */
  public static FloatMatrix of(float[] data, int rows, int cols) {
    return new FloatMatrix(data, 0, rows, cols, cols);
  }

  /**
   * A new zero matrix with its own dense array.
   *
   * @param rows the number of rows
   * @param cols the number of columns
   * @return the matrix
   */
  public static FloatMatrix zeros(int rows, int cols) {
    return of(new float[Math.multiplyExact(rows, cols)], rows, cols);
  }

  /**
   * Element (i, j).
   *
   * @param i the row, in [0, rows)
   * @param j the column, in [0, cols)
   * @return the element
   * @throws IndexOutOfBoundsException if (i, j) is outside the view
   */
  public float get(int i, int j) {
    return data[index(i, j)];
  }

  /**
   * Sets element (i, j).
   *
   * @param i the row, in [0, rows)
   * @param j the column, in [0, cols)
   * @param value the new value
   * @throws IndexOutOfBoundsException if (i, j) is outside the view
   */
  public void set(int i, int j, float value) {
    data[index(i, j)] = value;
  }

  private int index(int i, int j) {
    Objects.checkIndex(i, rows);
    Objects.checkIndex(j, cols);
    return offset + i * stride + j;
  }

  /** The shape as "rows x cols", for messages. */
  String shape() {
    return rows + "x" + cols;
  }
}
