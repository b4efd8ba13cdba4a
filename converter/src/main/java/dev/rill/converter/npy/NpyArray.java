package dev.rill.converter.npy;

import java.util.Arrays;

/**
 * An n-dimensional array as stored in a {@code .npy} file: a dtype, a shape and C-order data.
 * The data is held in the Java array type of the dtype; the accessors convert where that is exact.
 */
public final class NpyArray {

  private final NpyDtype dtype;
  private final int[] shape;
  private final Object data;

  private NpyArray(NpyDtype dtype, int[] shape, Object data, int length) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n *= d;
    }
    if (n != length) {
      throw new IllegalArgumentException(length + " values do not fill shape " + Arrays.toString(shape) + " (" + n + " elements)");
    }
    this.dtype = dtype;
    this.shape = shape.clone();
    this.data = data;
  }

  /** A float32 array of that shape (C order). */
  public static NpyArray ofFloats(float[] data, int... shape) {
    return new NpyArray(NpyDtype.F4, shape, data.clone(), data.length);
  }

  /** A float64 array of that shape (C order). */
  public static NpyArray ofDoubles(double[] data, int... shape) {
    return new NpyArray(NpyDtype.F8, shape, data.clone(), data.length);
  }

  /** An int32 array of that shape (C order). */
  public static NpyArray ofInts(int[] data, int... shape) {
    return new NpyArray(NpyDtype.I4, shape, data.clone(), data.length);
  }

  /** An int64 array of that shape (C order). */
  public static NpyArray ofLongs(long[] data, int... shape) {
    return new NpyArray(NpyDtype.I8, shape, data.clone(), data.length);
  }

  /** The element type. */
  public NpyDtype dtype() {
    return dtype;
  }

  /** The dimensions, outermost first (a copy). */
  public int[] shape() {
    return shape.clone();
  }

  /** The number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** The number of elements. */
  public int size() {
    return switch (dtype) {
      case F4 -> ((float[]) data).length;
      case F8 -> ((double[]) data).length;
      case I4 -> ((int[]) data).length;
      case I8 -> ((long[]) data).length;
    };
  }

  /**
   * The values as float32: f4 as is, f8 rounded to nearest.
   *
   * @throws IllegalStateException if the array holds integers (integers are token ids, not vectors)
   */
  public float[] toFloats() {
    return switch (dtype) {
      case F4 -> ((float[]) data).clone();
      case F8 -> {
        double[] d = (double[]) data;
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
          out[i] = (float) d[i];
        }
        yield out;
      }
      case I4, I8 -> throw new IllegalStateException("expected a float array (<f4 or <f8), found integer dtype " + dtype.descr());
    };
  }

  /**
   * The values as int32.
   *
   * @throws IllegalStateException if the array holds floats, or an int64 value does not fit in an int
   */
  public int[] toInts() {
    return switch (dtype) {
      case I4 -> ((int[]) data).clone();
      case I8 -> {
        long[] l = (long[]) data;
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
          if (l[i] != (int) l[i]) {
            throw new IllegalStateException("int64 value " + l[i] + " at index " + i + " does not fit in 32 bits");
          }
          out[i] = (int) l[i];
        }
        yield out;
      }
      case F4, F8 -> throw new IllegalStateException("expected an integer array (<i4 or <i8), found float dtype " + dtype.descr());
    };
  }

  /** The raw data array (float[], double[], int[] or long[]), not copied; for the writer. */
  Object rawData() {
    return data;
  }

  @Override
  public String toString() {
    return "NpyArray[" + dtype.descr() + " " + Arrays.toString(shape) + "]";
  }
}
