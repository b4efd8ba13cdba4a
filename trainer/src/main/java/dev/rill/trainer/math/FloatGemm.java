package dev.rill.trainer.math;

/**
 * c (+)= op(a) · op(b) in single precision, op(x) being x or its transpose xᵀ.
 *
 * <p>Every element of c is one sum over the inner dimension k in a fixed order that depends only on the
 * implementation (and, for the vector ones, on the vector width), never on the number of threads: the same inputs
 * give bitwise the same c, run after run and with {@link #withThreads any number of threads}. A product with a
 * {@link #pack packed} b gives bitwise the same c as with b itself.
 *
 * <p>The instances returned by the static factories are thread-safe and hold no threads; those returned by
 * {@link #withThreads} are thread-safe too (concurrent calls on one instance take turns on its pool) and hold a
 * pool of daemon threads until {@link #close closed}. c must not overlap a or b.
 */
public interface FloatGemm extends AutoCloseable {

  /**
   * {@code c = (accumulate ? c : 0) + op(a)·op(b)}, op(x) = transposed ? xᵀ : x. With an inner dimension of 0, c
   * is left as it is when accumulating, else set to 0.
   *
   * @param a the left matrix; op(a) is m x k
   * @param transposeA whether op(a) is aᵀ
   * @param b the right matrix; op(b) is k x n
   * @param transposeB whether op(b) is bᵀ
   * @param c the result, m x n
   * @param accumulate whether to add to c instead of overwriting it
   * @throws IllegalArgumentException if the shapes do not agree
   */
  void multiply(FloatMatrix a, boolean transposeA, FloatMatrix b, boolean transposeB, FloatMatrix c,
      boolean accumulate);

  /**
   * A copy of op(b) in the layout this implementation multiplies fastest, for a b used many times (a weight
   * matrix over all the time steps of a window). It costs about as much as reading and writing b once; refresh
   * it with {@link PackedMatrix#repack}.
   *
   * @param b the matrix
   * @param transposeB whether to pack bᵀ
   * @return the packed op(b)
   */
  PackedMatrix pack(FloatMatrix b, boolean transposeB);

  /**
   * {@code c = (accumulate ? c : 0) + op(a)·b} for a packed b, bitwise the same as the product with the matrix it
   * was packed from.
   *
   * @param a the left matrix; op(a) is m x k
   * @param transposeA whether op(a) is aᵀ
   * @param b op(b), k x n, packed by an implementation of the same kind and vector width as this one (any
   *     packed matrix for the scalar implementation)
   * @param c the result, m x n
   * @param accumulate whether to add to c instead of overwriting it
   * @throws IllegalArgumentException if the shapes do not agree or b was packed for another layout
   */
  void multiply(FloatMatrix a, boolean transposeA, PackedMatrix b, FloatMatrix c, boolean accumulate);

  /**
   * This product computed by {@code threads} threads: the calling thread and a fixed pool of {@code threads - 1}
   * daemon threads, started on first use. c is split into blocks of rows or of columns, so the result is bitwise
   * the same as with one thread.
   *
   * @param threads the number of threads, at least 1
   * @return the threaded product, to be {@linkplain #close closed} when no longer used
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  FloatGemm withThreads(int threads);

  /** A short description, such as {@code "vector-512"} or {@code "scalar x2 threads"}. */
  String name();

  /** Stops the threads of a {@link #withThreads threaded} product; does nothing for the others. */
  @Override
  default void close() {}

  /**
   * The reference: plain loops, each element summed over k in increasing order with separate multiply and add.
   *
   * @return the scalar product, thread-safe
   */
  static FloatGemm scalar() {
    return ScalarGemm.INSTANCE;
  }

  /**
   * The Vector API product at the preferred vector width of this machine.
   *
   * @return the vector product, thread-safe
   * @throws UnsupportedOperationException if the module jdk.incubator.vector cannot be used
   * @throws IllegalArgumentException if the preferred float vectors are narrower than 128 bits
   */
  static FloatGemm vector() {
    Platform.requireVectorModule();
    return VectorGemm.preferred();
  }

  /**
   * The Vector API product at a given vector width.
   *
   * @param bits 128, 256 or 512
   * @return the vector product, thread-safe
   * @throws IllegalArgumentException if {@code bits} is not 128, 256 or 512, or wider than this machine's vectors
   * @throws UnsupportedOperationException if the module jdk.incubator.vector cannot be used
   */
  static FloatGemm vector(int bits) {
    if (bits != 128 && bits != 256 && bits != 512) {
      throw new IllegalArgumentException("vector width " + bits + " bits: expected 128, 256 or 512");
    }
    Platform.requireVectorModule();
    return VectorGemm.ofBits(bits);
  }

  /**
   * The vector product when the module jdk.incubator.vector is readable, the JIT has C2 (C1 runs Vector API
   * code over a hundred times slower) and float vectors are at least 128 bits wide, else the scalar one.
   *
   * @return the fastest product available, thread-safe
   */
  static FloatGemm best() {
    return Platform.vectorProblem() == null && VectorGemm.preferredBits() >= 128
        ? VectorGemm.preferred()
        : ScalarGemm.INSTANCE;
  }
}
