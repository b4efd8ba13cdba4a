package dev.rill.runtime.internal.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The reference cell: the ONNX LSTM, GRU and RNN equations (opset 22) and the minimal GRU, one stream and
 * one unit at a time, accumulating in float. Every other kernel is tested against this one.
 *
 * <p>Per stream, {@code stepProjected} first computes every recurrent product from the old {@code h}
 * into scratch, then updates {@code h} (and {@code c}) in place. Scratch holds G*H gate values and H
 * floats for the reset-gated state of the textbook GRU.
 */
final class ScalarCellKernel implements CellKernel {

  private static final long F = Float.BYTES;

  private final CellSpec spec;
  private final CellKind kind;
  private final int inputSize;
  private final int hidden;
  private final int gateRows;
  private final MemorySegment w;
  private final MemorySegment r;
  /** Wb + Rb per gate row, except the linear-before-reset GRU's h gate which holds Wb only. */
  private final MemorySegment inputBias;
  /** Rb of the h gate (linear-before-reset GRU only), added inside the reset product. */
  private final MemorySegment candidateRecurrentBias;
  private final MemorySegment peepholes;
  private final ActivationFunction activationF;
  private final ActivationFunction activationG;
  private final ActivationFunction activationH;
  private final boolean hasClip;
  private final float clip;

  ScalarCellKernel(CellSpec spec, WeightPrecision precision, Arena arena) {
    // Only the shape and options are kept: the matrices live packed in the arena from here on.
    this.spec = spec.withoutMatrices();
    this.kind = spec.kind();
    this.inputSize = spec.inputSize();
    this.hidden = spec.hiddenSize();
    this.gateRows = kind.gates() * hidden;
    this.w = OffHeap.copyOf(arena, WeightQuantizer.roundTrip(spec.w(), gateRows, inputSize, precision));
    this.r = OffHeap.copyOf(arena, WeightQuantizer.roundTrip(spec.r(), gateRows, hidden, precision));
    boolean separateCandidateBias = kind == CellKind.GRU && spec.linearBeforeReset();
    float[] bias = new float[gateRows];
    float[] candidateBias = new float[hidden];
    for (int row = 0; row < gateRows; row++) {
      boolean candidateRow = row >= 2 * hidden;
      if (separateCandidateBias && candidateRow) {
        bias[row] = spec.wb()[row];
        candidateBias[row - 2 * hidden] = spec.rb()[row];
      } else {
        bias[row] = spec.wb()[row] + spec.rb()[row];
      }
    }
    this.inputBias = OffHeap.copyOf(arena, bias);
    this.candidateRecurrentBias = separateCandidateBias ? OffHeap.copyOf(arena, candidateBias) : null;
    this.peepholes = spec.peepholes() == null ? null : OffHeap.copyOf(arena, spec.peepholes());
    this.activationF = spec.activations().get(0);
    this.activationG = spec.activations().size() > 1 ? spec.activations().get(1) : null;
    this.activationH = spec.activations().size() > 2 ? spec.activations().get(2) : null;
    this.hasClip = spec.hasClip();
    this.clip = spec.clip();
  }

  @Override
  public CellSpec spec() {
    return spec;
  }

  @Override
  public long scratchBytes(int n) {
    // step: the projection of n streams, then the per-stream scratch of stepProjected.
    return ((long) n * gateRows + gateRows + hidden) * F;
  }

  @Override
  public void step(MemorySegment x, long xOffset, MemorySegment h, long hOffset, MemorySegment c, long cOffset,
      int n, MemorySegment scratch) {
    projectInputs(x, xOffset, n, scratch, 0, null);
    stepProjected(scratch, 0, h, hOffset, c, cOffset, n, scratch, (long) n * gateRows * F);
  }

