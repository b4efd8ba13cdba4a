package dev.rill.runtime.internal.kernel;

import java.util.List;
import java.util.Objects;

/**
 * Everything that defines one direction of one recurrent layer, in the canonical layout of
 * {@code model.proto}: gate-major rows in the ONNX gate order.
 *
 * @param kind the cell kind, which fixes the number of gates G
 * @param inputSize X
 * @param hiddenSize H
 * @param w input weights [G*H, X], row-major; {@code null} in a prepared kernel's spec ({@link #withoutMatrices})
 * @param r recurrent weights [G*H, H], row-major; {@code null} in a prepared kernel's spec
 * @param wb input biases [G*H]
 * @param rb recurrent biases [G*H]
 * @param peepholes LSTM peepholes [3*H] in the order i, o, f, or {@code null}
 * @param activations f, g[, h] for this direction; never empty (defaults are filled in)
 * @param clip the pre-activation bound, or {@code Float.NaN} for none
 * @param inputForget LSTM only: f = 1 - i
 * @param linearBeforeReset GRU only: apply the reset gate after the recurrent product
 */
public record CellSpec(
    CellKind kind,
    int inputSize,
    int hiddenSize,
    float[] w,
    float[] r,
    float[] wb,
    float[] rb,
    float[] peepholes,
    List<ActivationFunction> activations,
    float clip,
    boolean inputForget,
    boolean linearBeforeReset) {

  public CellSpec {
    Objects.requireNonNull(kind, "kind");
    activations = List.copyOf(activations);
    int gh = kind.gates() * hiddenSize;
    check(w == null ? r == null : w.length == gh * inputSize, "w");
    check(r == null ? w == null : r.length == gh * hiddenSize, "r");
    check(wb.length == gh, "wb");
    check(rb.length == gh, "rb");
    check(peepholes == null || (kind == CellKind.LSTM && peepholes.length == 3 * hiddenSize), "peepholes");
    check(activations.size() == kind.activationCount(), "activations");
  }

  /**
   * This spec without its weight matrices (the bulk of a model: the rest is O(H)). A kernel keeps this after it
   * has packed the matrices, so that a loaded model does not hold a float32 copy of every weight on the heap.
   */
  public CellSpec withoutMatrices() {
    return new CellSpec(kind, inputSize, hiddenSize, null, null, wb, rb, peepholes, activations, clip, inputForget,
        linearBeforeReset);
  }

  public boolean hasClip() {
    return !Float.isNaN(clip);
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalArgumentException("CellSpec: inconsistent " + what);
    }
  }
}
