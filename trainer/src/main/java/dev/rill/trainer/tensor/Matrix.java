package dev.rill.trainer.tensor;

import java.util.Objects;

/**
 * A row-major view of a matrix of single- or double-precision values: element (i, j) lies at
 * {@code offset + i * stride + j} of one backing array. The trainer keeps every parameter, activation and
 * gradient in matrices; a time step of a window, or one gate of a pre-activation, is a view of a larger one,
 * so nothing is copied to slice.
 *
 * <p>Exactly one of the two backing arrays is present: {@code float[]} for training, {@code double[]} for the
 * gradient checks, which run the same network code in double precision (see {@link Ops}).
 */
public final class Matrix {
  private final float[] f;
  private final double[] d;
  private final int offset;
  private final int rows;
  private final int cols;
  private final int stride;

  private Matrix(float[] f, double[] d, int offset, int rows, int cols, int stride) {
    if (rows < 0 || cols < 0 || offset < 0 || stride < cols) {
      throw new IllegalArgumentException("bad view: offset " + offset + ", " + rows + " x " + cols + ", stride " + stride);
    }
    int length = f != null ? f.length : d.length;
    if (rows > 0 && cols > 0 && (long) offset + (long) (rows - 1) * stride + cols > length) {
      throw new IllegalArgumentException("view of " + rows + " x " + cols + " at " + offset + " (stride " + stride
          + ") does not fit an array of " + length);
    }
    this.f = f;
    this.d = d;
    this.offset = offset;
    this.rows = rows;
    this.cols = cols;
    this.stride = stride;
  }

  /**
   * A new zero single-precision matrix.
   *
   * @param rows rows
   * @param cols columns
   * @return the matrix
   */
  public static Matrix floats(int rows, int cols) {
    return new Matrix(new float[Math.multiplyExact(rows, cols)], null, 0, rows, cols, cols);
  }

  /**
   * A new zero double-precision matrix.
   *
   * @param rows rows
   * @param cols columns
   * @return the matrix
   */
  public static Matrix doubles(int rows, int cols) {
    return new Matrix(null, new double[Math.multiplyExact(rows, cols)], 0, rows, cols, cols);
  }

  /**
   * Wraps a float array.
   *
   * @param data the values, row-major
   * @param rows rows
   * @param cols columns
   * @return a view of {@code data}
   */
  public static Matrix wrap(float[] data, int rows, int cols) {
    return new Matrix(Objects.requireNonNull(data, "data"), null, 0, rows, cols, cols);
  }

  /** @return whether the values are doubles */
  public boolean isDouble() {
    return d != null;
  }

  /** @return the float array behind this view, or null for a double matrix */
  public float[] floatArray() {
    return f;
  }

  /** @return the double array behind this view, or null for a float matrix */
  public double[] doubleArray() {
    return d;
  }

  /** @return the index of element (0, 0) in the backing array */
  public int offset() {
    return offset;
  }

  /** @return the number of rows */
  public int rows() {
    return rows;
  }

  /** @return the number of columns */
  public int cols() {
    return cols;
  }

  /** @return the distance between the starts of two consecutive rows */
  public int stride() {
    return stride;
  }

  /** @return rows × cols */
  public int size() {
    return rows * cols;
  }

  /**
   * Rows {@code [from, from + count)} as a view.
   *
   * @param from first row
   * @param count number of rows
   * @return the view
   */
  public Matrix rows(int from, int count) {
    Objects.checkFromIndexSize(from, count, rows);
    return new Matrix(f, d, offset + from * stride, count, cols, stride);
  }

  /**
   * Columns {@code [from, from + count)} as a view.
   *
   * @param from first column
   * @param count number of columns
   * @return the view
   */
  public Matrix cols(int from, int count) {
    Objects.checkFromIndexSize(from, count, cols);
    return new Matrix(f, d, offset + from, rows, count, stride);
  }

  /**
   * A view of the same elements with another shape; only for a view whose rows are contiguous.
   *
   * @param newRows rows
   * @param newCols columns, with newRows × newCols = rows × cols
   * @return the view
   */
  public Matrix reshape(int newRows, int newCols) {
    if ((long) newRows * newCols != (long) rows * cols || (stride != cols && rows > 1)) {
      throw new IllegalArgumentException("cannot view " + rows + " x " + cols + " (stride " + stride + ") as " + newRows + " x " + newCols);
    }
    return new Matrix(f, d, offset, newRows, newCols, newCols);
  }

  /**
   * @param i row
   * @param j column
   * @return element (i, j)
   */
  public double get(int i, int j) {
    int k = index(i, j);
    return f != null ? f[k] : d[k];
  }

  /**
   * Sets element (i, j), rounded to float for a single-precision matrix.
   *
   * @param i row
   * @param j column
   * @param value the value
   */
  public void set(int i, int j, double value) {
    int k = index(i, j);
    if (f != null) {
      f[k] = (float) value;
    } else {
      d[k] = value;
    }
  }

  /**
   * Adds to element (i, j).
   *
   * @param i row
   * @param j column
   * @param value the value to add
   */
  public void add(int i, int j, double value) {
    int k = index(i, j);
    if (f != null) {
      f[k] += (float) value;
    } else {
      d[k] += value;
    }
  }

  /** @return a contiguous copy of the values as floats, row-major */
  public float[] toFloats() {
    float[] out = new float[size()];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        out[i * cols + j] = (float) get(i, j);
      }
    }
    return out;
  }

  /**
   * Sets every element from a row-major array.
   *
   * @param values rows × cols values
   */
  public void setAll(float[] values) {
    if (values.length != size()) {
      throw new IllegalArgumentException("expected " + size() + " values, got " + values.length);
    }
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        set(i, j, values[i * cols + j]);
      }
    }
  }

  private int index(int i, int j) {
    Objects.checkIndex(i, rows);
    Objects.checkIndex(j, cols);
    return offset + i * stride + j;
  }

  @Override
  public String toString() {
    return (f != null ? "float" : "double") + " matrix " + rows + " x " + cols;
  }
}
