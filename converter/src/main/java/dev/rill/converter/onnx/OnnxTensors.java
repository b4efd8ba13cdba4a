package dev.rill.converter.onnx;

import com.google.protobuf.ByteString;
import dev.rill.converter.onnx.proto.StringStringEntryProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.converter.onnx.proto.TensorProto.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Decodes ONNX {@code TensorProto} values into Java arrays.
 *
 * <p>Elements come from {@code raw_data} (fixed width, little-endian), from the typed field that matches the
 * data type ({@code float_data}, {@code double_data}, {@code int32_data} for the 8/16-bit, boolean, float16
 * and bfloat16 types, {@code int64_data}, {@code uint64_data}), or from external data ({@code data_location =
 * EXTERNAL}, keys {@code location}, {@code offset}, {@code length}). External files resolve relative to the
 * model's folder; absolute paths, {@code ..} components and symbolic links that lead outside that folder are
 * refused. Element counts are computed without overflow and capped, and the byte count must match exactly.
 */
public final class OnnxTensors {

  private OnnxTensors() {}

  /**
   * The elements of {@code tensor} as float32, whatever its numeric type.
   *
   * @param tensor the tensor
   * @param modelDir the folder of the model file, for external data; may be null if there is none
   * @param maxElements the largest element count accepted
   * @throws OnnxImportException if the tensor is malformed, too large, of a non-numeric type, or its
   *     external data cannot be read safely
   */
  public static float[] toFloats(TensorProto tensor, Path modelDir, long maxElements) throws OnnxImportException {
    return decode(tensor, modelDir, maxElements).toFloatArray();
  }

  /**
   * The dimensions of {@code tensor}, validated (no negative dimension, no overflowing element count).
   *
   * @throws OnnxImportException if a dimension is negative or the element count exceeds {@code maxElements}
   */
  public static long[] shape(TensorProto tensor, long maxElements) throws OnnxImportException {
    long[] shape = tensor.getDimsList().stream().mapToLong(Long::longValue).toArray();
    elementCount(label(tensor), shape, maxElements);
    return shape;
  }

