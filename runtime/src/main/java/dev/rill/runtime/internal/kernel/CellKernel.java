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
   */
  void projectInputs(MemorySegment x, long xOffset, int rows, MemorySegment proj, long projOffset);

  /**
   * Like {@link #step} but with the input part already computed by {@link #projectInputs}:
   * {@code proj} holds [n, G*H] pre-activations for the n streams.
   */
  void stepProjected(MemorySegment proj, long projOffset, MemorySegment h, long hOffset, MemorySegment c,
      long cOffset, int n, MemorySegment scratch);
}
