package dev.rill.converter.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

  @TempDir
  Path dir;

  @Test
  void roundTripsEveryFloatDtypeWithMetadata() throws IOException {
    float[] values = {0f, 1f, -2.5f, 0.333333f, 65504f, -1e-3f};
    Path file = dir.resolve("w.safetensors");
    new SafetensorsWriter()
        .metadata("format", "pt")
        .add("a.f32", SafetensorsDtype.F32, values, 2, 3)
        .add("b.f16", SafetensorsDtype.F16, values, 6)
        .add("c.bf16", SafetensorsDtype.BF16, values, 3, 2)
        .add("d.f64", SafetensorsDtype.F64, values, 1, 6)
        .write(file);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertEquals(Map.of("format", "pt"), f.metadata());
      assertEquals(List.of("a.f32", "b.f16", "c.bf16", "d.f64"), f.tensors().stream().map(SafetensorsTensor::name).toList());
      assertArrayEquals(new long[] {2, 3}, f.find("a.f32").orElseThrow().shape());
      assertArrayEquals(values, f.readFloats("a.f32"));
      assertArrayEquals(values, f.readFloats("d.f64"));
      float[] half = f.readFloats("b.f16");
      float[] bf = f.readFloats("c.bf16");
      for (int i = 0; i < values.length; i++) {
        // binary16 keeps 11 significant bits, bfloat16 keeps 8: relative error within half an ulp.
        assertEquals(values[i], half[i], Math.abs(values[i]) * 0x1p-11 + 1e-7, "f16 element " + i);
        assertEquals(values[i], bf[i], Math.abs(values[i]) * 0x1p-8, "bf16 element " + i);
      }
      assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.333333f)), half[3]);
    }
  }

  @Test
  void decodesBytesWrittenByHandLittleEndian() throws IOException {
    // 1.0f = 0x3f800000, bf16 1.5 = 0x3fc0, f16 -2 = 0xc000.
    byte[] data = {0, 0, (byte) 0x80, 0x3f, (byte) 0xc0, 0x3f, 0, (byte) 0xc0};
    Path file = write("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        + "\"y\":{\"dtype\":\"BF16\",\"shape\":[],\"data_offsets\":[4,6]},"
        + "\"z\":{\"dtype\":\"F16\",\"shape\":[1,1],\"data_offsets\":[6,8]}}", data);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertArrayEquals(new float[] {1f}, f.readFloats("x"));
      assertArrayEquals(new float[] {1.5f}, f.readFloats("y"));
      assertArrayEquals(new float[] {-2f}, f.readFloats("z"));
      assertEquals(1, f.find("y").orElseThrow().elementCount());
    }
  }

  @Test
  void listsTensorsInDataOrderNotHeaderOrder() throws IOException {
    Path file = write("{\"late\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
        + "\"early\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[8]);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertEquals(List.of("early", "late"), f.tensors().stream().map(SafetensorsTensor::name).toList());
    }
  }

  @Test
  void rejectsTruncatedFiles() throws IOException {
    assertMessage(Files.write(dir.resolve("t"), new byte[] {1, 0, 0}), "truncated file: 3 bytes, less than the 8-byte header length");
    byte[] shortHeader = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(100).array();
    assertMessage(Files.write(dir.resolve("h"), shortHeader), "truncated file: header length 100 runs past the end of the 12-byte file");
    Path dataCut = write("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[5]);
    assertMessage(dataCut, "tensor 'x': data_offsets [0, 8] run out of range: the data section has 5 bytes");
  }

  @Test
  void rejectsHeaderOver100Megabytes() throws IOException {
    byte[] huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(100_000_001L).array();
    assertMessage(Files.write(dir.resolve("huge"), huge), "header length 100000001 is over the limit of 100000000 bytes");
    byte[] negative = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).array();
    assertMessage(Files.write(dir.resolve("neg"), negative), "header length 18446744073709551615 is over the limit");
  }

  @Test
  void rejectsOverlappingOffsets() throws IOException {
    Path file = write("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
    assertMessage(file, "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]");
  }

  @Test
  void rejectsHolesAndTrailingBytes() throws IOException {
    assertMessage(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
        "tensor 'a': data_offsets [4, 8] leave a hole of 4 bytes before them");
    assertMessage(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[6]),
        "data section has 6 bytes but the tensors cover only 4");
  }

  @Test
  void rejectsDataLengthDifferentFromShapeTimesDtypeSize() throws IOException {
    assertMessage(write("{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}", new byte[4]),
        "tensor 'a': data length 4 bytes does not match shape [3] × 2 bytes of F16 = 6");
    assertMessage(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", new byte[4]),
        "tensor 'a': shape [4294967296, 4294967296] overflows 64 bits");
  }

  @Test
  void rejectsUnknownAndUnsupportedDtypes() throws IOException {
    assertMessage(write("{\"a\":{\"dtype\":\"F17\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
        "tensor 'a': unknown dtype 'F17' (supported: F32, F16, BF16, F64)");
    assertMessage(write("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]),
        "tensor 'a': dtype I64 is not a float type Rill can import");
  }

  @Test
  void rejectsBadJsonAndBadFields() throws IOException {
    assertMessage(write("{\"a\":{\"dtype\":\"F32\",}}", new byte[0]), "header is not valid JSON: unexpected '}', expected a string key at offset");
    assertMessage(write("[]", new byte[0]), "header is not valid JSON: expected a JSON object at the top level, found array");
    assertMessage(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", new byte[4]),
        "tensor 'a': unknown header field 'x'");
    assertMessage(write("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
        "tensor 'a': field dtype must be a string, found nothing (the field is missing)");
    assertMessage(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]),
        "tensor 'a': field shape[0] must be a non-negative integer, found -1");
    assertMessage(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4]),
        "tensor 'a': field data_offsets must have 2 entries, found 1");
    assertMessage(write("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", new byte[4]),
        "tensor 'a': data_offsets [4, 0] end before they begin");
    assertMessage(write("{\"__metadata__\":{\"k\":1}}", new byte[0]), "__metadata__ entry 'k' must be a string, found number");
    assertMessage(write("{\"a\":3}", new byte[0]), "tensor 'a': header entry must be an object, found number");
  }

  @Test
  void rejectsInvalidUtf8InTheHeader() throws IOException {
    byte[] header = {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '};
    assertMessage(writeRaw(header, new byte[0]), "header is not valid UTF-8");
  }

  @Test
  void readingAnUnknownTensorNamesIt() throws IOException {
    Path file = dir.resolve("one.safetensors");
    new SafetensorsWriter().addF32("w", new float[] {1}, 1).write(file);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.readFloats("v"));
      assertTrue(e.getMessage().startsWith("no tensor named 'v'"), e.getMessage());
    }
  }

  @Test
  void writerPadsTheHeaderToEightBytes() throws IOException {
    byte[] bytes = new SafetensorsWriter().addF32("w", new float[] {1, 2, 3}, 3).toBytes();
    long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertEquals(0, headerLength % 8);
    assertEquals(8 + headerLength + 12, bytes.length);
  }

  private Path write(String header, byte[] data) throws IOException {
    return writeRaw(header.getBytes(StandardCharsets.UTF_8), data);
  }

  private Path writeRaw(byte[] header, byte[] data) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length).put(header).put(data);
    return Files.write(Files.createTempFile(dir, "case", ".safetensors"), b.array());
  }

  private static void assertMessage(Path file, String expected) {
    SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> {
      try (SafetensorsFile f = SafetensorsFile.open(file)) {
        f.tensors();
      }
    });
    assertTrue(e.getMessage().contains(expected), () -> "expected message containing [" + expected + "] but was [" + e.getMessage() + "]"
        + Arrays.toString(new Object[0]));
  }
}
