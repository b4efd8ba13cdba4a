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
 * <p>Per direction, the input part of every step is computed at once by {@link CellKernel#projectInputs}
 * (one matrix-matrix product for a fast kernel), then the recurrence runs step by step with
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

  private SequenceRunner() {}

  /**
   * Runs {@code steps × batch} inputs: {@code vectors} [T, N, plan.inputSize()] for a vector model or
   * {@code tokens} [T, N] (already range-checked) for a token model. {@code lengths} has N entries in
   * [0, T]. {@code initialHidden}/{@code initialCell} hold per recurrent layer [D, N, H] or null (zeros).
   */
  public static Result run(ModelPlan plan, float[] vectors, int[] tokens, int steps, int batch, int[] lengths,
      float[][] initialHidden, float[][] initialCell) {
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
      for (Layer layer : plan.layers()) {
        MemorySegment y = OffHeap.floats(arena, (long) rows * layer.outputSize());
        if (layer instanceof RecurrentLayer rec) {
          runRecurrent(rec, x, y, steps, batch, lengths, initialHidden == null ? null : initialHidden[r],
              initialCell == null ? null : initialCell[r], arena, finalHidden, finalCell, r);
          layerOutputs[r] = OffHeap.toArray(y, 0, rows * layer.outputSize());
          r++;
        } else {
          ((DenseLayer) layer).apply(x, 0, y, 0, rows);
          zeroPastLengths(y, layer.outputSize(), steps, batch, lengths);
        }
        x = y;
      }
      float[] output = OffHeap.toArray(x, 0, rows * plan.outputSize());
      return new Result(output, layerOutputs, finalHidden, finalCell);
    }
  }

  private static void runRecurrent(RecurrentLayer layer, MemorySegment x, MemorySegment y, int steps,
      int batch, int[] lengths, float[] h0, float[] c0, Arena arena, float[][] finalHidden,
      float[][] finalCell, int r) {
    int hidden = layer.hiddenSize();
    int directions = layer.directions();
    int rows = steps * batch;
    long stateFloats = (long) batch * hidden;
    boolean lstm = layer.kind().hasCellState();
    finalHidden[r] = new float[directions * batch * hidden];
    finalCell[r] = lstm ? new float[directions * batch * hidden] : null;
    for (int d = 0; d < directions; d++) {
      CellKernel cell = layer.cells().get(d);
      int gateRows = layer.kind().gates() * hidden;
      MemorySegment proj = OffHeap.floats(arena, (long) rows * gateRows);
      cell.projectInputs(x, 0, rows, proj, 0);
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
      for (int k = 0; k < steps; k++) {
        int t = backwards ? steps - 1 - k : k;
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
          cell.stepProjected(proj, ((long) t * batch + s) * gateRows * F, h, stateOffset, c, stateOffset,
              end - s, scratch);
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
