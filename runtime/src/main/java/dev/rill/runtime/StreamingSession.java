package dev.rill.runtime;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.rill.runtime.internal.exec.StreamStepper;
import dev.rill.runtime.internal.layer.EmbeddingLayer;
import dev.rill.runtime.internal.layer.RecurrentLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * One stream through a {@link Model}, fed one time step at a time. The session holds the recurrent state
 * and every buffer a step needs, preallocated off-heap, so a step allocates nothing on the Java heap.
 *
 * <p>Not thread-safe: use it from one thread at a time (handing it between threads is fine). Close it to
 * free its memory. NaN and infinite inputs propagate to the output and into the state (use {@link #reset}
 * or {@link #restore} to recover); they never cause an exception.
 */
public final class StreamingSession implements AutoCloseable {

  private final Model model;
  // Shared, not confined: a session may move between threads (one at a time), e.g. in a thread pool.
  private final Arena arena;
  private final StreamStepper stepper;
  private final List<RecurrentLayer> recurrentLayers;
  private final EmbeddingLayer embedding;
  private final int inputFloats;
  private final int outputFloats;
  private boolean closed;

  StreamingSession(Model model) {
    this.model = model;
    this.arena = Arena.ofShared();
    try {
      this.stepper = new StreamStepper(model.plan(), 1, arena, model.stepThreads());
    } catch (RuntimeException e) {
      arena.close();
      throw e;
    }
    this.recurrentLayers = model.recurrentLayers();
    this.embedding = model.plan().embedding();
    this.inputFloats = model.plan().inputSize();
    this.outputFloats = model.plan().outputSize();
  }

  /**
   * Advances the stream by one step with a float vector of {@link Model#inputSize()} values and writes the
   * {@link Model#outputSize()} output values.
   *
   * @param input the step's input, exactly {@code inputSize} floats
   * @param output receives the step's output, exactly {@code outputSize} floats
   * @throws IllegalArgumentException on a token model or a wrong array length
   * @throws IllegalStateException if the session or the model is closed
   */
  public void step(float[] input, float[] output) {
    ensureOpen();
    checkVector();
    checkLength("input", input.length, inputFloats, "takes");
    checkLength("output", output.length, outputFloats, "produces");
    MemorySegment.copy(input, 0, stepper.input(), JAVA_FLOAT, 0, inputFloats);
    stepper.step();
    MemorySegment.copy(stepper.output(), JAVA_FLOAT, 0, output, 0, outputFloats);
  }

  /**
   * Advances the stream by one step with a token id and writes the output values.
   *
   * @param token a token id in [0, vocabulary size)
   * @param output receives the step's output, exactly {@code outputSize} floats
   * @throws IllegalArgumentException on a vector model, a token id out of range or a wrong output length
   * @throws IllegalStateException if the session or the model is closed
   */
  public void step(int token, float[] output) {
    ensureOpen();
    checkToken(token);
    checkLength("output", output.length, outputFloats, "produces");
    stepper.setToken(0, token);
    stepper.step();
    MemorySegment.copy(stepper.output(), JAVA_FLOAT, 0, output, 0, outputFloats);
  }

  /**
   * Like {@link #step(float[], float[])} with native-order float32 segments of exactly
   * {@code inputSize * 4} and {@code outputSize * 4} bytes (heap or off-heap).
   *
   * @throws IllegalArgumentException as {@link #step(float[], float[])} does, and if {@code output} is read-only
   *     (checked before the step: the state does not advance)
   */
  public void step(MemorySegment input, MemorySegment output) {
    ensureOpen();
    checkVector();
    checkBytes("input", input.byteSize(), inputFloats, "takes");
    checkBytes("output", output.byteSize(), outputFloats, "produces");
    checkWritable(output);
    MemorySegment.copy(input, 0, stepper.input(), 0, (long) inputFloats * Float.BYTES);
    stepper.step();
    MemorySegment.copy(stepper.output(), 0, output, 0, (long) outputFloats * Float.BYTES);
  }

  /** Like {@link #step(int, float[])} with a native-order float32 output segment of exactly {@code outputSize * 4} bytes. */
  public void step(int token, MemorySegment output) {
    ensureOpen();
    checkToken(token);
    checkBytes("output", output.byteSize(), outputFloats, "produces");
    checkWritable(output);
    stepper.setToken(0, token);
    stepper.step();
    MemorySegment.copy(stepper.output(), 0, output, 0, (long) outputFloats * Float.BYTES);
  }

  /**
   * Runs {@code steps} steps of this session's model on private scratch state, so that the JIT compiles the
   * step's kernels before traffic with a latency target arrives. The session's state, and so its later outputs,
   * are exactly as if this had not been called. Compiled code is shared by the whole JVM, so warming one session
   * warms every session and {@link StreamBatch} of models with the same layer kinds and kernels.
   *
   * <p>Unlike {@link #step}, this allocates: scratch buffers for one stream, freed before it returns. It feeds
   * varied inputs (every token id in turn for a token model) so the compiled code is not specialised to
   * constants. It cannot tell whether compilation finished; measure the step time after it if that matters.
   *
   * <p>How many steps: the vector kernels can run slowly, and allocate, for up to about 10,000 calls in some
   * fresh JVMs with the default tiered compilation (measured on a GEMV kernel, see the project's notes), so
   * 10,000 steps (seconds at H = 1024, milliseconds at H = 128) is a safe choice there. JVM flags that help:
   * <ul>
   *   <li>{@code -XX:-TieredCompilation} sends hot methods straight to C2: full speed came after about 20 calls
   *       instead of thousands, at the price of a slower start of the whole application (everything is
   *       interpreted until C2 compiles it), so it suits long-running servers;
   *   <li>never {@code -XX:TieredStopAtLevel=1} (C1 only): Vector API code runs 100 times slower there, and the
   *       runtime falls back to its scalar kernels;
   *   <li>{@code --add-modules jdk.incubator.vector}, without which the scalar kernels run.
   * </ul>
   *
   * @param steps how many steps to run, at least 0 (0 does nothing)
   * @throws IllegalArgumentException if {@code steps} is negative
   * @throws IllegalStateException if the session or the model is closed
   */
  public void warmUp(int steps) {
    ensureOpen();
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be at least 0, got " + steps);
    }
    if (steps == 0) {
      return;
    }
    // Shared: with step threads, the model's workers read and write these buffers too.
    try (Arena scratchArena = Arena.ofShared()) {
      StreamStepper scratch = new StreamStepper(model.plan(), 1, scratchArena, model.stepThreads());
      MemorySegment output = scratchArena.allocate((long) outputFloats * Float.BYTES);
      MemorySegment in = scratch.input();
      for (int t = 0; t < steps; t++) {
        if (embedding != null) {
          scratch.setToken(0, t % embedding.vocabularySize());
        } else {
          for (int i = 0; i < inputFloats; i++) {
            // Cheap varied values in [-1, 1), different each step.
            in.setAtIndex(JAVA_FLOAT, i, ((i * 37 + t * 11) & 63) / 32f - 1f);
          }
        }
        scratch.step();
        // The copy that step(...) makes, so it is compiled too.
        MemorySegment.copy(scratch.output(), 0, output, 0, (long) outputFloats * Float.BYTES);
      }
    }
  }

  /** Sets the state back to zeros, as in a new session. */
  public void reset() {
    ensureOpen();
    stepper.reset();
  }

  /** A copy of the current state (batch size 1); {@link #restore} it later to continue from here. */
  public State snapshot() {
    ensureOpen();
    State state = State.zeros(recurrentLayers, 1);
    for (int r = 0; r < recurrentLayers.size(); r++) {
      float[] h = state.hiddenArrays()[r];
      MemorySegment.copy(stepper.hidden(r), JAVA_FLOAT, 0, h, 0, h.length);
      float[] c = state.cellArrays()[r];
      if (c != null) {
        MemorySegment.copy(stepper.cell(r), JAVA_FLOAT, 0, c, 0, c.length);
      }
    }
    return state;
  }

  /**
   * Replaces the current state with {@code state}, which must come from this model with batch size 1.
   *
   * @param state a snapshot, or a state built for this model
   * @throws IllegalArgumentException if the state's layers or batch size do not fit
   */
  public void restore(State state) {
    ensureOpen();
    Objects.requireNonNull(state, "state");
    state.checkFits(recurrentLayers, 1);
    for (int r = 0; r < recurrentLayers.size(); r++) {
      float[] h = state.hiddenArrays()[r];
      MemorySegment.copy(h, 0, stepper.hidden(r), JAVA_FLOAT, 0, h.length);
      float[] c = state.cellArrays()[r];
      if (c != null) {
        MemorySegment.copy(c, 0, stepper.cell(r), JAVA_FLOAT, 0, c.length);
      }
    }
  }

  /** Frees the session's memory. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      arena.close();
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("session is closed");
    }
    model.ensureOpen();
  }

  private void checkVector() {
    if (embedding != null) {
      model.requireTokenModel(false);
    }
  }

  private void checkToken(int token) {
    model.requireTokenModel(true).checkToken(token);
  }

  static void checkLength(String what, long actual, long expected, String verb) {
    if (actual != expected) {
      throw new IllegalArgumentException(what + " has " + actual + " floats but the model " + verb + " "
          + expected + " per step");
    }
  }

  /** Checked before a step, so that a step never advances the state and then fails to deliver its output. */
  static void checkWritable(MemorySegment output) {
    if (output.isReadOnly()) {
      throw new IllegalArgumentException("the output segment is read-only; the step was not taken");
    }
  }

  static void checkBytes(String what, long actualBytes, int expectedFloats, String verb) {
    long expected = (long) expectedFloats * Float.BYTES;
    if (actualBytes != expected) {
      throw new IllegalArgumentException(what + " segment has " + actualBytes + " bytes but the model " + verb
          + " " + expectedFloats + " floats (" + expected + " bytes) per step");
    }
  }
}
