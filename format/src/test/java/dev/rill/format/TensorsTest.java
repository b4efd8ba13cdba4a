package dev.rill.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.rill.format.proto.DataType;
import dev.rill.format.proto.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TensorsTest {
  @Test
  void fp32IsLittleEndianAndExact() {
    float[] data = {1f, -0f, Float.NaN, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, 3.25e30f};
    Tensor t = Tensors.fp32("t", data, 2, 3);
    assertEquals(DataType.FLOAT32, t.getDtype());
    assertEquals(List.of(2L, 3L), t.getShapeList());
    assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F}, t.getData().substring(0, 4).toByteArray());
    float[] back = Tensors.toFloats(t);
    for (int i = 0; i < data.length; i++) {
      assertEquals(Float.floatToRawIntBits(data[i]), Float.floatToRawIntBits(back[i]), "element " + i);
    }
  }

  @Test
  void crc32cMatchesTheStandardCheckValue() {
    // The CRC-32C check value of "123456789" is 0xE3069283 (RFC 3720, B.4).
    Tensor t = Tensor.newBuilder().setData(ByteString.copyFrom("12345", StandardCharsets.US_ASCII))
        .setRowScales(ByteString.copyFrom("6789", StandardCharsets.US_ASCII)).build();
    assertEquals(0xE3069283, Tensors.crc32c(t));
    assertEquals(0xE3069283, Tensors.withChecksum(t).getCrc32C());
    Tensor f = Tensors.fp32("f", new float[] {1f, 2f}, 2);
    assertEquals(Tensors.crc32c(f), f.getCrc32C());
  }

  @Test
  void bf16RoundsToNearestEvenLikeADoubleReference() {
    Random rnd = new Random(5);
    float[] data = new float[20_000];
    for (int i = 0; i < data.length; i++) {
      // Random bit patterns of finite floats well inside the bf16 range.
      data[i] = Float.intBitsToFloat(rnd.nextInt() & 0x8FFF_FFFF | 0x3000_0000);
    }
    data[0] = 1f + 0x1p-8f;       // exactly halfway between 1 and 1 + 2^-7: ties to the even 1
    data[1] = 1f + 3 * 0x1p-8f;   // halfway between 1 + 2^-7 and 1 + 2^-6: ties to the even 1 + 2^-6
    float[] back = Tensors.toFloats(Tensors.bf16("t", data, data.length));
    assertEquals(1f, back[0]);
    assertEquals(1f + 0x1p-6f, back[1]);
    for (int i = 0; i < data.length; i++) {
      assertEquals(referenceBf16(data[i]), back[i], "element " + i + ": " + data[i]);
      assertTrue(Math.abs(back[i] - data[i]) <= Math.abs(data[i]) * 0x1p-8, "relative error of element " + i);
    }
  }

  @Test
  void bf16KeepsSpecialValues() {
    float[] data = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, Float.MAX_VALUE};
    float[] back = Tensors.toFloats(Tensors.bf16("t", data, 6));
    assertTrue(Float.isNaN(back[0]));
    assertEquals(Float.POSITIVE_INFINITY, back[1]);
    assertEquals(Float.NEGATIVE_INFINITY, back[2]);
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(back[3]));
    assertEquals(0f, back[4]);
    // MAX_VALUE is above the largest bf16 by more than half an ulp: it rounds to infinity, as IEEE says.
    assertEquals(Float.POSITIVE_INFINITY, back[5]);
    assertEquals(12, Tensors.bf16("t", data, 6).getData().size());
  }

  @Test
  void int8ErrorIsAtMostHalfAScalePerRow() {
    Random rnd = new Random(6);
    int rows = 7;
    int cols = 33;
    float[] data = TestModels.random(rnd, rows * cols);
    for (int j = 0; j < cols; j++) {
      data[3 * cols + j] = 0f; // an all-zero row has scale 0
    }
    Tensor t = Tensors.int8("t", data, 1, rows, cols);
    assertEquals(rows * cols, t.getData().size());
    assertEquals(rows * 4, t.getRowScales().size());
    ByteBuffer scales = t.getRowScales().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    float[] back = Tensors.toFloats(t);
    for (int r = 0; r < rows; r++) {
      double max = 0;
      for (int j = 0; j < cols; j++) {
        max = Math.max(max, Math.abs(data[r * cols + j]));
      }
      float scale = scales.getFloat();
      assertEquals(max / 127, scale, 1e-7 * max, "scale of row " + r);
      for (int j = 0; j < cols; j++) {
        int i = r * cols + j;
        assertTrue(Math.abs(back[i] - data[i]) <= scale / 2 + 1e-6 * max, "element " + i);
        assertTrue(Math.abs(t.getData().byteAt(i)) <= 127, "element " + i);
      }
    }
    assertEquals(0f, scales.getFloat(3 * 4));
  }

  @Test
  void int8RejectsNonFiniteValues() {
    var e = assertThrows(IllegalArgumentException.class, () -> Tensors.int8("w", new float[] {1f, Float.NaN}, 2));
    assertTrue(e.getMessage().contains("tensor 'w': cannot quantise element 1 (NaN)"), e.getMessage());
  }

  @Test
  void encodeRejectsAShapeThatDoesNotMatchTheData() {
    var e = assertThrows(IllegalArgumentException.class, () -> Tensors.fp32("w", new float[5], 2, 3));
    assertEquals("tensor 'w': shape [2, 3] has 6 elements, but 5 values were given", e.getMessage());
  }

  @Test
  void toFloatsRejectsLengthsThatDoNotMatch() {
    Tensor t = Tensors.fp32("w", new float[6], 2, 3);
    var e = assertThrows(IllegalArgumentException.class,
        () -> Tensors.toFloats(t.toBuilder().setData(t.getData().substring(1)).build()));
    assertEquals("tensor 'w': data is 23 bytes, which does not match shape [2, 3] of FLOAT32", e.getMessage());
    Tensor q = Tensors.int8("q", new float[6], 2, 3);
    var s = assertThrows(IllegalArgumentException.class,
        () -> Tensors.toFloats(q.toBuilder().setRowScales(q.getRowScales().substring(4)).build()));
    assertTrue(s.getMessage().startsWith("tensor 'q': row_scales is 4 bytes"), s.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Tensors.toFloats(t.toBuilder().clearShape().addShape(1L << 40).addShape(1L << 40).build()));
    assertThrows(IllegalArgumentException.class, () -> Tensors.toFloats(t.toBuilder().setDtypeValue(9).build()));
  }

  @Test
  void encodeDispatchesOnTheDataType() {
    float[] data = {0.5f, -1f};
    for (DataType dtype : List.of(DataType.FLOAT32, DataType.BFLOAT16, DataType.INT8)) {
      Tensor t = Tensors.encode(dtype, "t", data, 2);
      assertEquals(dtype, t.getDtype());
      assertArrayEquals(data, Tensors.toFloats(t), 1f / 127);
    }
    assertThrows(IllegalArgumentException.class,
        () -> Tensors.encode(DataType.DATA_TYPE_UNSPECIFIED, "t", data, 2));
  }

  @Test
  void scalarTensors() {
    assertArrayEquals(new float[] {2.5f}, Tensors.toFloats(Tensors.fp32("s", new float[] {2.5f})));
    assertArrayEquals(new float[] {2.5f}, Tensors.toFloats(Tensors.int8("s", new float[] {2.5f})), 1e-6f);
  }

  @Test
  void byNameIndexesTensorsAndRejectsDuplicates() {
    var m = TestModels.lstm();
    assertEquals(List.of("lstm0.W", "lstm0.R", "lstm0.B", "out.weight", "out.bias"),
        List.copyOf(Tensors.byName(m).keySet()));
    var dup = m.toBuilder().addTensors(m.getTensors(1)).build();
    var e = assertThrows(IllegalArgumentException.class, () -> Tensors.byName(dup));
    assertEquals("tensor 'lstm0.R' is defined twice", e.getMessage());
  }

  /** Picks the nearer of the two bf16 neighbours in double arithmetic; ties go to the even one. */
  private static float referenceBf16(float x) {
    int bits = Float.floatToRawIntBits(x);
    float down = Float.intBitsToFloat(bits & 0xFFFF_0000);
    float up = Float.intBitsToFloat((bits & 0xFFFF_0000) + 0x1_0000);
    double dDown = Math.abs((double) x - down);
    double dUp = Math.abs((double) x - up);
    if (dDown != dUp) {
      return dDown < dUp ? down : up;
    }
    return ((bits >>> 16) & 1) == 0 ? down : up;
  }
}
