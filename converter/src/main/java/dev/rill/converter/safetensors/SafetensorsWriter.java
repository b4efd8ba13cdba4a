package dev.rill.converter.safetensors;

import dev.rill.converter.json.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files from float data, converting to the dtype asked for. Tensors are written
 * in the order they are added; the header is padded with spaces to a multiple of 8 bytes, as the
 * reference implementation does.
 */
public final class SafetensorsWriter {

  private record Entry(String name, SafetensorsDtype dtype, long[] shape, float[] data) {}

  private final List<Entry> entries = new ArrayList<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();

  /** Creates an empty writer. */
  public SafetensorsWriter() {}

  /**
   * Adds a tensor.
   *
   * @throws IllegalArgumentException if the name is taken or the data length is not the product of the shape
   */
  public SafetensorsWriter add(String name, SafetensorsDtype dtype, float[] data, long... shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    if (n != data.length) {
      throw new IllegalArgumentException("tensor '" + name + "': " + data.length + " values for shape " + Arrays.toString(shape));
    }
    if (name.equals("__metadata__") || entries.stream().anyMatch(e -> e.name.equals(name))) {
      throw new IllegalArgumentException("tensor name '" + name + "' is reserved or already used");
    }
    entries.add(new Entry(name, dtype, shape.clone(), data.clone()));
    return this;
  }

  /** Adds an F32 tensor. */
  public SafetensorsWriter addF32(String name, float[] data, long... shape) {
    return add(name, SafetensorsDtype.F32, data, shape);
  }

  /** Adds one {@code __metadata__} entry. */
  public SafetensorsWriter metadata(String key, String value) {
    metadata.put(key, value);
    return this;
  }

  /** The complete file as bytes. */
  public byte[] toBytes() {
    StringBuilder header = new StringBuilder("{");
    boolean first = true;
    if (!metadata.isEmpty()) {
      header.append(Json.quote("__metadata__")).append(":{");
      boolean firstMeta = true;
      for (Map.Entry<String, String> m : metadata.entrySet()) {
        header.append(firstMeta ? "" : ",").append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
        firstMeta = false;
      }
      header.append('}');
      first = false;
    }
    long offset = 0;
    for (Entry e : entries) {
      long bytes = (long) e.data.length * e.dtype.byteSize();
      header.append(first ? "" : ",").append(Json.quote(e.name)).append(":{\"dtype\":\"").append(e.dtype.name())
          .append("\",\"shape\":[");
      for (int i = 0; i < e.shape.length; i++) {
        header.append(i == 0 ? "" : ",").append(e.shape[i]);
      }
      header.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
      offset += bytes;
      first = false;
    }
    header.append('}');
    byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (headerBytes.length + 7) / 8 * 8;
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(padded);
    out.put(headerBytes);
    for (int i = headerBytes.length; i < padded; i++) {
      out.put((byte) ' ');
    }
    for (Entry e : entries) {
      ByteBuffer slice = out.slice(out.position(), e.data.length * e.dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < e.data.length; i++) {
        e.dtype.write(slice, i, e.data[i]);
      }
      out.position(out.position() + slice.capacity());
    }
    return out.array();
  }

  /** Writes the file. */
  public void write(Path path) throws IOException {
    try (OutputStream os = Files.newOutputStream(path)) {
      os.write(toBytes());
    }
  }
}
