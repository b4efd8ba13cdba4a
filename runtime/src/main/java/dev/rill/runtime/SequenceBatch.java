package dev.rill.runtime;

import java.util.Objects;

/**
 * A batch of {@code N} sequences of {@code T} steps for {@link Model#run(SequenceBatch)}, time-major:
 * vectors [T, N, inputSize] or token ids [T, N]. Optionally every sequence has its own length (ONNX
 * {@code sequence_lens}) and the run starts from a given {@link State}.
 *
 * <p>The input array is referenced, not copied: do not change it until {@code run} returns. The
 * {@code with...} methods return a new batch and leave this one unchanged.
 */
public final class SequenceBatch {

  private final float[] vectors;
  private final int[] tokens;
  private final int steps;
  private final int batch;
  private final int[] lengths;
  private final State initialState;

  private SequenceBatch(float[] vectors, int[] tokens, int steps, int batch, int[] lengths, State initialState) {
    this.vectors = vectors;
    this.tokens = tokens;
    this.steps = steps;
    this.batch = batch;
    this.lengths = lengths;
    this.initialState = initialState;
  }

  /** Sequences of float vectors: {@code data} is [steps, batch, inputSize], time-major. */
  public static SequenceBatch ofVectors(float[] data, int steps, int batch) {
    Objects.requireNonNull(data, "data");
    checkShape(data.length, steps, batch);
    if (data.length % (steps * batch) != 0) {
      throw new IllegalArgumentException("data has " + data.length + " floats, not a multiple of steps "
          + steps + " × batch " + batch);
    }
    return new SequenceBatch(data, null, steps, batch, null, null);
  }

  /** Sequences of token ids: {@code tokens} is [steps, batch], time-major. */
  public static SequenceBatch ofTokens(int[] tokens, int steps, int batch) {
    Objects.requireNonNull(tokens, "tokens");
    checkShape(tokens.length, steps, batch);
    if (tokens.length != steps * batch) {
      throw new IllegalArgumentException("tokens has " + tokens.length + " ids but steps " + steps + " × batch "
          + batch + " = " + (steps * batch));
    }
    return new SequenceBatch(null, tokens, steps, batch, null, null);
  }

  /**
   * Gives every sequence its own length in [0, steps] (copied), with the semantics of ONNX
   * {@code sequence_lens}: sequence {@code s} uses steps {@code 0 .. lengths[s]-1} only; its outputs are
   * zero past its length; its final state is the one after its last valid step (zeros if the length is 0);
   * a reverse direction starts at step {@code lengths[s] - 1}. Without lengths every sequence is full.
   */
  public SequenceBatch withLengths(int[] lengths) {
    Objects.requireNonNull(lengths, "lengths");
    if (lengths.length != batch) {
      throw new IllegalArgumentException("lengths has " + lengths.length + " entries but the batch has " + batch
          + " sequences");
    }
    for (int s = 0; s < batch; s++) {
      if (lengths[s] < 0 || lengths[s] > steps) {
        throw new IllegalArgumentException("lengths[" + s + "] = " + lengths[s] + " is out of range [0, "
            + steps + "]");
      }
    }
    return new SequenceBatch(vectors, tokens, steps, batch, lengths.clone(), initialState);
  }

  /** Starts every sequence from {@code state} (which must hold {@code batch} streams) instead of zeros. */
  public SequenceBatch withInitialState(State state) {
    Objects.requireNonNull(state, "state");
    if (state.batchSize() != batch) {
      throw new IllegalArgumentException("the initial state holds " + state.batchSize()
          + " streams but the batch has " + batch + " sequences");
    }
    return new SequenceBatch(vectors, tokens, steps, batch, lengths, state);
  }

  /** T, the number of steps. */
  public int steps() {
    return steps;
  }

  /** N, the number of sequences. */
  public int batch() {
    return batch;
  }

  /** True for token ids, false for vectors. */
  public boolean isTokens() {
    return tokens != null;
  }

  float[] vectors() {
    return vectors;
  }

  int[] tokens() {
    return tokens;
  }

  /** The per-sequence lengths; every sequence is full when none were given. */
  int[] lengthsOrFull() {
    if (lengths != null) {
      return lengths;
    }
    int[] full = new int[batch];
    java.util.Arrays.fill(full, steps);
    return full;
  }

  State initialState() {
    return initialState;
  }

  private static void checkShape(int length, int steps, int batch) {
    if (steps < 1 || batch < 1) {
      throw new IllegalArgumentException("steps and batch must be at least 1, got steps " + steps + ", batch "
          + batch);
    }
    if ((long) steps * batch > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("steps × batch is too large: " + steps + " × " + batch);
    }
  }
}
