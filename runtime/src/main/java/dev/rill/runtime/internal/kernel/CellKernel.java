package dev.rill.runtime.internal.kernel;

import java.lang.foreign.MemorySegment;

/**
 * One direction of one recurrent layer with its weights packed for a {@link Kernels} implementation.
 * Immutable and thread-safe; all mutable data (state, scratch) is passed in by the caller.
 *
 * <p>All vectors are float32, little-endian in native order as written by {@code ValueLayout.JAVA_FLOAT},
 * row-major, and addressed by byte offsets. A batch of {@code n} streams stores stream {@code s} at
 * row {@code s}: {@code x} is [n, X], {@code h} and {@code c} are [n, H], a projection is [n, G*H]
 * in the canonical gate order of {@code model.proto}.
 */
public interface CellKernel {

  /** The cell's shape and options; its {@code w} and {@code r} are null: the matrices are packed off-heap. */
  CellSpec spec();

  /** Bytes of scratch that {@link #step} and {@link #stepProjected} need for {@code n} streams. */
  long scratchBytes(int n);

  /**
   * Advances {@code n} streams by one step: reads {@code x} and the state {@code h} (and {@code c} for
   * LSTM; ignored otherwise and may be {@code null}) and overwrites the state with the new one.
   */
  void step(MemorySegment x, long xOffset, MemorySegment h, long hOffset, MemorySegment c, long cOffset,
      int n, MemorySegment scratch);

  /**
   * Computes the input part of the pre-activations for {@code rows} input vectors at once:
   * {@code proj[row] = W x[row] + Wb + Rb}, except for the linear-before-reset GRU whose {@code h}
   * gate's recurrent bias {@code Rb_h} is left out of {@code proj} (it is added inside the reset product).
   * {@code scratch} holds at least {@link #scratchBytes scratchBytes(1)} bytes.
   */
  void projectInputs(MemorySegment x, long xOffset, int rows, MemorySegment proj, long projOffset,
      MemorySegment scratch);

  /**
   * Like {@link #step} but with the input part already computed by {@link #projectInputs}:
   * {@code proj} holds [n, G*H] pre-activations for the n streams.
   */
  void stepProjected(MemorySegment proj, long projOffset, MemorySegment h, long hOffset, MemorySegment c,
      long cOffset, int n, MemorySegment scratch);

  /**
   * True when this kernel implements {@link #stepRange}, so a step of a large layer can be split across
   * threads; otherwise the layer always runs on the calling thread.
   */
  default boolean supportsRanges() {
    return false;
  }

  /**
   * The granularity of the unit ranges of {@link #stepRange}: every range boundary other than H is a
   * multiple of it (for example the kernel's block of hidden units). The scalar kernels take any range.
   */
  default int unitBlock() {
    return 1;
  }

  /**
   * The number of phases of a ranged step: 2 for the textbook GRU (no linear_before_reset), whose candidate
   * needs {@code r ⊙ h} of every unit, and 1 otherwise. All ranges of phase 0 must finish before any range of
   * phase 1 starts.
   */
  default int rangePhases() {
    return spec().kind() == CellKind.GRU && !spec().linearBeforeReset() ? 2 : 1;
  }

  /** Bytes of private scratch one caller of {@link #stepRange} needs for {@code n} streams and up to {@code units} units. */
  default long rangeScratchBytes(int n, int units) {
    return 0;
  }

  /**
   * Like {@link #step} for the hidden units {@code [unitFrom, unitTo)} only, with all gates of those units,
   * so that several threads can each compute a slice of one step and keep their slice of the weights in
   * their own cache. Reads {@code x} [n, X] and the whole old state {@code h} [n, H]; writes the new
   * {@code h} of its units into {@code hNext} [n, H] (never into {@code h}, which other ranges still read)
   * and updates its units of {@code c} [n, H] in place (LSTM). The caller copies {@code hNext} into
   * {@code h} after the last phase.
   *
   * <p>{@code shared} is [n, H] floats shared by all ranges of the step: phase 0 of the textbook GRU writes
   * {@code r ⊙ h} of its units there and phase 1 reads all of it; other kinds ignore it and {@code phase}
   * (always 0). {@code scratch} holds {@link #rangeScratchBytes} bytes private to the caller.
   *
   * <p>Contract: for every unit the result is bitwise identical to {@link #step} with the same {@code n},
   * whatever the split, so that the thread count never changes results.
   */
  default void stepRange(int phase, MemorySegment x, long xOffset, MemorySegment h, long hOffset,
      MemorySegment hNext, long hNextOffset, MemorySegment c, long cOffset, int n, int unitFrom, int unitTo,
      MemorySegment shared, MemorySegment scratch) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " does not split steps into unit ranges");
  }
}
