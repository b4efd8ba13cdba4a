package dev.rill.runtime.internal.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes of the vector kernels, as constants C2 folds.
 *
 * <p>A rule for all vector code here: no method of ours takes or returns a vector. The Vector API's own
 * methods are force-inlined by C2, but ours are inlined only while the compilation stays under a node-count
 * cutoff, which vector code reaches quickly; a vector passed across a call that was not inlined is boxed on
 * the heap (the zero-allocation tests catch it). So vector code is written out inline in methods that take
 * memory segments and offsets.
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

  private VectorShapes() {}
}
