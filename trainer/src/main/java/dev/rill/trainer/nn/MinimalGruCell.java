package dev.rill.trainer.nn;

import static dev.rill.trainer.tensor.Activation.SIGMOID;
import static dev.rill.trainer.tensor.Activation.TANH;

import dev.rill.trainer.tensor.Matrix;
import dev.rill.trainer.tensor.Ops;

/**
 * The GRU with an update gate only (the runtime's MINIMAL_GRU), gates u, c:
 * <pre>
 *   u = σ(W_u x + R_u h₋ + b_u)      c̃ = tanh(W_c x + R_c h₋ + b_c)      h = u⊙c̃ + (1 - u)⊙h₋ = h₋ + u⊙(c̃ - h₋)
 * </pre>
 */
final class MinimalGruCell extends Cell {
  private static final int U = 0;
  private static final int C = 1;

  private Matrix tmp; // [B, H]

  MinimalGruCell(Ops ops, String name, int input, int hidden, boolean reverse) {
    super(ops, CellKind.MINIMAL_GRU, name, input, hidden, reverse);
  }

  @Override
  protected CellKind kind() {
    return CellKind.MINIMAL_GRU;
  }

  @Override
  protected void allocate(int t, int b) {
    tmp = ops.zeros(b, hidden);
  }

  @Override
  protected void forwardStep(int t) {
    Matrix a = at(pre, t);
    Matrix u = gate(a, U), cand = gate(a, C);
    Matrix hPrev = hPrev(t), h = h(t);
    ops.gemm(hPrev, false, rForward, a, true);        // a += h₋·Rᵀ
    ops.addRow(a, rb.value());                                // a += Rb
    ops.activate(SIGMOID, u, u);                              // u = σ(a_u)
    ops.activate(TANH, cand, cand);                           // c̃ = tanh(a_c)
    ops.sub(h, cand, hPrev);                                  // h = h₋ + u⊙(c̃ - h₋)
    ops.mul(h, u, h);
    ops.add(h, hPrev, h);
  }

  @Override
  protected void backwardStep(int t) {
    Matrix a = at(pre, t);
    Matrix u = gate(a, U), cand = gate(a, C);
    Matrix da = at(dPre, t);
    Matrix hPrev = hPrev(t);
    ops.sub(tmp, cand, hPrev);                                // da_u = dh⊙(c̃ - h₋)⊙u(1-u)
    ops.mul(tmp, dh, tmp);
    ops.activateBackward(SIGMOID, gate(da, U), tmp, u);
    ops.mul(tmp, dh, u);                                      // da_c = dh⊙u⊙(1 - c̃²)
    ops.activateBackward(TANH, gate(da, C), tmp, cand);
    ops.sub(dhCarry, dh, tmp);                                // dh₋ = dh⊙(1 - u)
    ops.gemm(da, false, rBackward, dhCarry, true);     //     + da·R
  }

  @Override
  protected void recurrentGradients() {
    ops.gemm(dPre, true, hPrevAll(), false, r.grad(), true); // dR += daᵀ·h₋
    ops.addColumnSums(rb.grad(), dPre);                       // dRb += Σ da
  }
}
