package dev.rill.runtime.internal.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Small helpers for float32 data in off-heap segments, shared by the kernels and the runtime. */
public final class OffHeap {

  /** Alignment of every segment the runtime allocates: one cache line, and a full AVX-512 vector. */
  public static final long ALIGNMENT = 64;

  private OffHeap() {}

  /** Allocates {@code count} zeroed floats, 64-byte aligned; never a zero-length request. */
  public static MemorySegment floats(Arena arena, long count) {
    return arena.allocate(Math.max(1, count) * Float.BYTES, ALIGNMENT);
  }

  /** Allocates and fills a segment with {@code values}. */
  public static MemorySegment copyOf(Arena arena, float[] values) {
    MemorySegment segment = floats(arena, values.length);
    MemorySegment.copy(values, 0, segment, JAVA_FLOAT, 0, values.length);
    return segment;
  }

  /** Reads {@code count} floats starting at a byte offset. */
  public static float[] toArray(MemorySegment segment, long offset, int count) {
    float[] out = new float[count];
    MemorySegment.copy(segment, JAVA_FLOAT, offset, out, 0, count);
    return out;
  }
}
