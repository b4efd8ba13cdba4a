package dev.rill.converter.safetensors;

import dev.rill.format.Tensors;
import java.nio.ByteBuffer;
import java.util.Set;

/** The safetensors element types that Rill reads; all are converted to float32 on import. */
public enum SafetensorsDtype {
  /** IEEE 754 binary64, narrowed to float. */
  F64(8),
  /** IEEE 754 binary32. */
  F32(4),
  /** IEEE 754 binary16. */
  F16(2),
  /** bfloat16: the upper 16 bits of a binary32. */
  BF16(2);

  /** Dtype names of the safetensors specification that exist but are not weights Rill can use. */
  private static final Set<String> KNOWN_UNSUPPORTED = Set.of(
      "BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64",
      "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64");

  private final int byteSize;

  SafetensorsDtype(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /**
   * The dtype of a header's {@code dtype} string.
   *
   * @throws SafetensorsFormatException naming the tensor, if the name is unknown or a type Rill cannot import
   */
  static SafetensorsDtype parse(String name, String tensor) throws SafetensorsFormatException {
    for (SafetensorsDtype d : values()) {
      if (d.name().equals(name)) {
        return d;
      }
    }
    String supported = "supported: F32, F16, BF16, F64";
    if (KNOWN_UNSUPPORTED.contains(name)) {
      throw new SafetensorsFormatException("tensor '" + tensor + "': dtype " + name + " is not a float type Rill can import (" + supported + ")");
    }
    throw new SafetensorsFormatException("tensor '" + tensor + "': unknown dtype '" + name + "' (" + supported + ")");
  }

  /** Reads element {@code i} of a little-endian buffer of this dtype as a float. */
  float read(ByteBuffer le, int i) {
    return switch (this) {
      case F64 -> (float) le.getDouble(i * 8);
      case F32 -> le.getFloat(i * 4);
      case F16 -> Float.float16ToFloat(le.getShort(i * 2));
      case BF16 -> Tensors.fromBf16(le.getShort(i * 2));
    };
  }

  /** Writes {@code v} as element {@code i} of a little-endian buffer of this dtype (F16 and BF16 round to nearest even). */
  void write(ByteBuffer le, int i, float v) {
    switch (this) {
      case F64 -> le.putDouble(i * 8, v);
      case F32 -> le.putFloat(i * 4, v);
      case F16 -> le.putShort(i * 2, Float.floatToFloat16(v));
      case BF16 -> le.putShort(i * 2, Tensors.toBf16(v));
    }
  }
}