  @Override
  public void projectInputs(MemorySegment x, long xOffset, int rows, MemorySegment proj, long projOffset,
      MemorySegment scratch) {
    for (int row = 0; row < rows; row++) {
      long xRow = xOffset + (long) row * inputSize * F;
      long projRow = projOffset + (long) row * gateRows * F;
      for (int gateRow = 0; gateRow < gateRows; gateRow++) {
        proj.set(JAVA_FLOAT, projRow + gateRow * F, inputProjection(gateRow, x, xRow));
      }
    }
  }

  @Override
  public void stepProjected(MemorySegment proj, long projOffset, MemorySegment h, long hOffset, MemorySegment c,
      long cOffset, int n, MemorySegment scratch) {
    stepProjected(proj, projOffset, h, hOffset, c, cOffset, n, scratch, 0);
  }

  private void stepProjected(MemorySegment proj, long projOffset, MemorySegment h, long hOffset,
      MemorySegment c, long cOffset, int n, MemorySegment scratch, long scratchOffset) {
    for (int s = 0; s < n; s++) {
      long projRow = projOffset + (long) s * gateRows * F;
      long hRow = hOffset + (long) s * hidden * F;
      long cRow = cOffset + (long) s * hidden * F;
      switch (kind) {
        case LSTM -> lstm(proj, projRow, h, hRow, c, cRow, scratch, scratchOffset);
        case GRU -> gru(proj, projRow, h, hRow, scratch, scratchOffset);
        case MINIMAL_GRU -> minimalGru(proj, projRow, h, hRow, scratch, scratchOffset);
        case RNN -> rnn(proj, projRow, h, hRow, scratch, scratchOffset);
      }
    }
  }

  @Override
  public boolean supportsRanges() {
    return true;
  }

  @Override
  public void stepRange(int phase, MemorySegment x, long xOffset, MemorySegment h, long hOffset,
      MemorySegment hNext, long hNextOffset, MemorySegment c, long cOffset, int n, int unitFrom, int unitTo,
      MemorySegment shared, MemorySegment scratch) {
    for (int s = 0; s < n; s++) {
      long xRow = xOffset + (long) s * inputSize * F;
      long hRow = hOffset + (long) s * hidden * F;
      long hNextRow = hNextOffset + (long) s * hidden * F;
      long sharedRow = (long) s * hidden * F;
      for (int j = unitFrom; j < unitTo; j++) {
        switch (kind) {
          case LSTM -> lstmUnit(j, preActivation(0, j, x, xRow, h, hRow), preActivation(1, j, x, xRow, h, hRow),
              preActivation(2, j, x, xRow, h, hRow), preActivation(3, j, x, xRow, h, hRow),
              c, cOffset + (long) s * hidden * F, hNext, hNextRow);
          case GRU -> gruRange(phase, j, x, xRow, h, hRow, hNext, hNextRow, shared, sharedRow);
          case MINIMAL_GRU -> hNext.set(JAVA_FLOAT, hNextRow + j * F, minimalGruUnit(
              preActivation(0, j, x, xRow, h, hRow), preActivation(1, j, x, xRow, h, hRow),
              h.get(JAVA_FLOAT, hRow + j * F)));
          case RNN -> hNext.set(JAVA_FLOAT, hNextRow + j * F,
              activationF.apply(clip(preActivation(0, j, x, xRow, h, hRow))));
        }
      }
    }
  }

  /** Unit {@code j} of a ranged GRU step, summing exactly as {@link #gru} does. */
  private void gruRange(int phase, int j, MemorySegment x, long xRow, MemorySegment h, long hRow,
      MemorySegment hNext, long hNextRow, MemorySegment shared, long sharedRow) {
    float hPrev = h.get(JAVA_FLOAT, hRow + j * F);
    if (!spec.linearBeforeReset() && phase == 0) {
      float reset = activationF.apply(clip(preActivation(1, j, x, xRow, h, hRow)));
      shared.set(JAVA_FLOAT, sharedRow + j * F, reset * hPrev);
      return;
    }
    float z = activationF.apply(clip(preActivation(0, j, x, xRow, h, hRow)));
    int k = 2 * hidden + j;
    float preCandidate;
    if (spec.linearBeforeReset()) {
      float reset = activationF.apply(clip(preActivation(1, j, x, xRow, h, hRow)));
      float recurrent = candidateRecurrentBias.getAtIndex(JAVA_FLOAT, j)
          + dot(r, (long) k * hidden * F, h, hRow, hidden);
      preCandidate = inputProjection(k, x, xRow) + reset * recurrent;
    } else {
      preCandidate = preActivation(2, j, x, xRow, shared, sharedRow);
    }
    hNext.set(JAVA_FLOAT, hNextRow + j * F, gruUnit(z, preCandidate, hPrev));
  }

