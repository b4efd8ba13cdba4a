package dev.rill.format;

import com.google.protobuf.UnsafeByteOperations;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.RillModel;
import dev.rill.format.proto.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Encodes float data into {@link Tensor} messages (fp32, bf16, int8 with per-row scales) with their CRC32C,
 * and decodes any tensor back to floats. Data is always little-endian and row-major.
 *
 * <p>int8 quantisation is symmetric per row, a row being the last dimension: {@code scale = max|row| / 127},
 * {@code q = round(x / scale)}. bf16 keeps the upper 16 bits of the fp32 value, rounded to nearest even.
 */
public final class Tensors {
  private Tensors() {}

  /**
   * Returns the size in bytes of one element of a data type.
   *
   * @param dtype FLOAT32, BFLOAT16 or INT8
   * @return 4, 2 or 1
   * @throws IllegalArgumentException for an unspecified or unknown type
   */
  public static int elementBytes(DataType dtype) {
    return switch (dtype) {
      case FLOAT32 -> 4;
      case BFLOAT16 -> 2;
      case INT8 -> 1;
      default -> throw new IllegalArgumentException("no element size for data type " + dtype);
    };
  }

  /**
   * Encodes floats as a FLOAT32 tensor.
   *
   * @param name the tensor name
   * @param data the values, row-major
   * @param shape the dimensions, outermost first; their product must equal {@code data.length}
   * @return the tensor with its checksum
   */
  public static Tensor fp32(String name, float[] data, long... shape) {
    int n = checkLength(name, data, shape);
    ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(n, 4)).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(data);
    return finish(name, DataType.FLOAT32, shape, buf.array(), new byte[0]);
  }

  /**
   * Encodes floats as a BFLOAT16 tensor, rounding each value to the nearest bf16 (ties to even). NaN stays NaN.
   *
   * @param name the tensor name
   * @param data the values, row-major
   * @param shape the dimensions; their product must equal {@code data.length}
   * @return the tensor with its checksum
   */
  public static Tensor bf16(String name, float[] data, long... shape) {
    int n = checkLength(name, data, shape);
    ByteBuffer buf = ByteBuffer.allocate(Math.multiplyExact(n, 2)).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : data) {
      buf.putShort(toBf16(v));
    }
    return finish(name, DataType.BFLOAT16, shape, buf.array(), new byte[0]);
  }

  /**
   * Quantises floats to an INT8 tensor with one scale per row (the last dimension).
   *
   * @param name the tensor name
   * @param data the values, row-major; all finite
   * @param shape the dimensions; their product must equal {@code data.length}
   * @return the tensor with its row scales and checksum
   * @throws IllegalArgumentException if a value is NaN or infinite
   */
  public static Tensor int8(String name, float[] data, long... shape) {
    int n = checkLength(name, data, shape);
    int rowLength = shape.length == 0 ? 1 : (int) shape[shape.length - 1];
    long rowCount = product(Arrays.stream(shape).boxed().toList(), Math.max(0, shape.length - 1));
    // With a last dimension of 0 the row count is not bounded by the data length.
    if (rowCount < 0 || rowCount > ReaderLimits.MAX_TENSOR_ELEMENTS / 4) {
      throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
          + " has too many rows");
    }
    int rows = (int) rowCount;
    byte[] q = new byte[n];
    ByteBuffer scales = ByteBuffer.allocate(Math.multiplyExact(rows, 4)).order(ByteOrder.LITTLE_ENDIAN);
    for (int row = 0; row < rows; row++) {
      int start = row * rowLength;
      float max = 0f;
      for (int i = start; i < start + rowLength; i++) {
        if (!Float.isFinite(data[i])) {
          throw new IllegalArgumentException(
              "tensor '" + name + "': cannot quantise element " + i + " (" + data[i] + ") to int8");
        }
        max = Math.max(max, Math.abs(data[i]));
      }
      float scale = max / 127f;
      scales.putFloat(scale);
      for (int i = start; i < start + rowLength; i++) {
        q[i] = scale == 0f ? 0 : (byte) Math.max(-127, Math.min(127, Math.round(data[i] / scale)));
      }
    }
    return finish(name, DataType.INT8, shape, q, scales.array());
  }

  /**
   * Encodes floats in the given data type.
   *
   * @param dtype FLOAT32, BFLOAT16 or INT8
   * @param name the tensor name
   * @param data the values, row-major
   * @param shape the dimensions; their product must equal {@code data.length}
   * @return the tensor with its checksum
   */
  public static Tensor encode(DataType dtype, String name, float[] data, long... shape) {
    return switch (dtype) {
      case FLOAT32 -> fp32(name, data, shape);
      case BFLOAT16 -> bf16(name, data, shape);
      case INT8 -> int8(name, data, shape);
      default -> throw new IllegalArgumentException("tensor '" + name + "': cannot encode data type " + dtype);
    };
  }

  /**
   * Decodes (and for INT8 dequantises) a tensor to floats.
   *
   * @param tensor a tensor of any data type
   * @return a new array of product(shape) values, row-major
   * @throws IllegalArgumentException if the data or row scale lengths do not match the shape and data type, or the
   *     data type is unknown; a tensor of a validated model never fails
   */
  public static float[] toFloats(Tensor tensor) {
    DataType dtype = tensor.getDtype();
    long elements = elementCount(tensor);
    if (dtype == DataType.UNRECOGNIZED || dtype == DataType.DATA_TYPE_UNSPECIFIED) {
      throw new IllegalArgumentException("tensor '" + tensor.getName() + "': cannot decode data type value "
          + tensor.getDtypeValue());
    }
    if (elements < 0 || elements > ReaderLimits.MAX_TENSOR_ELEMENTS
        || tensor.getData().size() != elements * elementBytes(dtype)) {
      throw new IllegalArgumentException("tensor '" + tensor.getName() + "': data is " + tensor.getData().size()
          + " bytes, which does not match shape " + shapeString(tensor.getShapeList()) + " of " + dtype);
    }
    int n = (int) elements;
    float[] out = new float[n];
    ByteBuffer data = tensor.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    switch (dtype) {
      case FLOAT32 -> data.asFloatBuffer().get(out);
      case BFLOAT16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = fromBf16(data.getShort());
        }
      }
      default -> decodeInt8(tensor, data, out);
    }
    return out;
  }

  private static void decodeInt8(Tensor tensor, ByteBuffer data, float[] out) {
    int rank = tensor.getShapeCount();
    int rowLength = rank == 0 ? 1 : (int) tensor.getShape(rank - 1);
    long rows = rowCount(tensor);
    if (rows < 0 || tensor.getRowScales().size() != rows * 4) {
      throw new IllegalArgumentException("tensor '" + tensor.getName() + "': row_scales is "
          + tensor.getRowScales().size() + " bytes, expected 4 per row of shape "
          + shapeString(tensor.getShapeList()));
    }
    ByteBuffer scales = tensor.getRowScales().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < out.length; i++) {
      out[i] = data.get() * scales.getFloat((i / rowLength) * 4);
    }
  }

  /**
   * Computes the CRC32C (Castagnoli) of a tensor's {@code data} followed by its {@code row_scales}.
   *
   * @param tensor the tensor
   * @return the checksum to store in {@code crc32c}
   */
  public static int crc32c(Tensor tensor) {
    CRC32C crc = new CRC32C();
    crc.update(tensor.getData().asReadOnlyByteBuffer());
    crc.update(tensor.getRowScales().asReadOnlyByteBuffer());
    return (int) crc.getValue();
  }

  /**
   * Returns a copy of a tensor with its {@code crc32c} field recomputed, for producers that build tensors
   * directly.
   *
   * @param tensor the tensor
   * @return the tensor with a correct checksum
   */
  public static Tensor withChecksum(Tensor tensor) {
    return tensor.toBuilder().setCrc32C(crc32c(tensor)).build();
  }

  /**
   * Indexes a model's tensors by name, for looking up the tensors its layers reference.
   *
   * @param model a model with unique tensor names (every validated model)
   * @return an unmodifiable map from name to tensor, in file order
   * @throws IllegalArgumentException if two tensors share a name
   */
  public static Map<String, Tensor> byName(RillModel model) {
    Map<String, Tensor> byName = new LinkedHashMap<>();
    for (Tensor t : model.getTensorsList()) {
      if (byName.putIfAbsent(t.getName(), t) != null) {
        throw new IllegalArgumentException("tensor '" + t.getName() + "' is defined twice");
      }
    }
    return Collections.unmodifiableMap(byName);
  }

  /**
   * Returns the number of elements of a tensor's shape (1 for a scalar).
   *
   * @param tensor the tensor
   * @return product(shape), or -1 if it does not fit in a signed 64-bit value
   */
  public static long elementCount(Tensor tensor) {
    return product(tensor.getShapeList(), tensor.getShapeCount());
  }

  /**
   * Returns the number of rows of a tensor, a row being the last dimension: the product of all dimensions but
   * the last (1 for a scalar or a vector). INT8 tensors have one scale per row.
   *
   * @param tensor the tensor
   * @return the row count, or -1 if it does not fit in a signed 64-bit value
   */
  public static long rowCount(Tensor tensor) {
    return product(tensor.getShapeList(), Math.max(0, tensor.getShapeCount() - 1));
  }

  /**
   * Formats a shape as {@code [d0, d1, ...]}, reading dimensions as unsigned.
   *
   * @param shape the dimensions
   * @return the text
   */
  public static String shapeString(List<Long> shape) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < shape.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(Long.toUnsignedString(shape.get(i)));
    }
    return sb.append(']').toString();
  }

  /**
   * Rounds a float to bf16, nearest even; NaN stays a (quiet) NaN.
   *
   * @param value the float
   * @return the 16 bits of the bf16 value
   */
  public static short toBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x0040);
    }
    int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + roundingBias) >>> 16);
  }

  /**
   * Widens bf16 bits to the float they represent.
   *
   * @param bits the 16 bits of a bf16 value
   * @return the float value (exact)
   */
  public static float fromBf16(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  // Dimensions are unsigned on the wire: one at or above 2^63 reads as negative and overflows like a product.
  private static long product(List<Long> dims, int count) {
    long n = 1;
    for (int i = 0; i < count; i++) {
      long d = dims.get(i);
      if (d < 0) {
        return -1;
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        return -1;
      }
    }
    return n;
  }

  private static int checkLength(String name, float[] data, long[] shape) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(data, "data");
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
      }
    }
    long n = product(Arrays.stream(shape).boxed().toList(), shape.length);
    if (n != data.length) {
      throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has " + n
          + " elements, but " + data.length + " values were given");
    }
    return data.length;
  }

  // The arrays are fresh and never escape, so wrapping them without a copy keeps the message immutable.
  private static Tensor finish(String name, DataType dtype, long[] shape, byte[] data, byte[] rowScales) {
    Tensor.Builder b = Tensor.newBuilder().setName(name).setDtype(dtype)
        .setData(UnsafeByteOperations.unsafeWrap(data)).setRowScales(UnsafeByteOperations.unsafeWrap(rowScales));
    for (long d : shape) {
      b.addShape(d);
    }
    return withChecksum(b.build());
  }
}
