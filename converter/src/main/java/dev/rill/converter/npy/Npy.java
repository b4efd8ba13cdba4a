package dev.rill.converter.npy;

import dev.rill.format.InputFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0) holding little-endian,
 * C-order float32, float64, int32 or int64 arrays.
 *
 * <p>The reader checks everything before it allocates the data array: the magic string, the
 * version, the header (a Python dict literal with exactly {@code descr}, {@code fortran_order} and
 * {@code shape}), a supported dtype, C order, at most {@link #MAX_DIMS} dimensions, an
 * overflow-safe element count of at most {@link #MAX_ELEMENTS}, and a file length that is exactly
 * header plus data. Each problem raises an {@link NpyFormatException} that names it.
 */
public final class Npy {

  /** The largest number of dimensions accepted. */
  public static final int MAX_DIMS = 32;

  /** The largest number of elements accepted (a Java array limit). */
  public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  /** The largest header accepted, in bytes (NumPy itself refuses headers over 10 000 bytes by default). */
  public static final int MAX_HEADER_BYTES = 1 << 20;

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

  private Npy() {}

  /** Reads a {@code .npy} file. */
  public static NpyArray read(Path path) throws IOException {
    String notRegular = InputFiles.notRegularFile(path);
    if (notRegular != null) {
      throw new NpyFormatException(notRegular);
    }
    long size = Files.size(path);
    if (size > MAX_ELEMENTS + MAX_HEADER_BYTES) {
      throw new NpyFormatException(path + ": file of " + size + " bytes is too large");
    }
    return read(Files.readAllBytes(path));
  }

  /** Parses the bytes of a {@code .npy} file. */
  public static NpyArray read(byte[] bytes) throws NpyFormatException {
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < MAGIC.length + 2) {
      throw new NpyFormatException("truncated file: " + bytes.length + " bytes is too short for the .npy magic and version");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (bytes[i] != MAGIC[i]) {
        throw new NpyFormatException("not a .npy file: the magic string \\x93NUMPY is missing");
      }
    }
    int major = bytes[6] & 0xff;
    int minor = bytes[7] & 0xff;
    long headerLength;
    int headerStart;
    if (major == 1 && minor == 0) {
      if (bytes.length < 10) {
        throw new NpyFormatException("truncated file: no header length");
      }
      headerLength = buf.getShort(8) & 0xffff;
      headerStart = 10;
    } else if ((major == 2 || major == 3) && minor == 0) {
      if (bytes.length < 12) {
        throw new NpyFormatException("truncated file: no header length");
      }
      headerLength = buf.getInt(8) & 0xffffffffL;
      headerStart = 12;
    } else {
      throw new NpyFormatException("unsupported .npy format version " + major + "." + minor + " (supported: 1.0, 2.0, 3.0)");
    }
    if (headerLength > MAX_HEADER_BYTES) {
      throw new NpyFormatException("header length " + headerLength + " is over the limit of " + MAX_HEADER_BYTES + " bytes");
    }
    if (headerStart + headerLength > bytes.length) {
      throw new NpyFormatException("truncated file: header of " + headerLength + " bytes runs past the end of the "
          + bytes.length + "-byte file");
    }
    String header = new String(bytes, headerStart, (int) headerLength,
        major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    Header h = HeaderParser.parse(header);
    long count = 1;
    for (int d : h.shape) {
      count = Math.multiplyExact(count, (long) d); // each d < 2^31, count stays <= MAX_ELEMENTS below
      if (count > MAX_ELEMENTS) {
        throw new NpyFormatException("shape " + java.util.Arrays.toString(h.shape) + " has more than " + MAX_ELEMENTS + " elements");
      }
    }
    int dataStart = headerStart + (int) headerLength;
    long expected = count * h.dtype.byteSize();
    long actual = bytes.length - dataStart;
    if (actual != expected) {
      throw new NpyFormatException("data length " + actual + " bytes does not match shape " + java.util.Arrays.toString(h.shape)
          + " × " + h.dtype.byteSize() + " bytes of " + h.dtype.descr() + " = " + expected
          + (actual < expected ? " (truncated file)" : " (trailing bytes)"));
    }
    ByteBuffer data = buf.slice(dataStart, (int) expected).order(ByteOrder.LITTLE_ENDIAN);
    int n = (int) count;
    return switch (h.dtype) {
      case F4 -> {
        float[] a = new float[n];
        data.asFloatBuffer().get(a);
        yield NpyArray.ofFloats(a, h.shape);
      }
      case F8 -> {
        double[] a = new double[n];
        data.asDoubleBuffer().get(a);
        yield NpyArray.ofDoubles(a, h.shape);
      }
      case I4 -> {
        int[] a = new int[n];
        data.asIntBuffer().get(a);
        yield NpyArray.ofInts(a, h.shape);
      }
      case I8 -> {
        long[] a = new long[n];
        data.asLongBuffer().get(a);
        yield NpyArray.ofLongs(a, h.shape);
      }
    };
  }

  /** Writes an array as a version 1.0 {@code .npy} file (version 2.0 if the header would not fit). */
  public static void write(NpyArray array, Path path) throws IOException {
    Files.write(path, toBytes(array));
  }

  /** The bytes of a {@code .npy} file holding the array. */
  public static byte[] toBytes(NpyArray array) {
    int[] shape = array.shape();
    StringBuilder dims = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      dims.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    dims.append(shape.length == 1 ? ",)" : ")");
    String dict = "{'descr': '" + array.dtype().descr() + "', 'fortran_order': False, 'shape': " + dims + ", }";
    // Pad with spaces and end with '\n' so the data starts on a 64-byte boundary, as NumPy does.
    boolean v2 = dict.length() + 1 + 10 > 65535;
    int prefix = v2 ? 12 : 10;
    int total = (prefix + dict.length() + 1 + 63) / 64 * 64;
    String header = dict + " ".repeat(total - prefix - dict.length() - 1) + "\n";
    byte[] headerBytes = header.getBytes(StandardCharsets.ISO_8859_1);
    int n = array.size();
    ByteBuffer out = ByteBuffer.allocate(total + n * array.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    out.put(MAGIC).put((byte) (v2 ? 2 : 1)).put((byte) 0);
    if (v2) {
      out.putInt(headerBytes.length);
    } else {
      out.putShort((short) headerBytes.length);
    }
    out.put(headerBytes);
    ByteBuffer data = out.slice().order(ByteOrder.LITTLE_ENDIAN);
    switch (array.dtype()) {
      case F4 -> data.asFloatBuffer().put((float[]) array.rawData());
      case F8 -> data.asDoubleBuffer().put((double[]) array.rawData());
      case I4 -> data.asIntBuffer().put((int[]) array.rawData());
      case I8 -> data.asLongBuffer().put((long[]) array.rawData());
    }
    return out.array();
  }

  private record Header(NpyDtype dtype, int[] shape) {}

  /** Parses the header: a Python dict literal of strings, booleans and tuples of integers. */
  private static final class HeaderParser {
    private final String s;
    private int pos;

    private HeaderParser(String s) {
      this.s = s;
    }

    static Header parse(String text) throws NpyFormatException {
      HeaderParser p = new HeaderParser(text);
      Map<String, Object> dict = p.dict();
      p.skipSpaces();
      if (p.pos != text.length()) {
        throw p.error("unexpected text after the header dict");
      }
      for (String key : dict.keySet()) {
        if (!key.equals("descr") && !key.equals("fortran_order") && !key.equals("shape")) {
          throw new NpyFormatException("header has unknown key '" + key + "'");
        }
      }
      if (!(dict.get("descr") instanceof String descr)) {
        throw new NpyFormatException("header key 'descr' must be a type string such as '<f4'");
      }
      NpyDtype dtype = NpyDtype.ofDescr(descr);
      if (dtype == null) {
        String why = descr.startsWith(">") ? " (big-endian data is not supported)" : "";
        throw new NpyFormatException("unsupported dtype '" + descr + "'" + why + " (supported: <f4, <f8, <i4, <i8)");
      }
      if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
        throw new NpyFormatException("header key 'fortran_order' must be True or False");
      }
      if (fortran) {
        throw new NpyFormatException("Fortran-order arrays are not supported: save with numpy.ascontiguousarray");
      }
      if (!(dict.get("shape") instanceof int[] shape)) {
        throw new NpyFormatException("header key 'shape' must be a tuple of integers");
      }
      return new Header(dtype, shape);
    }

    private Map<String, Object> dict() throws NpyFormatException {
      skipSpaces();
      expect('{');
      Map<String, Object> map = new LinkedHashMap<>();
      while (true) {
        skipSpaces();
        if (peek() == '}') {
          pos++;
          return map;
        }
        String key = string();
        if (map.containsKey(key)) {
          throw error("duplicate key '" + key + "'");
        }
        skipSpaces();
        expect(':');
        skipSpaces();
        map.put(key, value());
        skipSpaces();
        if (peek() == ',') {
          pos++;
        } else if (peek() != '}') {
          throw error("expected ',' or '}'");
        }
      }
    }

    private Object value() throws NpyFormatException {
      char c = peek();
      if (c == '\'' || c == '"') {
        return string();
      } else if (s.startsWith("True", pos)) {
        pos += 4;
        return Boolean.TRUE;
      } else if (s.startsWith("False", pos)) {
        pos += 5;
        return Boolean.FALSE;
      } else if (c == '(') {
        return tuple();
      }
      throw error("expected a string, True, False or a tuple");
    }

    private int[] tuple() throws NpyFormatException {
      expect('(');
      List<Integer> dims = new ArrayList<>();
      while (true) {
        skipSpaces();
        if (peek() == ')') {
          pos++;
          break;
        }
        dims.add(dimension());
        if (dims.size() > MAX_DIMS) {
          throw new NpyFormatException("shape has more than " + MAX_DIMS + " dimensions");
        }
        skipSpaces();
        if (peek() == ',') {
          pos++;
        } else if (peek() != ')') {
          throw error("expected ',' or ')' in the shape tuple");
        }
      }
      return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    private int dimension() throws NpyFormatException {
      int start = pos;
      while (pos < s.length() && Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128) {
        pos++;
      }
      if (pos == start) {
        throw error("expected a non-negative integer dimension");
      }
      String digits = s.substring(start, pos);
      if (digits.length() > 10 || Long.parseLong(digits) > Integer.MAX_VALUE) {
        throw new NpyFormatException("dimension " + digits + " in the shape is too large");
      }
      return Integer.parseInt(digits);
    }

    private String string() throws NpyFormatException {
      char quote = peek();
      if (quote != '\'' && quote != '"') {
        throw error("expected a quoted string");
      }
      int end = s.indexOf(quote, pos + 1);
      if (end < 0) {
        throw error("unterminated string");
      }
      String out = s.substring(pos + 1, end);
      if (out.indexOf('\\') >= 0) {
        throw error("escapes in header strings are not supported");
      }
      pos = end + 1;
      return out;
    }

    private void skipSpaces() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\n' || s.charAt(pos) == '\t')) {
        pos++;
      }
    }

    private char peek() {
      return pos < s.length() ? s.charAt(pos) : 0;
    }

    private void expect(char c) throws NpyFormatException {
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      pos++;
    }

    private NpyFormatException error(String what) {
      return new NpyFormatException("malformed header: " + what + " at offset " + pos + " of \"" + s.strip() + "\"");
    }
  }
}
