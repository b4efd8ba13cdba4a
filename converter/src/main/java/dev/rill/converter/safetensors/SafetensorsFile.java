package dev.rill.converter.safetensors;

import dev.rill.converter.json.Json;
import dev.rill.converter.json.JsonParseException;
import dev.rill.format.InputFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A safetensors file opened for reading: an 8-byte little-endian header length N, N bytes of JSON
 * header, then the little-endian tensor data.
 *
 * <p>{@link #open} validates the whole header before any tensor data is read: a header longer than
 * {@link #MAX_HEADER_BYTES}, invalid UTF-8 or JSON, unknown fields or dtypes, negative or overflowing
 * shapes, offsets out of range, overlapping or leaving holes, and data lengths that differ from
 * shape × dtype size all raise a {@link SafetensorsFormatException} naming the tensor and the problem.
 * Tensors are then read one at a time with {@link #readFloats}.
 */
public final class SafetensorsFile implements AutoCloseable {

  /** The largest header accepted (the limit of the reference implementation): 100 MB. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  /** The largest tensor that {@link #readFloats} converts, in elements (a Java array limit). */
  public static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE - 8;

  private static final String METADATA_KEY = "__metadata__";

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final List<SafetensorsTensor> tensors;
  private final Map<String, SafetensorsTensor> byName;
  private final Map<String, String> metadata;

  private SafetensorsFile(Path path, FileChannel channel, long dataStart, List<SafetensorsTensor> tensors, Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = List.copyOf(tensors);
    Map<String, SafetensorsTensor> names = new LinkedHashMap<>();
    for (SafetensorsTensor t : tensors) {
      names.put(t.name(), t);
    }
    this.byName = Collections.unmodifiableMap(names);
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /**
   * Opens and validates a safetensors file.
   *
   * @throws SafetensorsFormatException if the file is malformed or holds a dtype Rill cannot import
   * @throws IOException if the file cannot be read
   */
  public static SafetensorsFile open(Path path) throws IOException {
    String notRegular = InputFiles.notRegularFile(path);
    if (notRegular != null) {
      throw new SafetensorsFormatException(notRegular);
    }
    FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
    try {
      return parse(path, channel);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static SafetensorsFile parse(Path path, FileChannel channel) throws IOException {
    long fileSize = channel.size();
    if (fileSize < 8) {
      throw new SafetensorsFormatException("truncated file: " + fileSize + " bytes, less than the 8-byte header length");
    }
    ByteBuffer lengthBytes = readFully(channel, 0, 8);
    long headerLength = lengthBytes.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw new SafetensorsFormatException("header length " + Long.toUnsignedString(headerLength)
          + " is over the limit of " + MAX_HEADER_BYTES + " bytes");
    }
    if (headerLength < 2) {
      throw new SafetensorsFormatException("header length " + headerLength + " is too small for a JSON object");
    }
    if (headerLength > fileSize - 8) {
      throw new SafetensorsFormatException("truncated file: header length " + headerLength + " runs past the end of the "
          + fileSize + "-byte file");
    }
    String headerText = decodeUtf8(readFully(channel, 8, (int) headerLength));
    Map<String, Object> header;
    try {
      header = Json.parseObject(headerText);
    } catch (JsonParseException e) {
      throw new SafetensorsFormatException("header is not valid JSON: " + e.getMessage(), e);
    }
    long dataStart = 8 + headerLength;
    long dataLength = fileSize - dataStart;
    Map<String, String> metadata = Map.of();
    List<SafetensorsTensor> tensors = new ArrayList<>();
    for (Map.Entry<String, Object> e : header.entrySet()) {
      if (e.getKey().equals(METADATA_KEY)) {
        metadata = parseMetadata(e.getValue());
      } else {
        tensors.add(parseTensor(e.getKey(), e.getValue(), dataLength));
      }
    }
    checkLayout(tensors, dataLength);
    return new SafetensorsFile(path, channel, dataStart, tensors, metadata);
  }

  private static Map<String, String> parseMetadata(Object value) throws SafetensorsFormatException {
    if (!(value instanceof Map<?, ?> map)) {
      throw new SafetensorsFormatException(METADATA_KEY + " must be an object of strings, found " + Json.typeName(value));
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getValue() instanceof String s)) {
        throw new SafetensorsFormatException(METADATA_KEY + " entry '" + e.getKey() + "' must be a string, found "
            + Json.typeName(e.getValue()));
      }
      out.put((String) e.getKey(), s);
    }
    return out;
  }

  private static SafetensorsTensor parseTensor(String name, Object value, long dataLength) throws SafetensorsFormatException {
    if (!(value instanceof Map<?, ?> fields)) {
      throw new SafetensorsFormatException("tensor '" + name + "': header entry must be an object, found " + Json.typeName(value));
    }
    for (Object key : fields.keySet()) {
      if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
        throw new SafetensorsFormatException("tensor '" + name + "': unknown header field '" + key + "'");
      }
    }
    if (!(fields.get("dtype") instanceof String dtypeName)) {
      throw new SafetensorsFormatException("tensor '" + name + "': field dtype must be a string, found " + describe(fields, "dtype"));
    }
    SafetensorsDtype dtype = SafetensorsDtype.parse(dtypeName, name);
    long[] shape = nonNegativeLongs(name, "shape", fields.get("shape"), -1);
    long[] offsets = nonNegativeLongs(name, "data_offsets", fields.get("data_offsets"), 2);
    long begin = offsets[0];
    long end = offsets[1];
    if (begin > end) {
      throw new SafetensorsFormatException("tensor '" + name + "': data_offsets [" + begin + ", " + end + "] end before they begin");
    }
    if (end > dataLength) {
      throw new SafetensorsFormatException("tensor '" + name + "': data_offsets [" + begin + ", " + end
          + "] run out of range: the data section has " + dataLength + " bytes");
    }
    long expectedBytes;
    try {
      long elements = 1;
      for (long d : shape) {
        elements = Math.multiplyExact(elements, d);
      }
      expectedBytes = Math.multiplyExact(elements, dtype.byteSize());
    } catch (ArithmeticException overflow) {
      throw new SafetensorsFormatException("tensor '" + name + "': shape " + java.util.Arrays.toString(shape) + " overflows 64 bits");
    }
    if (end - begin != expectedBytes) {
      throw new SafetensorsFormatException("tensor '" + name + "': data length " + (end - begin) + " bytes does not match shape "
          + java.util.Arrays.toString(shape) + " × " + dtype.byteSize() + " bytes of " + dtype + " = " + expectedBytes);
    }
    return new SafetensorsTensor(name, dtype, shape, begin, end);
  }

  private static String describe(Map<?, ?> fields, String key) {
    return fields.containsKey(key) ? Json.typeName(fields.get(key)) : "nothing (the field is missing)";
  }

  private static long[] nonNegativeLongs(String tensor, String field, Object value, int requiredLength) throws SafetensorsFormatException {
    if (!(value instanceof List<?> list)) {
      throw new SafetensorsFormatException("tensor '" + tensor + "': field " + field + " must be an array of integers, found "
          + (value == null ? "nothing (the field is missing)" : Json.typeName(value)));
    }
    if (requiredLength >= 0 && list.size() != requiredLength) {
      throw new SafetensorsFormatException("tensor '" + tensor + "': field " + field + " must have " + requiredLength
          + " entries, found " + list.size());
    }
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(list.get(i) instanceof Long v) || v < 0) {
        throw new SafetensorsFormatException("tensor '" + tensor + "': field " + field + "[" + i + "] must be a non-negative integer, found "
            + list.get(i));
      }
      out[i] = v;
    }
    return out;
  }

  /** Tensors must tile the data section exactly: no overlap, no hole, nothing after the last one. */
  private static void checkLayout(List<SafetensorsTensor> tensors, long dataLength) throws SafetensorsFormatException {
    List<SafetensorsTensor> sorted = new ArrayList<>(tensors);
    sorted.sort(Comparator.comparingLong(SafetensorsTensor::begin).thenComparingLong(SafetensorsTensor::end));
    long expected = 0;
    SafetensorsTensor previous = null;
    for (SafetensorsTensor t : sorted) {
      if (t.begin() < expected) {
        throw new SafetensorsFormatException("tensor '" + t.name() + "': data_offsets [" + t.begin() + ", " + t.end()
            + "] overlap tensor '" + previous.name() + "' [" + previous.begin() + ", " + previous.end() + "]");
      }
      if (t.begin() > expected) {
        throw new SafetensorsFormatException("tensor '" + t.name() + "': data_offsets [" + t.begin() + ", " + t.end()
            + "] leave a hole of " + (t.begin() - expected) + " bytes before them");
      }
      expected = t.end();
      previous = t;
    }
    if (expected != dataLength) {
      throw new SafetensorsFormatException("data section has " + dataLength + " bytes but the tensors cover only " + expected
          + " (trailing bytes are not allowed)");
    }
    tensors.sort(Comparator.comparingLong(SafetensorsTensor::begin).thenComparingLong(SafetensorsTensor::end));
  }

  private static String decodeUtf8(ByteBuffer bytes) throws SafetensorsFormatException {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes).toString();
    } catch (CharacterCodingException e) {
      throw new SafetensorsFormatException("header is not valid UTF-8", e);
    }
  }

  private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      int n = channel.read(buf, position + buf.position());
      if (n < 0) {
        throw new SafetensorsFormatException("truncated file: expected " + length + " bytes at offset " + position);
      }
    }
    return buf.flip();
  }

  /** The file this was opened from. */
  public Path path() {
    return path;
  }

  /** Every tensor, in the order of its data in the file. */
  public List<SafetensorsTensor> tensors() {
    return tensors;
  }

  /** The tensor of that name, if present. */
  public Optional<SafetensorsTensor> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The free-form {@code __metadata__} string map (empty if absent). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * Reads a tensor's data and converts it to float32 (F64 rounds to nearest).
   *
   * @throws IllegalArgumentException if there is no tensor of that name
   * @throws SafetensorsFormatException if the tensor has more than {@link #MAX_TENSOR_ELEMENTS} elements
   * @throws IOException if the file cannot be read
   */
  public float[] readFloats(String name) throws IOException {
    SafetensorsTensor t = byName.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no tensor named '" + name + "' in " + path);
    }
    long count = t.elementCount();
    if (count > MAX_TENSOR_ELEMENTS || t.end() - t.begin() > MAX_TENSOR_ELEMENTS) {
      throw new SafetensorsFormatException("tensor '" + name + "': " + count + " elements is too large to import");
    }
    ByteBuffer data = readFully(channel, dataStart + t.begin(), (int) (t.end() - t.begin())).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[(int) count];
    for (int i = 0; i < out.length; i++) {
      out[i] = t.dtype().read(data, i);
    }
    return out;
  }

  /** Closes the file. */
  @Override
  public void close() throws IOException {
    channel.close();
  }
}
