package dev.rill.trainer.nn;

import dev.rill.trainer.tensor.Activation;
import dev.rill.trainer.tensor.Matrix;
import dev.rill.trainer.tensor.Ops;

/** The simple RNN of ONNX: {@code h = f(W x + R h₋ + Wb + Rb)}, f = tanh or relu. */
final class RnnCell extends Cell {
  private final Activation f;

  RnnCell(Ops ops, String name, int input, int hidden, boolean reverse, Activation f) {
    super(ops, CellKind.RNN, name, input, hidden, reverse);
    if (f != Activation.TANH && f != Activation.RELU) {
      throw new IllegalArgumentException("a simple RNN takes tanh or relu, not " + f);
    }
    this.f = f;
  }

  /** @return the activation */
  Activation activation() {
    return f;
  }

  @Override
  protected CellKind kind() {
    return CellKind.RNN;
  }

  @Override
  protected void allocate(int t, int b) {}

  @Override
  protected void forwardStep(int t) {
    Matrix a = at(pre, t);
    ops.gemm(hPrev(t), false, rForward, a, true);     // a += h₋·Rᵀ
    ops.addRow(a, rb.value());                                // a += Rb
    ops.activate(f, h(t), a);                                 // h = f(a)
  }

  @Override
  protected void backwardStep(int t) {
    Matrix da = at(dPre, t);
    ops.activateBackward(f, da, dh, h(t));                    // da = dh⊙f'(a)
    ops.gemm(da, false, rBackward, dhCarry, false);    // dh₋ = da·R
  }

  @Override
  protected void recurrentGradients() {
    ops.gemm(dPre, true, hPrevAll(), false, r.grad(), true); // dR += daᵀ·h₋
    ops.addColumnSums(rb.grad(), dPre);                       // dRb += Σ da
  }
}