  /** The pre-activation of gate {@code gate} of unit {@code unit}: in the order of projectInputs + addRecurrent. */
  private float preActivation(int gate, int unit, MemorySegment x, long xRow, MemorySegment state, long stateRow) {
    int k = gate * hidden + unit;
    return inputProjection(k, x, xRow) + dot(r, (long) k * hidden * F, state, stateRow, hidden);
  }

  private float inputProjection(int gateRow, MemorySegment x, long xRow) {
    return inputBias.getAtIndex(JAVA_FLOAT, gateRow) + dot(w, (long) gateRow * inputSize * F, x, xRow, inputSize);
  }

  /** gates[k] = proj[k] + R[k]·state for gate rows [from, to). */
  private void addRecurrent(MemorySegment proj, long projRow, MemorySegment state, long stateRow, int from,
      int to, MemorySegment gates, long gatesOffset) {
    for (int k = from; k < to; k++) {
      float sum = proj.get(JAVA_FLOAT, projRow + k * F) + dot(r, (long) k * hidden * F, state, stateRow, hidden);
      gates.set(JAVA_FLOAT, gatesOffset + k * F, sum);
    }
  }

  private void lstm(MemorySegment proj, long projRow, MemorySegment h, long hRow, MemorySegment c, long cRow,
      MemorySegment gates, long gatesOffset) {
    addRecurrent(proj, projRow, h, hRow, 0, gateRows, gates, gatesOffset);
    for (int j = 0; j < hidden; j++) {
      lstmUnit(j, gate(gates, gatesOffset, 0, j), gate(gates, gatesOffset, 1, j), gate(gates, gatesOffset, 2, j),
          gate(gates, gatesOffset, 3, j), c, cRow, h, hRow);
    }
  }

  /** The LSTM update of unit {@code j} from its pre-activations: updates {@code c} and writes {@code hOut}. */
  private void lstmUnit(int j, float preI, float preO, float preF, float preC, MemorySegment c, long cRow,
      MemorySegment hOut, long hOutRow) {
    float cPrev = c.get(JAVA_FLOAT, cRow + j * F);
    if (peepholes != null) {
      preI += peephole(0, j) * cPrev;
      preF += peephole(2, j) * cPrev;
    }
    float i = activationF.apply(clip(preI));
    // As in ONNX Runtime: the coupled forget gate is 1 - i of the activated input gate.
    float forget = spec.inputForget() ? 1f - i : activationF.apply(clip(preF));
    float candidate = activationG.apply(clip(preC));
    float cNew = forget * cPrev + i * candidate;
    if (peepholes != null) {
      preO += peephole(1, j) * cNew;
    }
    float o = activationF.apply(clip(preO));
    c.set(JAVA_FLOAT, cRow + j * F, cNew);
    hOut.set(JAVA_FLOAT, hOutRow + j * F, o * activationH.apply(cNew));
  }

