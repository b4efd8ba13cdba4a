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
 * Runs whole sequences [T, N, in] through a plan, layer by layer, with the semantics of the ONNX
 * recurrent operators' {@code sequence_lens}: stream {@code s} takes part in steps {@code t < lengths[s]}
 * only, its outputs are zero past its length, its final state is the one after its last valid step (zero
 * for a zero length, as in ONNX Runtime), and a reverse direction starts at {@code lengths[s] - 1}.
 *
 * <p>Per direction, the input part of the steps is computed by {@link CellKernel#projectInputs} for a chunk
 * of consecutive steps at a time (one matrix-matrix product over all streams of up to 256 KiB of
 * projections, so the result is still in L2 when read), then the recurrence runs step by step with
 * {@link CellKernel#stepProjected} over each run of consecutive active streams.
 */
public final class SequenceRunner {

  /**
   * What a run produces.
   *
   * @param output [T, N, outputSize] of the last layer
   * @param layerOutputs per recurrent layer, [T, N, D*H]
   * @param finalHidden per recurrent layer, [D, N, H]
   * @param finalCell per recurrent layer, [D, N, H] for LSTM layers, else null
   */
  public record Result(float[] output, float[][] layerOutputs, float[][] finalHidden, float[][] finalCell) {}

  private static final long F = Float.BYTES;
  /**
   * Bytes of projections computed per chunk of steps (at least one step): each chunk is one matrix-matrix
   * product of [chunk * N, X] inputs, small enough that its result is still in L2 when the recurrence reads
   * it, instead of T * N * G * H floats written to memory (and zeroed first) and read back.
   */
  private static final long PROJECTION_BYTES = 256 * 1024;

  /** The longest Java array that every JVM can allocate. */
  static final int MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

  private SequenceRunner() {}

  /**
   * Runs {@code steps × batch} inputs: {@code vectors} [T, N, plan.inputSize()] for a vector model or
   * {@code tokens} [T, N] (already range-checked) for a token model. {@code lengths} has N entries in
   * [0, T]. {@code initialHidden}/{@code initialCell} hold per recurrent layer [D, N, H] or null (zeros).
   *
   * @throws IllegalArgumentException before any work if an output or state array of the result would be longer
   *     than a Java array can be
   */
  public static Result run(ModelPlan plan, float[] vectors, int[] tokens, int steps, int batch, int[] lengths,
      float[][] initialHidden, float[][] initialCell) {
    return run(plan, vectors, tokens, steps, batch, lengths, initialHidden, initialCell, PROJECTION_BYTES);
  }

  /** {@link #run} with up to {@code projectionBytes} of projections per chunk of steps (tests: small chunks). */
  static Result run(ModelPlan plan, float[] vectors, int[] tokens, int steps, int batch, int[] lengths,
      float[][] initialHidden, float[][] initialCell, long projectionBytes) {
    checkResultFits(plan, steps, batch);
    List<RecurrentLayer> recurrent = plan.recurrentLayers();
    float[][] layerOutputs = new float[recurrent.size()][];
    float[][] finalHidden = new float[recurrent.size()][];
    float[][] finalCell = new float[recurrent.size()][];
    int rows = steps * batch;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment x = OffHeap.floats(arena, (long) rows * plan.inputSize());
      if (tokens != null) {
        for (int i = 0; i < rows; i++) {
          plan.embedding().lookup(tokens[i], x, (long) i * plan.inputSize() * F);
        }
      } else {
        MemorySegment.copy(vectors, 0, x, JAVA_FLOAT, 0, rows * plan.inputSize());
      }
      int r = 0;
      float[] lastLayerOutput = null;
      List<Layer> layers = plan.layers();
      for (int i = 0; i < layers.size(); i++) {
        Layer layer = layers.get(i);
        // The last layer, when recurrent, writes straight into the result's array (the kernels only read
        // their input x, never y); other outputs are the next layer's input and stay off-heap.
        float[] result = layer instanceof RecurrentLayer && i == layers.size() - 1
            ? new float[rows * layer.outputSize()] : null;
        MemorySegment y = result != null ? MemorySegment.ofArray(result)
            : OffHeap.floats(arena, (long) rows * layer.outputSize());
        if (layer instanceof RecurrentLayer rec) {
          runRecurrent(rec, x, y, steps, batch, lengths, initialHidden == null ? null : initialHidden[r],
              initialCell == null ? null : initialCell[r], arena, finalHidden, finalCell, r, projectionBytes);
          layerOutputs[r] = result != null ? result : OffHeap.toArray(y, 0, rows * layer.outputSize());
          lastLayerOutput = layerOutputs[r];
          r++;
        } else {
          ((DenseLayer) layer).apply(x, 0, y, 0, rows);
          zeroPastLengths(y, layer.outputSize(), steps, batch, lengths);
          lastLayerOutput = null;
        }
        x = y;
      }
      // A model ending in a recurrent layer shares its output array with that layer's (SequenceResult hands
      // out its arrays read-only) instead of copying [T, N, D*H] floats again.
      float[] output = lastLayerOutput != null ? lastLayerOutput : OffHeap.toArray(x, 0, rows * plan.outputSize());
      return new Result(output, layerOutputs, finalHidden, finalCell);
    }
  }

  /**
   * The arrays of the result (each recurrent layer's outputs [T, N, D*H] and final state [D, N, H], the last
   * layer's outputs [T, N, out]) must fit in Java arrays: checked in long arithmetic before anything is
   * allocated, so that an int product cannot wrap to a short (or negative) length.
   */
  static void checkResultFits(ModelPlan plan, int steps, int batch) {
    for (Layer layer : plan.layers()) {
      if (layer instanceof RecurrentLayer rec) {
        requireArray("the outputs of layer '" + rec.name() + "'", steps, batch, rec.outputSize());
        requireArray("the final state of layer '" + rec.name() + "'", rec.directions(), batch, rec.hiddenSize());
      }
    }
    requireArray("the model's output", steps, batch, plan.outputSize());
  }

  private static void requireArray(String what, long steps, long batch, long width) {
    long floats;
    try {
      floats = Math.multiplyExact(Math.multiplyExact(steps, batch), width);
    } catch (ArithmeticException overflow) {
      floats = Long.MAX_VALUE;
    }
    if (floats > MAX_ARRAY_LENGTH) {
      throw new IllegalArgumentException(what + " would hold " + steps + " × " + batch + " × " + width + " = "
          + (floats == Long.MAX_VALUE ? "more than 2^63" : floats) + " floats, more than a Java array can ("
          + MAX_ARRAY_LENGTH + "): run fewer steps or a smaller batch at a time");
    }
  }

  private static void runRecurrent(RecurrentLayer layer, MemorySegment x, MemorySegment y, int steps,
      int batch, int[] lengths, float[] h0, float[] c0, Arena arena, float[][] finalHidden,
      float[][] finalCell, int r, long projectionBytes) {
    int hidden = layer.hiddenSize();
    int directions = layer.directions();
    long stateFloats = (long) batch * hidden;
    boolean lstm = layer.kind().hasCellState();
    finalHidden[r] = new float[directions * batch * hidden];
    finalCell[r] = lstm ? new float[directions * batch * hidden] : null;
    for (int d = 0; d < directions; d++) {
      CellKernel cell = layer.cells().get(d);
      int gateRows = layer.kind().gates() * hidden;
      long stepProjBytes = Math.max(1, (long) batch * gateRows * F);
      int chunk = (int) Math.max(1, Math.min(steps, projectionBytes / stepProjBytes));
      MemorySegment proj = OffHeap.floats(arena, chunk * (long) batch * gateRows);
      MemorySegment h = OffHeap.floats(arena, stateFloats);
      MemorySegment c = lstm ? OffHeap.floats(arena, stateFloats) : null;
      if (h0 != null) {
        MemorySegment.copy(h0, d * batch * hidden, h, JAVA_FLOAT, 0, batch * hidden);
      }
      if (c != null && c0 != null) {
        MemorySegment.copy(c0, d * batch * hidden, c, JAVA_FLOAT, 0, batch * hidden);
      }
      MemorySegment scratch = arena.allocate(Math.max(1, cell.scratchBytes(batch)), OffHeap.ALIGNMENT);
      boolean backwards = layer.runsBackwards(d);
      int chunkFirst = 0;
      for (int k = 0; k < steps; k++) {
        int t = backwards ? steps - 1 - k : k;
        if (k % chunk == 0) {
          // The projections of the next chunk of steps in time order: [t, t + n) forwards, (t - n, t] backwards.
          int n = Math.min(chunk, steps - k);
          chunkFirst = backwards ? t - n + 1 : t;
          cell.projectInputs(x, (long) chunkFirst * batch * layer.inputSize() * F, n * batch, proj, 0, scratch);
        }
        int s = 0;
        while (s < batch) {
          if (t >= lengths[s]) {
            s++;
            continue;
          }
          int end = s + 1;
          while (end < batch && t < lengths[end]) {
            end++;
          }
          long stateOffset = (long) s * hidden * F;
          long projOffset = ((long) (t - chunkFirst) * batch + s) * gateRows * F;
          cell.stepProjected(proj, projOffset, h, stateOffset, c, stateOffset, end - s, scratch);
          for (int stream = s; stream < end; stream++) {
            MemorySegment.copy(h, (long) stream * hidden * F, y,
                (((long) t * batch + stream) * directions + d) * hidden * F, hidden * F);
          }
          s = end;
        }
      }
      for (int s = 0; s < batch; s++) {
        if (lengths[s] == 0) {
          // ONNX Runtime reports a zero final state for an empty sequence.
          h.asSlice((long) s * hidden * F, hidden * F).fill((byte) 0);
          if (c != null) {
            c.asSlice((long) s * hidden * F, hidden * F).fill((byte) 0);
          }
        }
      }
      MemorySegment.copy(h, JAVA_FLOAT, 0, finalHidden[r], d * batch * hidden, batch * hidden);
      if (c != null) {
        MemorySegment.copy(c, JAVA_FLOAT, 0, finalCell[r], d * batch * hidden, batch * hidden);
      }
    }
  }

  private static void zeroPastLengths(MemorySegment y, int size, int steps, int batch, int[] lengths) {
    for (int t = 0; t < steps; t++) {
      for (int s = 0; s < batch; s++) {
        if (t >= lengths[s]) {
          y.asSlice(((long) t * batch + s) * size * F, size * F).fill((byte) 0);
        }
      }
    }
  }
}
