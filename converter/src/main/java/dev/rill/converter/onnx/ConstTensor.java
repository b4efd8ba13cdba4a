package dev.rill.converter.onnx;

import dev.rill.converter.onnx.proto.TensorProto;
import java.util.Arrays;

/**
 * A decoded constant tensor, as the constant folder sees it: an ONNX data type, a shape, and the elements in
 * the narrowest Java array that holds them exactly (float for FLOAT/FLOAT16/BFLOAT16, double for DOUBLE,
 * long for the integer and boolean types). Immutable by convention: never write into the arrays.
 */
final class ConstTensor {

  private final int dataType;
  private final long[] shape;
  private final float[] floats;
  private final double[] doubles;
  private final long[] longs;

  private ConstTensor(int dataType, long[] shape, float[] floats, double[] doubles, long[] longs) {
    this.dataType = dataType;
    this.shape = shape;
    this.floats = floats;
    this.doubles = doubles;
    this.longs = longs;
  }

  static ConstTensor ofFloats(long[] shape, float[] values) {
    return ofFloats(TensorProto.DataType.FLOAT_VALUE, shape, values);
  }

  static ConstTensor ofFloats(int dataType, long[] shape, float[] values) {
    checkCount(shape, values.length);
    return new ConstTensor(dataType, shape.clone(), values, null, null);
  }

  static ConstTensor ofDoubles(long[] shape, double[] values) {
    checkCount(shape, values.length);
    return new ConstTensor(TensorProto.DataType.DOUBLE_VALUE, shape.clone(), null, values, null);
  }

  static ConstTensor ofLongs(int dataType, long[] shape, long[] values) {
    checkCount(shape, values.length);
    return new ConstTensor(dataType, shape.clone(), null, null, values);
  }

  private static void checkCount(long[] shape, int n) {
    long count = 1;
    for (long d : shape) {
      count *= d;
    }
    if (count != n) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold " + n + " elements");
    }
  }

  int dataType() {
    return dataType;
  }

  long[] shape() {
    return shape.clone();
  }

  int rank() {
    return shape.length;
  }

  long dim(int axis) {
    return shape[axis];
  }

  int size() {
    return floats != null ? floats.length : doubles != null ? doubles.length : longs.length;
  }

  boolean isFloat() {
    return floats != null;
  }

  boolean isDouble() {
    return doubles != null;
  }

  boolean isInteger() {
    return longs != null;
  }

  /** Element i as a double (exact for every type except int64 beyond 2^53). */
  double doubleAt(int i) {
    return floats != null ? floats[i] : doubles != null ? doubles[i] : longs[i];
  }

  /** Element i as a long (floating values truncate toward zero, as Cast does). */
  long longAt(int i) {
    return floats != null ? (long) floats[i] : doubles != null ? (long) doubles[i] : longs[i];
  }

  /** All elements as float32 (the weight type of Rill). */
  float[] toFloatArray() {
    if (floats != null) {
      return floats.clone();
    }
    float[] out = new float[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) doubleAt(i);
    }
    return out;
  }

  /** All elements as longs (for shapes, axes, indices). */
  long[] toLongArray() {
    if (longs != null) {
      return longs.clone();
    }
    long[] out = new long[size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = longAt(i);
    }
    return out;
  }

  /** The same elements under another shape with the same element count. */
  ConstTensor reshape(long[] newShape) {
    checkCount(newShape, size());
    return new ConstTensor(dataType, newShape.clone(), floats, doubles, longs);
  }

  /** A tensor of {@code newShape} whose element i is this tensor's element {@code source[i]}. */
  ConstTensor gather(long[] newShape, int[] source) {
    checkCount(newShape, source.length);
    if (floats != null) {
      float[] out = new float[source.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = floats[source[i]];
      }
      return new ConstTensor(dataType, newShape.clone(), out, null, null);
    }
    if (doubles != null) {
      double[] out = new double[source.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = doubles[source[i]];
      }
      return new ConstTensor(dataType, newShape.clone(), null, out, null);
    }
    long[] out = new long[source.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = longs[source[i]];
    }
    return new ConstTensor(dataType, newShape.clone(), null, null, out);
  }

  /** Row-major strides of a shape. */
  static long[] strides(long[] shape) {
    long[] s = new long[shape.length];
    long acc = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc *= shape[i];
    }
    return s;
  }

  @Override
  public String toString() {
    return OnnxTensors.typeName(dataType) + Arrays.toString(shape);
  }
}
