package dev.rill.converter.onnx;

import static dev.rill.converter.onnx.OnnxModels.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.rill.converter.onnx.proto.StringStringEntryProto;
import dev.rill.converter.onnx.proto.TensorProto;
import dev.rill.converter.onnx.proto.TensorProto.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxTensorsTest {

  private static final long CAP = 1 << 20;

  @TempDir
  Path dir;

  private static TensorProto.Builder typed(int type, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName("t").setDataType(type);
    for (long d : dims) {
      t.addDims(d);
    }
    return t;
  }

  private static void assertFails(String fragment, TensorProto t, Path modelDir) {
    OnnxImportException e = assertThrows(OnnxImportException.class, () -> OnnxTensors.decode(t, modelDir, CAP));
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
    assertTrue(e.getMessage().contains("tensor 't'"), e.getMessage());
  }

  @Test
  void rawFloatsAreLittleEndian() throws Exception {
    TensorProto t = floats("t", new float[] {1.5f, -2f, 3.25f, 0f, 1e-7f, -0f}, 2, 3);
    assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 0f, 1e-7f, -0f}, OnnxTensors.toFloats(t, null, CAP));
    assertArrayEquals(new long[] {2, 3}, OnnxTensors.shape(t, CAP));
  }

  @Test
  void typedFieldsOfEveryNumericType() throws Exception {
    assertArrayEquals(new float[] {1f, 2f}, OnnxTensors.toFloats(
        typed(DataType.FLOAT_VALUE, 2).addFloatData(1f).addFloatData(2f).build(), null, CAP));
    assertArrayEquals(new float[] {0.1f, -3f}, OnnxTensors.toFloats(
        typed(DataType.DOUBLE_VALUE, 2).addDoubleData(0.1).addDoubleData(-3).build(), null, CAP));
    assertArrayEquals(new long[] {-1, 127}, OnnxTensors.decode(
        typed(DataType.INT8_VALUE, 2).addInt32Data(-1).addInt32Data(127).build(), null, CAP).toLongArray());
    assertArrayEquals(new long[] {255, 1}, OnnxTensors.decode(
        typed(DataType.UINT8_VALUE, 2).addInt32Data(255).addInt32Data(1).build(), null, CAP).toLongArray());
    assertArrayEquals(new long[] {1, 0}, OnnxTensors.decode(
        typed(DataType.BOOL_VALUE, 2).addInt32Data(1).addInt32Data(0).build(), null, CAP).toLongArray());
    assertArrayEquals(new long[] {Long.MIN_VALUE, 5}, OnnxTensors.decode(
        typed(DataType.INT64_VALUE, 2).addInt64Data(Long.MIN_VALUE).addInt64Data(5).build(), null, CAP)
        .toLongArray());
    // float16 0x3C00 = 1.0, 0xC000 = -2.0; bfloat16 0x3F80 = 1.0, 0x4040 = 3.0
    assertArrayEquals(new float[] {1f, -2f}, OnnxTensors.toFloats(
        typed(DataType.FLOAT16_VALUE, 2).addInt32Data(0x3C00).addInt32Data(0xC000).build(), null, CAP));
    assertArrayEquals(new float[] {1f, 3f}, OnnxTensors.toFloats(
        typed(DataType.BFLOAT16_VALUE, 2).addInt32Data(0x3F80).addInt32Data(0x4040).build(), null, CAP));
  }

  @Test
  void rawDataOfIntegerAndHalfTypes() throws Exception {
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-7).putInt(9);
    assertArrayEquals(new long[] {-7, 9}, OnnxTensors.decode(
        typed(DataType.INT32_VALUE, 2).setRawData(ByteString.copyFrom(b.array())).build(), null, CAP).toLongArray());
    ByteBuffer h = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3C00)
        .putShort((short) 0x3800);
    assertArrayEquals(new float[] {1f, 0.5f}, OnnxTensors.toFloats(
        typed(DataType.FLOAT16_VALUE, 2).setRawData(ByteString.copyFrom(h.array())).build(), null, CAP));
    ByteBuffer d = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(2.5);
    assertArrayEquals(new float[] {2.5f}, OnnxTensors.toFloats(
        typed(DataType.DOUBLE_VALUE, 1).setRawData(ByteString.copyFrom(d.array())).build(), null, CAP));
  }

  @Test
  void sizeMismatchesAreRefused() {
    assertFails("raw_data has 8 bytes, but FLOAT[3] needs 12",
        typed(DataType.FLOAT_VALUE, 3).setRawData(ByteString.copyFrom(new byte[8])).build(), null);
    assertFails("float_data has 1 elements, the shape needs 2", typed(DataType.FLOAT_VALUE, 2).addFloatData(1f).build(),
        null);
    assertFails("no raw_data, typed field or external data", typed(DataType.FLOAT_VALUE, 2).build(), null);
    assertFails("negative dimension", typed(DataType.FLOAT_VALUE, 2, -1).build(), null);
    assertFails("more than", typed(DataType.FLOAT_VALUE, 1L << 40, 1L << 40, 1L << 40).build(), null);
    assertFails("more than", typed(DataType.FLOAT_VALUE, CAP + 1).build(), null);
    assertFails("STRING is not supported", typed(DataType.STRING_VALUE, 1).addStringData(ByteString.EMPTY).build(),
        null);
    assertFails("segment", typed(DataType.FLOAT_VALUE, 1).addFloatData(1f)
        .setSegment(TensorProto.Segment.newBuilder().setBegin(0).setEnd(1)).build(), null);
  }

  private static TensorProto external(Map<String, String> entries, long... dims) {
    TensorProto.Builder t = typed(DataType.FLOAT_VALUE, dims).setDataLocation(TensorProto.DataLocation.EXTERNAL);
    entries.forEach((k, v) -> t.addExternalData(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
    return t.build();
  }

  private Path writeFloats(Path file, float... v) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(16 + v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0).putInt(0).putInt(0).putInt(0); // 16 bytes of padding before the data
    for (float f : v) {
      b.putFloat(f);
    }
    Files.createDirectories(file.getParent());
    Files.write(file, b.array());
    return file;
  }

  @Test
  void anExternalDataErrorIsReportedOnce() throws Exception {
    Path model = dir.resolve("model");
    Files.createDirectories(model.resolve("weights.bin"));
    OnnxImportException e = assertThrows(OnnxImportException.class,
        () -> OnnxTensors.decode(external(Map.of("location", "weights.bin"), 3), model, CAP));
    assertEquals("tensor 't': external data location 'weights.bin' is not a regular file", e.getMessage());
  }

  @Test
  void externalDataWithOffsetAndLength() throws Exception {
    Path model = dir.resolve("model");
    writeFloats(model.resolve("weights/w.bin"), 1f, 2f, 3f);
    TensorProto t = external(Map.of("location", "weights/w.bin", "offset", "16", "length", "12"), 3);
    assertArrayEquals(new float[] {1f, 2f, 3f}, OnnxTensors.toFloats(t, model, CAP));
    TensorProto noLength = external(Map.of("location", "./weights/w.bin", "offset", "16"), 3);
    assertArrayEquals(new float[] {1f, 2f, 3f}, OnnxTensors.toFloats(noLength, model, CAP));
  }

  @Test
  void externalDataRangeAndLengthAreChecked() throws Exception {
    Path model = dir.resolve("model");
    writeFloats(model.resolve("w.bin"), 1f, 2f, 3f);
    assertFails("has length 8 bytes, but the tensor needs 12",
        external(Map.of("location", "w.bin", "offset", "16", "length", "8"), 3), model);
    assertFails("runs past the end of the file",
        external(Map.of("location", "w.bin", "offset", "20", "length", "12"), 3), model);
    assertFails("not a non-negative integer", external(Map.of("location", "w.bin", "offset", "-4"), 3), model);
    assertFails("not found", external(Map.of("location", "missing.bin"), 3), model);
    assertFails("without a 'location'", external(Map.of("offset", "0"), 3), model);
    assertFails("needs the model's folder", external(Map.of("location", "w.bin"), 3), null);
  }

  @Test
  void externalDataCannotEscapeTheModelFolder() throws Exception {
    Path model = dir.resolve("model");
    Files.createDirectories(model);
    Path secret = writeFloats(dir.resolve("secret.bin"), 1f, 2f, 3f);
    assertFails("is absolute", external(Map.of("location", secret.toString()), 3), model);
    assertFails("contains '..'", external(Map.of("location", "../secret.bin"), 3), model);
    assertFails("contains '..'", external(Map.of("location", "sub/../../secret.bin"), 3), model);
    assertFails("contains '..'", external(Map.of("location", "..\\secret.bin"), 3), model);
    assertFails("is absolute", external(Map.of("location", "C:\\secret.bin"), 3), model);
    assertFails("is absolute", external(Map.of("location", "\\\\server\\share\\secret.bin"), 3), model);
    assertFails("escapes the model's folder", external(Map.of("location", "."), 3), model);
    // A symbolic link inside the folder that points outside it.
    Files.createSymbolicLink(model.resolve("link.bin"), secret);
    assertFails("symbolic link outside", external(Map.of("location", "link.bin"), 3), model);
    Files.createSymbolicLink(model.resolve("linkdir"), dir);
    assertFails("symbolic link outside", external(Map.of("location", "linkdir/secret.bin"), 3), model);
  }

  @Test
  void symbolicLinkThatStaysInsideIsFollowed() throws Exception {
    Path model = dir.resolve("model");
    writeFloats(model.resolve("real/w.bin"), 4f, 5f);
    Files.createSymbolicLink(model.resolve("w.bin"), model.resolve("real/w.bin"));
    assertArrayEquals(new float[] {4f, 5f},
        OnnxTensors.toFloats(external(Map.of("location", "w.bin", "offset", "16"), 2), model, CAP));
  }
}