  /** Decodes any supported numeric tensor. */
  static ConstTensor decode(TensorProto t, Path modelDir, long maxElements) throws OnnxImportException {
    String label = label(t);
    if (t.hasSegment()) {
      throw new OnnxImportException(label + ": segmented tensors (the 'segment' field) are not supported");
    }
    long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    int count = elementCount(label, shape, maxElements);
    int type = t.getDataType();
    int width = byteWidth(type);
    if (width == 0) {
      throw new OnnxImportException(label + ": data type " + typeName(type) + " is not supported (numeric "
          + "types only: float, double, float16, bfloat16, (u)int8/16/32/64, bool)");
    }
    ByteBuffer raw = null;
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      raw = readExternal(t, label, modelDir, (long) count * width);
    } else if (t.hasRawData()) {
      ByteString bytes = t.getRawData();
      if (bytes.size() != (long) count * width) {
        throw new OnnxImportException(label + ": raw_data has " + bytes.size() + " bytes, but " + typeName(type)
            + Arrays.toString(shape) + " needs " + ((long) count * width));
      }
      raw = bytes.asReadOnlyByteBuffer();
    }
    if (raw != null) {
      raw.order(ByteOrder.LITTLE_ENDIAN);
      return fromRaw(type, shape, count, raw);
    }
    return fromTypedFields(t, label, type, shape, count);
  }

  private static ConstTensor fromRaw(int type, long[] shape, int count, ByteBuffer raw) {
    switch (type) {
      case DataType.FLOAT_VALUE -> {
        float[] v = new float[count];
        raw.asFloatBuffer().get(v);
        return ConstTensor.ofFloats(shape, v);
      }
      case DataType.FLOAT16_VALUE, DataType.BFLOAT16_VALUE -> {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
          v[i] = halfToFloat(type, raw.getShort() & 0xffff);
        }
        return ConstTensor.ofFloats(type, shape, v);
      }
      case DataType.DOUBLE_VALUE -> {
        double[] v = new double[count];
        raw.asDoubleBuffer().get(v);
        return ConstTensor.ofDoubles(shape, v);
      }
      default -> {
        long[] v = new long[count];
        for (int i = 0; i < count; i++) {
          v[i] = switch (type) {
            case DataType.INT8_VALUE -> raw.get();
            case DataType.UINT8_VALUE, DataType.BOOL_VALUE -> raw.get() & 0xff;
            case DataType.INT16_VALUE -> raw.getShort();
            case DataType.UINT16_VALUE -> raw.getShort() & 0xffff;
            case DataType.INT32_VALUE -> raw.getInt();
            case DataType.UINT32_VALUE -> raw.getInt() & 0xffffffffL;
            default -> raw.getLong(); // INT64, UINT64 (values above 2^63 wrap; never valid shapes or indices)
          };
        }
        return ConstTensor.ofLongs(type, shape, v);
      }
    }
  }

  private static ConstTensor fromTypedFields(TensorProto t, String label, int type, long[] shape, int count)
      throws OnnxImportException {
    switch (type) {
      case DataType.FLOAT_VALUE -> {
        requireCount(label, "float_data", t.getFloatDataCount(), count);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
          v[i] = t.getFloatData(i);
        }
        return ConstTensor.ofFloats(shape, v);
      }
      case DataType.DOUBLE_VALUE -> {
        requireCount(label, "double_data", t.getDoubleDataCount(), count);
        double[] v = new double[count];
        for (int i = 0; i < count; i++) {
          v[i] = t.getDoubleData(i);
        }
        return ConstTensor.ofDoubles(shape, v);
      }
      case DataType.FLOAT16_VALUE, DataType.BFLOAT16_VALUE -> {
        requireCount(label, "int32_data", t.getInt32DataCount(), count);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
          v[i] = halfToFloat(type, t.getInt32Data(i) & 0xffff);
        }
        return ConstTensor.ofFloats(type, shape, v);
      }
      case DataType.INT64_VALUE -> {
        requireCount(label, "int64_data", t.getInt64DataCount(), count);
        long[] v = new long[count];
        for (int i = 0; i < count; i++) {
          v[i] = t.getInt64Data(i);
        }
        return ConstTensor.ofLongs(type, shape, v);
      }
      case DataType.UINT32_VALUE, DataType.UINT64_VALUE -> {
        requireCount(label, "uint64_data", t.getUint64DataCount(), count);
        long[] v = new long[count];
        for (int i = 0; i < count; i++) {
          v[i] = t.getUint64Data(i);
        }
        return ConstTensor.ofLongs(type, shape, v);
      }
      default -> { // INT8, UINT8, INT16, UINT16, INT32, BOOL travel in int32_data
        requireCount(label, "int32_data", t.getInt32DataCount(), count);
        long[] v = new long[count];
        for (int i = 0; i < count; i++) {
          int x = t.getInt32Data(i);
          v[i] = switch (type) {
            case DataType.INT8_VALUE -> (byte) x;
            case DataType.UINT8_VALUE -> x & 0xff;
            case DataType.INT16_VALUE -> (short) x;
            case DataType.UINT16_VALUE -> x & 0xffff;
            case DataType.BOOL_VALUE -> x != 0 ? 1 : 0;
            default -> x;
          };
        }
        return ConstTensor.ofLongs(type, shape, v);
      }
    }
  }

  private static void requireCount(String label, String field, int actual, int expected)
      throws OnnxImportException {
    if (actual != expected) {
      throw new OnnxImportException(label + ": " + field + " has " + actual + " elements, the shape needs "
          + expected + (actual == 0 ? " (no raw_data, typed field or external data)" : ""));
    }
  }

  private static float halfToFloat(int type, int bits) {
    return type == DataType.BFLOAT16_VALUE ? Float.intBitsToFloat(bits << 16) : Float.float16ToFloat((short) bits);
  }

  /** Product of the dimensions, checked: no negative dimension, no overflow, at most maxElements. */
  static int elementCount(String label, long[] shape, long maxElements) throws OnnxImportException {
    long cap = Math.min(maxElements, Integer.MAX_VALUE - 16);
    long count = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new OnnxImportException(label + ": negative dimension in shape " + Arrays.toString(shape));
      }
      if (d != 0 && count > cap / d) {
        throw new OnnxImportException(label + ": shape " + Arrays.toString(shape) + " has more than " + cap
            + " elements (the importer's limit)");
      }
      count *= d;
    }
    return (int) count;
  }

  /** Bytes per element in raw_data, or 0 for unsupported types. */
  static int byteWidth(int type) {
    return switch (type) {
      case DataType.INT8_VALUE, DataType.UINT8_VALUE, DataType.BOOL_VALUE -> 1;
      case DataType.INT16_VALUE, DataType.UINT16_VALUE, DataType.FLOAT16_VALUE, DataType.BFLOAT16_VALUE -> 2;
      case DataType.FLOAT_VALUE, DataType.INT32_VALUE, DataType.UINT32_VALUE -> 4;
      case DataType.DOUBLE_VALUE, DataType.INT64_VALUE, DataType.UINT64_VALUE -> 8;
      default -> 0;
    };
  }

  /** The ONNX name of a data type number. */
  static String typeName(int type) {
    DataType dt = DataType.forNumber(type);
    return dt == null ? "data type " + type : dt.name();
  }

  private static String label(TensorProto t) {
    return "tensor '" + t.getName() + "'";
  }

  // ---- external data ------------------------------------------------------------------------------------

  private static ByteBuffer readExternal(TensorProto t, String label, Path modelDir, long expectedBytes)
      throws OnnxImportException {
    String location = null;
    long offset = 0;
    long length = -1;
    for (StringStringEntryProto e : t.getExternalDataList()) {
      switch (e.getKey()) {
        case "location" -> location = e.getValue();
        case "offset" -> offset = parseNonNegative(label, "offset", e.getValue());
        case "length" -> length = parseNonNegative(label, "length", e.getValue());
        default -> { } // "checksum" and future keys do not change where the bytes are
      }
    }
    if (location == null || location.isEmpty()) {
      throw new OnnxImportException(label + ": external data without a 'location'");
    }
    if (modelDir == null) {
      throw new OnnxImportException(label + ": external data '" + location
          + "' needs the model's folder, but the model was not read from a file");
    }
    if (expectedBytes > Integer.MAX_VALUE - 16) {
      throw new OnnxImportException(label + ": external data of " + expectedBytes + " bytes is too large");
    }
    Path file = resolveInside(label, modelDir, location);
    try {
      long fileSize = Files.size(file);
      if (length < 0) {
        length = fileSize - offset;
      }
      if (length != expectedBytes) {
        throw new OnnxImportException(label + ": external data '" + location + "' has length " + length
            + " bytes, but the tensor needs " + expectedBytes);
      }
      if (offset > fileSize || length > fileSize - offset) {
        throw new OnnxImportException(label + ": external data '" + location + "' range [" + offset + ", "
            + (offset + length) + ") runs past the end of the file (" + fileSize + " bytes)");
      }
      ByteBuffer buf = ByteBuffer.allocate((int) length);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        long pos = offset;
        while (buf.hasRemaining()) {
          int n = ch.read(buf, pos);
          if (n < 0) {
            throw new OnnxImportException(label + ": external data '" + location + "' ended early");
          }
          pos += n;
        }
      }
      return buf.flip();
    } catch (OnnxImportException e) {
      throw e;
    } catch (IOException e) {
      throw new OnnxImportException(label + ": cannot read external data '" + location + "': " + e, e);
    }
  }

  /**
   * Resolves an external-data location inside {@code modelDir}: relative, no {@code ..}, and (after
   * following symbolic links) still inside the folder.
   */
  static Path resolveInside(String label, Path modelDir, String location) throws OnnxImportException {
    String what = label + ": external data location '" + location + "'";
    if (location.indexOf('\0') >= 0 || location.startsWith("/") || location.startsWith("\\")
        || (location.length() > 1 && location.charAt(1) == ':')) {
      throw new OnnxImportException(what + " is absolute; it must be relative to the model's folder");
    }
    for (String part : location.split("[/\\\\]")) {
      if (part.equals("..")) {
        throw new OnnxImportException(what + " contains '..'; it must stay inside the model's folder");
      }
    }
    Path base = modelDir.toAbsolutePath().normalize();
    Path file;
    try {
      file = base.resolve(location).normalize();
    } catch (RuntimeException e) {
      throw new OnnxImportException(what + " is not a valid path: " + e.getMessage(), e);
    }
    if (!file.startsWith(base) || file.equals(base)) {
      throw new OnnxImportException(what + " escapes the model's folder");
    }
    if (!Files.exists(file)) {
      throw new OnnxImportException(what + ": file " + file + " not found");
    }
    try {
      Path real = file.toRealPath();
      if (!real.startsWith(base.toRealPath())) {
        throw new OnnxImportException(what + " leads through a symbolic link outside the model's folder");
      }
      if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
        throw new OnnxImportException(what + " is not a regular file");
      }
      return real;
    } catch (OnnxImportException e) {
      throw e; // already says what is wrong (it is an IOException too: not to be wrapped again below)
    } catch (IOException e) {
      throw new OnnxImportException(what + ": " + e, e);
    }
  }

  private static long parseNonNegative(String label, String key, String value) throws OnnxImportException {
    try {
      long v = Long.parseLong(value.trim());
      if (v >= 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new OnnxImportException(label + ": external data '" + key + "' is not a non-negative integer: '"
        + value + "'");
  }
}