  private void gru(MemorySegment proj, long projRow, MemorySegment h, long hRow, MemorySegment scratch,
      long gatesOffset) {
    addRecurrent(proj, projRow, h, hRow, 0, 2 * hidden, scratch, gatesOffset);
    for (int k = 0; k < 2 * hidden; k++) {
      long at = gatesOffset + k * F;
      scratch.set(JAVA_FLOAT, at, activationF.apply(clip(scratch.get(JAVA_FLOAT, at))));
    }
    long candidateOffset = gatesOffset + 2L * hidden * F;
    if (spec.linearBeforeReset()) {
      for (int j = 0; j < hidden; j++) {
        int k = 2 * hidden + j;
        float recurrent = candidateRecurrentBias.getAtIndex(JAVA_FLOAT, j)
            + dot(r, (long) k * hidden * F, h, hRow, hidden);
        float pre = proj.get(JAVA_FLOAT, projRow + k * F) + gate(scratch, gatesOffset, 1, j) * recurrent;
        scratch.set(JAVA_FLOAT, candidateOffset + j * F, pre);
      }
    } else {
      long resetState = gatesOffset + (long) gateRows * F;
      for (int j = 0; j < hidden; j++) {
        float reset = gate(scratch, gatesOffset, 1, j);
        scratch.set(JAVA_FLOAT, resetState + j * F, reset * h.get(JAVA_FLOAT, hRow + j * F));
      }
      addRecurrent(proj, projRow, scratch, resetState, 2 * hidden, gateRows, scratch, gatesOffset);
    }
    for (int j = 0; j < hidden; j++) {
      float z = gate(scratch, gatesOffset, 0, j);
      h.set(JAVA_FLOAT, hRow + j * F, gruUnit(z, gate(scratch, gatesOffset, 2, j), h.get(JAVA_FLOAT, hRow + j * F)));
    }
  }

  /** The new {@code h} of a GRU unit from its activated update gate and candidate pre-activation. */
  private float gruUnit(float z, float preCandidate, float hPrev) {
    float candidate = activationG.apply(clip(preCandidate));
    return (1f - z) * candidate + z * hPrev;
  }

  private void minimalGru(MemorySegment proj, long projRow, MemorySegment h, long hRow, MemorySegment gates,
      long gatesOffset) {
    addRecurrent(proj, projRow, h, hRow, 0, gateRows, gates, gatesOffset);
    for (int j = 0; j < hidden; j++) {
      h.set(JAVA_FLOAT, hRow + j * F, minimalGruUnit(gate(gates, gatesOffset, 0, j), gate(gates, gatesOffset, 1, j),
          h.get(JAVA_FLOAT, hRow + j * F)));
    }
  }

  /** The new {@code h} of a minimal GRU unit from its pre-activations. */
  private float minimalGruUnit(float preU, float preCandidate, float hPrev) {
    float u = activationF.apply(clip(preU));
    float candidate = activationG.apply(clip(preCandidate));
    return u * candidate + (1f - u) * hPrev;
  }

  private void rnn(MemorySegment proj, long projRow, MemorySegment h, long hRow, MemorySegment gates,
      long gatesOffset) {
    addRecurrent(proj, projRow, h, hRow, 0, gateRows, gates, gatesOffset);
    for (int j = 0; j < hidden; j++) {
      h.set(JAVA_FLOAT, hRow + j * F, activationF.apply(clip(gate(gates, gatesOffset, 0, j))));
    }
  }

  private float gate(MemorySegment gates, long gatesOffset, int gate, int unit) {
    return gates.get(JAVA_FLOAT, gatesOffset + ((long) gate * hidden + unit) * F);
  }

  private float peephole(int gate, int unit) {
    return peepholes.getAtIndex(JAVA_FLOAT, (long) gate * hidden + unit);
  }

  private float clip(float preActivation) {
    // Math.max/min keep NaN, so a NaN input still propagates.
    return hasClip ? Math.max(-clip, Math.min(clip, preActivation)) : preActivation;
  }

  /** Sum over i of a[i]·b[i] in float, for {@code length} floats at the given byte offsets. */
  static float dot(MemorySegment a, long aOffset, MemorySegment b, long bOffset, int length) {
    float sum = 0f;
    for (int i = 0; i < length; i++) {
      sum += a.get(JAVA_FLOAT, aOffset + i * F) * b.get(JAVA_FLOAT, bOffset + i * F);
    }
    return sum;
  }
}
