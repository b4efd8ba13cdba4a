package dev.rill.converter.npy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NpyTest {

  @Test
  void roundTripsEveryDtypeAndShape() throws Exception {
    NpyArray f = Npy.read(Npy.toBytes(NpyArray.ofFloats(new float[] {1.5f, -2f, 3f, 4f, 5f, 6f}, 2, 1, 3)));
    assertEquals(NpyDtype.F4, f.dtype());
    assertArrayEquals(new int[] {2, 1, 3}, f.shape());
    assertArrayEquals(new float[] {1.5f, -2f, 3f, 4f, 5f, 6f}, f.toFloats());

    NpyArray d = Npy.read(Npy.toBytes(NpyArray.ofDoubles(new double[] {0.1, 0.2}, 2)));
    assertArrayEquals(new float[] {0.1f, 0.2f}, d.toFloats());

    NpyArray i = Npy.read(Npy.toBytes(NpyArray.ofInts(new int[] {7, 0, 3}, 3, 1)));
    assertArrayEquals(new int[] {7, 0, 3}, i.toInts());

    NpyArray l = Npy.read(Npy.toBytes(NpyArray.ofLongs(new long[] {1, 2}, 1, 2)));
    assertArrayEquals(new int[] {1, 2}, l.toInts());

    NpyArray scalar = Npy.read(Npy.toBytes(NpyArray.ofFloats(new float[] {9f})));
    assertEquals(0, scalar.rank());
    assertArrayEquals(new float[] {9f}, scalar.toFloats());

    NpyArray empty = Npy.read(Npy.toBytes(NpyArray.ofFloats(new float[0], 0, 4)));
    assertArrayEquals(new int[] {0, 4}, empty.shape());
  }

  @Test
  void writesTheHeaderNumPyWrites() {
    byte[] bytes = Npy.toBytes(NpyArray.ofFloats(new float[] {1, 2, 3}, 3));
    int headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getShort(8);
    String header = new String(bytes, 10, headerLength, StandardCharsets.ISO_8859_1);
    assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", header.strip());
    assertEquals(0, (10 + headerLength) % 64);
    assertTrue(header.endsWith("\n"));
  }

  @Test
  void readsAHeaderWithDoubleQuotesAndNoTrailingComma() throws Exception {
    NpyArray a = Npy.read(file("{\"descr\": \"<i4\", \"shape\": (2,), \"fortran_order\": False}", 8));
    assertArrayEquals(new int[] {0, 0}, a.toInts());
  }

  @Test
  void rejectsMalformedFilesNamingTheProblem() {
    assertMessage(new byte[] {1, 2, 3}, "truncated file: 3 bytes is too short");
    assertMessage(new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}, "not a .npy file: the magic string");
    byte[] v9 = Npy.toBytes(NpyArray.ofFloats(new float[] {1}, 1));
    v9[6] = 9;
    assertMessage(v9, "unsupported .npy format version 9.0");
    assertMessage(file("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", 4),
        "unsupported dtype '>f4' (big-endian data is not supported)");
    assertMessage(file("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", 8), "unsupported dtype '<c8'");
    assertMessage(file("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", 4), "Fortran-order arrays are not supported");
    assertMessage(file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8),
        "data length 8 bytes does not match shape [3] × 4 bytes of <f4 = 12 (truncated file)");
    assertMessage(file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 8), "(trailing bytes)");
    assertMessage(file("{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536), }", 4), "has more than 2147483639 elements");
    assertMessage(file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }", 4), "dimension 99999999999 in the shape is too large");
    assertMessage(file("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 4), "expected a non-negative integer dimension");
    assertMessage(file("{'descr': '<f4', 'fortran_order': False}", 4), "header key 'shape' must be a tuple of integers");
    assertMessage(file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", 4), "malformed header: expected a string, True, False or a tuple");
    assertMessage(file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 'y'}", 4), "header has unknown key 'x'");
    assertMessage(file("{'descr': '<f4', 'descr': '<f4'}", 4), "duplicate key 'descr'");
    byte[] cut = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0})
        .putShort((short) 500).array();
    assertMessage(cut, "truncated file: header of 500 bytes runs past the end of the 10-byte file");
  }

  @Test
  void conversionsRefuseTheWrongKind() {
    IllegalStateException floatsFromInts = assertThrows(IllegalStateException.class, () -> NpyArray.ofInts(new int[] {1}, 1).toFloats());
    assertEquals("expected a float array (<f4 or <f8), found integer dtype <i4", floatsFromInts.getMessage());
    IllegalStateException intsFromFloats = assertThrows(IllegalStateException.class, () -> NpyArray.ofFloats(new float[] {1}, 1).toInts());
    assertEquals("expected an integer array (<i4 or <i8), found float dtype <f4", intsFromFloats.getMessage());
    IllegalStateException tooBig = assertThrows(IllegalStateException.class, () -> NpyArray.ofLongs(new long[] {1L << 40}, 1).toInts());
    assertTrue(tooBig.getMessage().contains("does not fit in 32 bits"));
    assertThrows(IllegalArgumentException.class, () -> NpyArray.ofFloats(new float[3], 2, 2));
  }

  private static byte[] file(String header, int dataBytes) {
    byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
    return ByteBuffer.allocate(10 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
        .put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h).array();
  }

  private static void assertMessage(byte[] bytes, String expected) {
    NpyFormatException e = assertThrows(NpyFormatException.class, () -> Npy.read(bytes));
    assertTrue(e.getMessage().contains(expected), () -> "expected [" + expected + "] in [" + e.getMessage() + "] " + Arrays.toString(new int[0]));
  }
}
