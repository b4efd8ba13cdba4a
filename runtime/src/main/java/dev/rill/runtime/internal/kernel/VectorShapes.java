package dev.rill.runtime.internal.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes of the vector kernels and their small load/store helpers. Every helper is a few
 * nodes so that C2 always inlines it: a vector passed to or returned from a method that is not inlined is
 * boxed on the heap, which the zero-allocation test would catch.
 */
final class VectorShapes {

  /** The preferred float species: 256-bit (8 lanes) on AVX2, 512-bit on AVX-512. */
  static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
  /** Lanes per float vector. */
  static final int LANES = FLOATS.length();
  /** Bytes per float vector. */
  static final long VECTOR_BYTES = FLOATS.vectorByteSize();
  /** The int species of the same shape: one int vector holds two float vectors of bf16 values. */
  static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
  /** A byte species with at least {@link #LANES} lanes, for int8 weights widened with B2F (part 0). */
  static final VectorSpecies<Byte> BYTES =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, LANES * 8)));
  /** Hidden units per block of the panel layout: two float vectors. */
  static final int BLOCK = 2 * LANES;

  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  private VectorShapes() {}

  /** A full vector at a byte offset. */
  static FloatVector load(MemorySegment segment, long offset) {
    return FloatVector.fromMemorySegment(FLOATS, segment, offset, ORDER);
  }

  /** The first {@code lanes} floats at a byte offset (the rest zero); never reads past them. */
  static FloatVector load(MemorySegment segment, long offset, int lanes) {
    if (lanes >= LANES) {
      return FloatVector.fromMemorySegment(FLOATS, segment, offset, ORDER);
    }
    return FloatVector.fromMemorySegment(FLOATS, segment, offset, ORDER, FLOATS.indexInRange(0, lanes));
  }

  /** Stores the first {@code lanes} lanes (all of them if {@code lanes >= LANES}, none if {@code lanes <= 0}). */
  static void store(FloatVector v, MemorySegment segment, long offset, int lanes) {
    if (lanes >= LANES) {
      v.intoMemorySegment(segment, offset, ORDER);
    } else if (lanes > 0) {
      v.intoMemorySegment(segment, offset, ORDER, FLOATS.indexInRange(0, lanes));
    }
  }

  /** The bf16 values in the low halves of the ints, as floats. */
  static FloatVector bf16Low(IntVector pairs) {
    return pairs.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
  }

  /** The bf16 values in the high halves of the ints, as floats. */
  static FloatVector bf16High(IntVector pairs) {
    return pairs.and(0xFFFF0000).reinterpretAsFloats();
  }
}
