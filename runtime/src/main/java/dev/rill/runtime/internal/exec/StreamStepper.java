package dev.rill.runtime.internal.exec;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.rill.runtime.internal.kernel.CellKernel;
import dev.rill.runtime.internal.kernel.OffHeap;
import dev.rill.runtime.internal.layer.DenseLayer;
import dev.rill.runtime.internal.layer.Layer;
import dev.rill.runtime.internal.layer.ModelPlan;
import dev.rill.runtime.internal.layer.RecurrentLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Steps {@code n} independent streams of a streamable model (no bidirectional or reverse layer) by one
 * time step.
 * Every buffer is allocated once, off-heap, in the caller's arena, so {@link #step} allocates nothing.
 *
 * <p>Layout, all [n, size] row-major with stream {@code s} at row {@code s}: one input buffer; per
 * recurrent layer its state {@code h} (which is also the layer's output) and {@code c} (LSTM); per dense
 * layer an output buffer; one scratch buffer shared by all cells (the largest they ask for).
 */
public final class StreamStepper {

  private final ModelPlan plan;
  private final int streams;
  private final MemorySegment input;
  private final Layer[] layers;
  /** Per layer: the forward cell of a recurrent layer, else null (then {@link #dense} holds it). */
  private final CellKernel[] kernels;
  private final DenseLayer[] dense;
  /** Per layer: its output buffer ({@code h} for a recurrent layer). */
  private final MemorySegment[] outputs;
  /** Per layer: {@code c} of an LSTM layer, else null. */
  private final MemorySegment[] cells;
  private final MemorySegment[] hidden;
  private final MemorySegment[] cellState;
  private final MemorySegment scratch;
  /** Per layer: its step split across threads, or null when it runs on the calling thread. */
  private final RangeStep[] rangeSteps;
  private final StepThreads threads;

  /** Allocates the buffers of {@code streams} streams in {@code arena}; every recurrent layer must run forward only. */
  public StreamStepper(ModelPlan plan, int streams, Arena arena) {
    this(plan, streams, arena, null);
  }

  /**
   * Like {@link #StreamStepper(ModelPlan, int, Arena)}, and splits the step of every recurrent layer with
   * at least {@link StepThreads#minHidden()} units across {@code threads} (null: no threads) when its kernel
   * supports unit ranges.
   */
  public StreamStepper(ModelPlan plan, int streams, Arena arena, StepThreads threads) {
    this.plan = plan;
    this.streams = streams;
    this.layers = plan.layers().toArray(Layer[]::new);
    this.input = OffHeap.floats(arena, (long) streams * plan.inputSize());
    this.outputs = new MemorySegment[layers.length];
    this.kernels = new CellKernel[layers.length];
    this.dense = new DenseLayer[layers.length];
    this.cells = new MemorySegment[layers.length];
    List<RecurrentLayer> recurrent = plan.recurrentLayers();
    this.hidden = new MemorySegment[recurrent.size()];
    this.cellState = new MemorySegment[recurrent.size()];
    long scratchBytes = 0;
    int r = 0;
    for (int i = 0; i < layers.length; i++) {
      outputs[i] = OffHeap.floats(arena, (long) streams * layers[i].outputSize());
      if (layers[i] instanceof RecurrentLayer layer) {
        if (layer.isBidirectional() || layer.reverseOnly()) {
          throw new IllegalArgumentException(notStreamableMessage(layer));
        }
        CellKernel cell = layer.cells().getFirst();
        kernels[i] = cell;
        cells[i] = layer.kind().hasCellState() ? OffHeap.floats(arena, (long) streams * layer.hiddenSize()) : null;
        hidden[r] = outputs[i];
        cellState[r] = cells[i];
        r++;
        scratchBytes = Math.max(scratchBytes, cell.scratchBytes(streams));
      } else {
        dense[i] = (DenseLayer) layers[i];
      }
    }
    this.scratch = arena.allocate(Math.max(1, scratchBytes), OffHeap.ALIGNMENT);
    this.threads = threads;
    this.rangeSteps = new RangeStep[layers.length];
    for (int i = 0; i < layers.length; i++) {
      CellKernel cell = kernels[i];
      if (threads != null && cell != null && cell.supportsRanges()
          && cell.spec().hiddenSize() >= threads.minHidden()) {
        rangeSteps[i] = new RangeStep(cell, i == 0 ? input : outputs[i - 1], outputs[i], cells[i], streams,
            threads.threads(), arena);
      }
    }
  }

  /** Why {@code layer} cannot be stepped; null when it can. */
  public static String notStreamableMessage(RecurrentLayer layer) {
    if (layer.isBidirectional()) {
      return "layer '" + layer.name() + "' is bidirectional; bidirectional layers need the whole sequence: "
          + "use Model.run(SequenceBatch)";
    }
    if (layer.reverseOnly()) {
      return "layer '" + layer.name() + "' runs in reverse; reverse layers need the whole sequence: "
          + "use Model.run(SequenceBatch)";
    }
    return null;
  }

  /** The number of streams. */
  public int streams() {
    return streams;
  }

  /** The input buffer [n, plan.inputSize()]; fill it, then call {@link #step}. */
  public MemorySegment input() {
    return input;
  }

  /** The output buffer [n, plan.outputSize()], valid after {@link #step}. */
  public MemorySegment output() {
    return outputs.length == 0 ? input : outputs[outputs.length - 1];
  }

  /** Writes the embedding of {@code token} into stream {@code s}'s input row; the token must be in range. */
  public void setToken(int s, int token) {
    plan.embedding().lookup(token, input, (long) s * plan.inputSize() * Float.BYTES);
  }

  /** Advances every stream by one step: input → each layer in order → output. */
  public void step() {
    step(streams);
  }

  /**
   * Advances the first {@code active} streams (rows {@code 0..active-1}) by one step; the other rows are
   * left untouched. A {@code StreamBatch} keeps its open streams in these leading rows.
   */
  public void step(int active) {
    MemorySegment x = input;
    for (int i = 0; i < layers.length; i++) {
      MemorySegment y = outputs[i];
      if (rangeSteps[i] != null) {
        rangeSteps[i].step(threads, active);
      } else if (kernels[i] != null) {
        // y is the layer's state h: the cell updates it in place.
        kernels[i].step(x, 0, y, 0, cells[i], 0, active, scratch);
      } else {
        dense[i].apply(x, 0, y, 0, active);
      }
      x = y;
    }
  }

  /**
   * Copies stream {@code from}'s rows (input, state and every layer output) over stream {@code to}'s, so a
   * batch can fill the row of a stream that left with its last stream and stay dense.
   */
  public void moveRow(int from, int to) {
    moveRow(input, plan.inputSize(), from, to);
    for (int i = 0; i < layers.length; i++) {
      moveRow(outputs[i], layers[i].outputSize(), from, to);
      if (cells[i] != null) {
        moveRow(cells[i], layers[i].outputSize(), from, to);
      }
    }
  }

  /** Sets stream {@code s}'s state to zero. */
  public void resetRow(int s) {
    for (int r = 0; r < hidden.length; r++) {
      zeroRow(hidden[r], s);
      if (cellState[r] != null) {
        zeroRow(cellState[r], s);
      }
    }
  }

  private void zeroRow(MemorySegment buffer, int s) {
    long rowFloats = buffer.byteSize() / Float.BYTES / streams;
    for (long i = s * rowFloats, end = i + rowFloats; i < end; i++) {
      buffer.setAtIndex(JAVA_FLOAT, i, 0f);
    }
  }

  private static void moveRow(MemorySegment buffer, int floatsPerRow, int from, int to) {
    long rowBytes = (long) floatsPerRow * Float.BYTES;
    MemorySegment.copy(buffer, from * rowBytes, buffer, to * rowBytes, rowBytes);
  }

  /** The state {@code h} [n, H] of recurrent layer {@code r} (the index among recurrent layers). */
  public MemorySegment hidden(int r) {
    return hidden[r];
  }

  /** The state {@code c} [n, H] of recurrent layer {@code r}, or null when it is not an LSTM. */
  public MemorySegment cell(int r) {
    return cellState[r];
  }

  /** Sets every state of every stream to zero. */
  public void reset() {
    for (int r = 0; r < hidden.length; r++) {
      hidden[r].fill((byte) 0);
      if (cellState[r] != null) {
        cellState[r].fill((byte) 0);
      }
    }
  }

  /**
   * One layer's step split into unit ranges across the threads, each range a whole number of blocks of units
   * with all their gates. Each thread owns {@link #CHUNKS} consecutive chunks of the units, so that in the
   * common case it reads only its slice of the weights; a thread that finishes its own chunks takes the
   * other threads' last ones, so a core slowed by other work on the host does not hold up the step. Units are
   * independent, so results do not depend on who computes them. Preallocated: its buffers, chunks and
   * cursors are fixed, only the stream count and the phase change per step, so a step allocates nothing.
   */
  private static final class RangeStep implements StepThreads.Parts {
    /** Chunks per thread: enough to hand over a quarter of a slowed thread's share. */
    private static final int CHUNKS = 4;

    private final CellKernel cell;
    private final MemorySegment x;
    private final MemorySegment h;
    private final MemorySegment c;
    private final MemorySegment hNext;
    private final MemorySegment shared;
    private final MemorySegment[] scratch;
    private final int[] unitFrom;
    private final int[] unitTo;
    private final ChunkCursors cursors;
    private final int hidden;
    // Set by the calling thread before each handoff, which publishes them to the workers.
    private int n;
    private int phase;

    RangeStep(CellKernel cell, MemorySegment x, MemorySegment h, MemorySegment c, int streams, int parts,
        Arena arena) {
      this.cell = cell;
      this.x = x;
      this.h = h;
      this.c = c;
      this.hidden = cell.spec().hiddenSize();
      this.hNext = OffHeap.floats(arena, (long) streams * hidden);
      this.shared = OffHeap.floats(arena, (long) streams * hidden);
      int chunks = parts * CHUNKS;
      this.unitFrom = new int[chunks];
      this.unitTo = new int[chunks];
      int block = cell.unitBlock();
      int blocks = (hidden + block - 1) / block;
      int widest = 0;
      for (int k = 0; k < chunks; k++) {
        unitFrom[k] = Math.min(hidden, (int) ((long) blocks * k / chunks) * block);
        unitTo[k] = Math.min(hidden, (int) ((long) blocks * (k + 1) / chunks) * block);
        widest = Math.max(widest, unitTo[k] - unitFrom[k]);
      }
      this.scratch = new MemorySegment[parts];
      this.cursors = new ChunkCursors(parts, CHUNKS);
      long bytes = cell.rangeScratchBytes(streams, widest);
      for (int p = 0; p < parts; p++) {
        scratch[p] = arena.allocate(Math.max(1, bytes), OffHeap.ALIGNMENT);
      }
    }

    void step(StepThreads threads, int active) {
      n = active;
      for (int p = 0; p < cell.rangePhases(); p++) {
        phase = p;
        cursors.reset();
        threads.run(this);
      }
      MemorySegment.copy(hNext, 0, h, 0, (long) active * hidden * Float.BYTES);
    }

    @Override
    public void run(int part) {
      for (int k; (k = cursors.next(part)) >= 0; ) {
        chunk(k, part);
      }
    }

    private void chunk(int k, int part) {
      if (unitFrom[k] < unitTo[k]) {
        cell.stepRange(phase, x, 0, h, 0, hNext, 0, c, 0, n, unitFrom[k], unitTo[k], shared, scratch[part]);
      }
    }
  }
}
