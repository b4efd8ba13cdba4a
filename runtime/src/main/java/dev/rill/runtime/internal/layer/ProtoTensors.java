package dev.rill.runtime.internal.layer;

import dev.rill.format.proto.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Decodes tensors of any dtype to float32 (until dev.rill.format.Tensors lands on main). */
final class ProtoTensors {

  private ProtoTensors() {}

  static float[] toFloats(Tensor tensor) {
    long count = 1;
    for (long dim : tensor.getShapeList()) {
      count = Math.multiplyExact(count, dim);
    }
    int n = Math.toIntExact(count);
    ByteBuffer data = tensor.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[n];
    switch (tensor.getDtype()) {
      case FLOAT32 -> data.asFloatBuffer().get(out);
      case BFLOAT16 -> {
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((data.getShort(2 * i) & 0xFFFF) << 16);
        }
      }
      case INT8 -> {
        int cols = tensor.getShapeCount() == 0 ? 1 : (int) tensor.getShape(tensor.getShapeCount() - 1);
        ByteBuffer scales = tensor.getRowScales().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
          out[i] = data.get(i) * scales.getFloat(4 * (i / cols));
        }
      }
      default -> throw new IllegalArgumentException("tensor '" + tensor.getName() + "': unknown dtype "
          + tensor.getDtype());
    }
    return out;
  }
}
