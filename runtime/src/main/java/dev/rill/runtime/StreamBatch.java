package dev.rill.runtime;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.rill.runtime.internal.exec.StreamStepper;
import dev.rill.runtime.internal.layer.RecurrentLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * Up to {@link #capacity()} independent streams through a {@link Model} (one per user, audio channel or
 * sensor), advanced together by one {@link #step()}: every layer runs once over all open streams as a
 * matrix-matrix product, which is much cheaper per stream than stepping {@link StreamingSession}s one by one.
 *
 * <p>Streams join and leave through <em>slots</em> without any reallocation: {@link #open()} hands out a
 * free slot with a zero state, {@link #close(int)} frees it. A step then goes:
 * <pre>{@code
 * for (int slot : mySlots) batch.setInput(slot, frames[slot]);   // or setToken(slot, id)
 * batch.step();                                                 // every open slot advances once
 * for (int slot : mySlots) batch.output(slot, outputs[slot]);
 * }</pre>
 * Every open slot must have its input set before each step (a stream with nothing to say this step can be
 * closed, or kept open with a repeated or neutral input). Internally the open streams are kept in the
 * leading rows of dense buffers, so a step only computes open streams; closing a slot moves the last
 * stream's row into the freed one. Slot ids never change while a slot is open.
 *
 * <p>All memory is allocated when the batch is created; setting inputs, stepping, reading outputs,
 * opening, closing and resetting slots allocate nothing on the Java heap ({@link #snapshot} returns a new
 * {@link State}). Not thread-safe: use it from one thread at a time. Close it to free its memory; closing
 * the model makes every later call fail. The model must be streamable ({@link Model#isStreamable()}).
 */
public final class StreamBatch implements AutoCloseable {

  /**
   * The largest capacity: 65,536 streams. One step computes every open stream together, so a larger batch buys
   * nothing over several batches, and its buffers (capacity × every layer's width) could exhaust memory.
   */
  public static final int MAX_CAPACITY = 1 << 16;

  private static final int NO_ROW = -1;

  private final Model model;
  private final Arena arena;
  private final StreamStepper stepper;
  private final List<RecurrentLayer> recurrentLayers;
  private final boolean tokens;
  private final int inputFloats;
  private final int outputFloats;
  private final int capacity;
  /** Row of each open slot in the dense buffers, or NO_ROW. */
  private final int[] rowOfSlot;
  /** Slot of each of the first {@link #active} rows. */
  private final int[] slotOfRow;
  /** Free slots as a stack; the lowest ids come out first on a new batch. */
  private final int[] freeSlots;
  private int freeCount;
  private int active;
  /** Per slot: its input for the next step is set. */
  private final boolean[] inputSet;
  /** Per slot: it has been stepped since it was opened, so its output row is its own. */
  private final boolean[] hasOutput;
  private boolean closed;

  StreamBatch(Model model, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    if (capacity > MAX_CAPACITY) {
      throw new IllegalArgumentException("capacity must be at most " + MAX_CAPACITY + " (StreamBatch.MAX_CAPACITY), "
          + "got " + capacity + "; use several batches for more streams");
    }
    this.model = model;
    this.capacity = capacity;
    this.arena = Arena.ofShared();
    try {
      this.stepper = new StreamStepper(model.plan(), capacity, arena, model.stepThreads());
    } catch (RuntimeException | OutOfMemoryError e) {
      arena.close();
      throw e;
    }
    this.recurrentLayers = model.recurrentLayers();
    this.tokens = model.plan().embedding() != null;
    this.inputFloats = model.plan().inputSize();
    this.outputFloats = model.plan().outputSize();
    this.rowOfSlot = new int[capacity];
    this.slotOfRow = new int[capacity];
    this.freeSlots = new int[capacity];
    this.inputSet = new boolean[capacity];
    this.hasOutput = new boolean[capacity];
    for (int i = 0; i < capacity; i++) {
      rowOfSlot[i] = NO_ROW;
      freeSlots[i] = capacity - 1 - i;
    }
    this.freeCount = capacity;
  }

  /** The largest number of streams open at once, fixed when the batch was created. */
  public int capacity() {
    return capacity;
  }

  /** The number of open slots, the streams the next {@link #step()} advances. */
  public int activeCount() {
    return active;
  }

  /**
   * True when {@code slot} is open.
   *
   * @throws IllegalArgumentException if {@code slot} is not in [0, capacity)
   * @throws IllegalStateException if the batch or the model is closed
   */
  public boolean isOpen(int slot) {
    ensureOpen();
    checkRange(slot);
    return rowOfSlot[slot] != NO_ROW;
  }

  /**
   * Opens a free slot for a new stream with a zero state and returns its id, in [0, capacity).
   *
   * @return the slot id, valid until {@link #close(int)}
   * @throws IllegalStateException if every slot is open, or the batch or the model is closed
   */
  public int open() {
    ensureOpen();
    if (freeCount == 0) {
      throw new IllegalStateException("all " + capacity + " slots of the batch are open: close one first");
    }
    int slot = freeSlots[--freeCount];
    int row = active++;
    rowOfSlot[slot] = row;
    slotOfRow[row] = slot;
    inputSet[slot] = false;
    hasOutput[slot] = false;
    stepper.resetRow(row);
    return slot;
  }

  /**
   * Frees {@code slot}; its stream leaves the batch and the id may be handed out again by {@link #open()}.
   *
   * @throws IllegalArgumentException if {@code slot} is out of range
   * @throws IllegalStateException if {@code slot} is not open, or the batch or the model is closed
   */
  public void close(int slot) {
    int row = rowOf(slot);
    int last = --active;
    if (row != last) {
      // Keep the open streams dense: the last row takes the freed one.
      stepper.moveRow(last, row);
      int moved = slotOfRow[last];
      slotOfRow[row] = moved;
      rowOfSlot[moved] = row;
    }
    rowOfSlot[slot] = NO_ROW;
    freeSlots[freeCount++] = slot;
  }

  /**
   * Sets the input of {@code slot} for the next step: {@link Model#inputSize()} floats.
   *
   * @throws IllegalArgumentException if the slot is out of range, the model takes tokens, or the length is wrong
   * @throws IllegalStateException if {@code slot} is not open, or the batch or the model is closed
   */
  public void setInput(int slot, float[] input) {
    int row = rowOf(slot);
    checkVector();
    StreamingSession.checkLength("input", input.length, inputFloats, "takes");
    MemorySegment.copy(input, 0, stepper.input(), JAVA_FLOAT, rowOffset(row, inputFloats), inputFloats);
    inputSet[slot] = true;
  }

  /**
   * Like {@link #setInput(int, float[])} from a native-order float32 segment of exactly
   * {@code inputSize * 4} bytes (heap or off-heap).
   */
  public void setInput(int slot, MemorySegment input) {
    int row = rowOf(slot);
    checkVector();
    StreamingSession.checkBytes("input", input.byteSize(), inputFloats, "takes");
    MemorySegment.copy(input, 0, stepper.input(), rowOffset(row, inputFloats), (long) inputFloats * Float.BYTES);
    inputSet[slot] = true;
  }

  /**
   * Sets the input of {@code slot} for the next step to token {@code token} of a token model.
   *
   * @throws IllegalArgumentException if the slot is out of range, the model takes vectors, or the token is
   *     not in the vocabulary
   * @throws IllegalStateException if {@code slot} is not open, or the batch or the model is closed
   */
  public void setToken(int slot, int token) {
    int row = rowOf(slot);
    model.requireTokenModel(true).checkToken(token);
    stepper.setToken(row, token);
    inputSet[slot] = true;
  }

  /**
   * Advances every open stream by one step with the inputs set since the last step; then read the results
   * with {@link #output}. Does nothing when no slot is open.
   *
   * @throws IllegalStateException if an open slot has no input set for this step (nothing is stepped), or
   *     the batch or the model is closed
   */
  public void step() {
    ensureOpen();
    for (int row = 0; row < active; row++) {
      int slot = slotOfRow[row];
      if (!inputSet[slot]) {
        throw new IllegalStateException("slot " + slot + " has no input for this step: call "
            + (tokens ? "setToken" : "setInput") + " for every open slot before step()");
      }
    }
    if (active > 0) {
      stepper.step(active);
    }
    for (int row = 0; row < active; row++) {
      int slot = slotOfRow[row];
      inputSet[slot] = false;
      hasOutput[slot] = true;
    }
  }

  /**
   * Copies the output of {@code slot}'s last step: {@link Model#outputSize()} floats.
   *
   * @throws IllegalArgumentException if the slot is out of range or the length is wrong
   * @throws IllegalStateException if {@code slot} is not open or was not stepped since it was opened, or the
   *     batch or the model is closed
   */
  public void output(int slot, float[] output) {
    int row = outputRow(slot);
    StreamingSession.checkLength("output", output.length, outputFloats, "produces");
    MemorySegment.copy(stepper.output(), JAVA_FLOAT, rowOffset(row, outputFloats), output, 0, outputFloats);
  }

  /**
   * Like {@link #output(int, float[])} into a native-order float32 segment of exactly
   * {@code outputSize * 4} bytes (heap or off-heap).
   */
  public void output(int slot, MemorySegment output) {
    int row = outputRow(slot);
    StreamingSession.checkBytes("output", output.byteSize(), outputFloats, "produces");
    if (output.isReadOnly()) {
      throw new IllegalArgumentException("the output segment is read-only");
    }
    MemorySegment.copy(stepper.output(), rowOffset(row, outputFloats), output, 0,
        (long) outputFloats * Float.BYTES);
  }

  /**
   * Sets the state of {@code slot} back to zeros, as for a newly opened slot. Its staged input and last
   * output are kept.
   *
   * @throws IllegalArgumentException if {@code slot} is out of range
   * @throws IllegalStateException if {@code slot} is not open, or the batch or the model is closed
   */
  public void reset(int slot) {
    stepper.resetRow(rowOf(slot));
  }

  /**
   * A copy of {@code slot}'s current state, with batch size 1: it can be restored into any slot of a batch
   * of this model, or into a {@link StreamingSession} of it.
   *
   * @throws IllegalArgumentException if {@code slot} is out of range
   * @throws IllegalStateException if {@code slot} is not open, or the batch or the model is closed
   */
  public State snapshot(int slot) {
    int row = rowOf(slot);
    State state = State.zeros(recurrentLayers, 1);
    for (int r = 0; r < recurrentLayers.size(); r++) {
      int h = recurrentLayers.get(r).hiddenSize();
      MemorySegment.copy(stepper.hidden(r), JAVA_FLOAT, rowOffset(row, h), state.hiddenArrays()[r], 0, h);
      float[] c = state.cellArrays()[r];
      if (c != null) {
        MemorySegment.copy(stepper.cell(r), JAVA_FLOAT, rowOffset(row, h), c, 0, h);
      }
    }
    return state;
  }

  /**
   * Replaces {@code slot}'s state with {@code state}, which must come from this model with batch size 1
   * (a {@link #snapshot}, a {@link StreamingSession#snapshot()}, or built with {@link State#builder}).
   *
   * @throws IllegalArgumentException if the slot is out of range or the state's layers or batch size do not fit
   * @throws IllegalStateException if {@code slot} is not open, or the batch or the model is closed
   */
  public void restore(int slot, State state) {
    int row = rowOf(slot);
    Objects.requireNonNull(state, "state");
    state.checkFits(recurrentLayers, 1);
    for (int r = 0; r < recurrentLayers.size(); r++) {
      int h = recurrentLayers.get(r).hiddenSize();
      MemorySegment.copy(state.hiddenArrays()[r], 0, stepper.hidden(r), JAVA_FLOAT, rowOffset(row, h), h);
      float[] c = state.cellArrays()[r];
      if (c != null) {
        MemorySegment.copy(c, 0, stepper.cell(r), JAVA_FLOAT, rowOffset(row, h), h);
      }
    }
  }

  /** Frees the batch's memory; every slot is closed. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      arena.close();
    }
  }

  /** The dense row of an open slot, after checking the batch, the model and the slot. */
  private int rowOf(int slot) {
    ensureOpen();
    checkRange(slot);
    int row = rowOfSlot[slot];
    if (row == NO_ROW) {
      throw new IllegalStateException("slot " + slot + " is not open: open() a slot first");
    }
    return row;
  }

  private int outputRow(int slot) {
    int row = rowOf(slot);
    if (!hasOutput[slot]) {
      throw new IllegalStateException("slot " + slot + " has no output yet: it was not stepped since it was opened");
    }
    return row;
  }

  private void checkRange(int slot) {
    if (slot < 0 || slot >= capacity) {
      throw new IllegalArgumentException("slot " + slot + " is out of range: the batch has slots 0 to "
          + (capacity - 1));
    }
  }

  private void checkVector() {
    if (tokens) {
      model.requireTokenModel(false);
    }
  }

  private static long rowOffset(int row, int floatsPerRow) {
    return (long) row * floatsPerRow * Float.BYTES;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("stream batch is closed");
    }
    model.ensureOpen();
  }
}
